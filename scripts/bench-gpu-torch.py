#!/usr/bin/env python3
"""Side-by-side reference for `pnpm bench:gpu`: the same LLaMA decoder layer's float32 forward in PyTorch.

Argument: a JSON object {hiddenSize, intermediateSize, numHeads, numKvHeads, samples, seqlen}. Prints one JSON line
{torch, device, seconds} to stdout: the time of one forward over samples x seqlen tokens (after a warm-up pass),
in passes of 4096 tokens like the TypeScript side. Random weights (N(0, 1/in)); only the time matters.
"""
import json
import math
import sys
import time

import torch

s = json.loads(sys.argv[1])
device = "cuda" if torch.cuda.is_available() else "cpu"
d, inter, nh, nkv = s["hiddenSize"], s["intermediateSize"], s["numHeads"], s["numKvHeads"]
hd = d // nh
T, samples = s["seqlen"], s["samples"]
g = torch.Generator(device="cpu").manual_seed(0)


def w(out_f, in_f):
    return (torch.randn(out_f, in_f, generator=g) / math.sqrt(in_f)).to(device)


wq, wk, wv, wo = w(nh * hd, d), w(nkv * hd, d), w(nkv * hd, d), w(d, nh * hd)
wg, wu, wd = w(inter, d), w(inter, d), w(d, inter)
n1 = torch.ones(d, device=device)
n2 = torch.ones(d, device=device)
inv = 1.0 / (10000 ** (torch.arange(0, hd, 2, dtype=torch.float32, device=device) / hd))
t = torch.arange(T, dtype=torch.float32, device=device)
freqs = torch.outer(t, inv)
emb = torch.cat([freqs, freqs], dim=-1)
cos, sin = emb.cos(), emb.sin()
mask = torch.full((T, T), float("-inf"), device=device).triu(1)


def rms(x, wt):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + 1e-5) * wt


def rot(x):
    x1, x2 = x[..., : hd // 2], x[..., hd // 2 :]
    return torch.cat([-x2, x1], dim=-1)


def layer(x):
    b = x.shape[0]
    h = rms(x, n1)
    q = (h @ wq.T).view(b, T, nh, hd).transpose(1, 2)
    k = (h @ wk.T).view(b, T, nkv, hd).transpose(1, 2)
    v = (h @ wv.T).view(b, T, nkv, hd).transpose(1, 2)
    q = q * cos + rot(q) * sin
    k = k * cos + rot(k) * sin
    if nkv != nh:
        k = k.repeat_interleave(nh // nkv, dim=1)
        v = v.repeat_interleave(nh // nkv, dim=1)
    if hasattr(torch.nn.functional, "scaled_dot_product_attention"):
        a = torch.nn.functional.scaled_dot_product_attention(q, k, v, is_causal=True)
    else:
        a = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(hd) + mask, dim=-1) @ v
    x = x + a.transpose(1, 2).reshape(b, T, d) @ wo.T
    h = rms(x, n2)
    return x + (torch.nn.functional.silu(h @ wg.T) * (h @ wu.T)) @ wd.T


per_pass = max(1, 4096 // T)
with torch.no_grad():
    x = torch.randn(min(per_pass, samples), T, d, generator=g).to(device)
    layer(x)
    if device == "cuda":
        torch.cuda.synchronize()
    start = time.perf_counter()
    done = 0
    while done < samples:
        n = min(per_pass, samples - done)
        layer(x[:n])
        done += n
    if device == "cuda":
        torch.cuda.synchronize()
    seconds = time.perf_counter() - start
print(json.dumps({"torch": torch.__version__, "device": torch.cuda.get_device_name(0) if device == "cuda" else "cpu", "seconds": seconds}))
