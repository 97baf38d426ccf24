#!/usr/bin/env python3
"""Independent reference for apps/eval/src/golden-perplexity.test.ts (run by a developer, never by the product or
its tests): stories260K in PyTorch (llama2.c's model.py conventions: interleaved RoPE, GQA by repeat_interleave,
SwiGLU, RMSNorm eps 1e-5), calibration windows drawn with Python's own `random` as Wanda/SparseGPT/DaSS's get_c4
does, layer-sequential pruning of the MLP linears (stats from the dense layer, all three pruned at once, the pruned
layer's outputs feed the next layer, as Wanda's prune_wanda / prune_sparsegpt do), 2:4 masks:
  wanda      |W_ij|·‖X_j‖, 2 of each 4 consecutive inputs per row (Sun et al. 2023, lib/prune.py)
  dass       gate/up: |W_ij|·‖h_i‖^0.5 with h the down_proj input, 2 of each 4 consecutive rows per column;
             down_proj as Wanda (Guo et al. 2024)
  sparsegpt  SparseGPT fasterprune, blocksize 128, percdamp 0.01, prunen 2 / prunem 4 (Frantar & Alistarh 2023)
and perplexity by the papers' protocol (non-overlapping windows, mean of the windows' mean NLLs, exp).

Token ids come from files written by DaSS.ts's tokenizer (BOS first; the tokenizer is checked against reference ids
elsewhere), int32 little-endian: --train-ids, --val-ids.

usage: /usr/bin/python3 stories260k_golden.py --model stories260K.bin --train-ids train.i32 --val-ids val.i32 \
         [--nsamples 128] [--seqlen 256] [--eval-seqlen 256] [--max-windows N] [--methods dense,wanda,dass,sparsegpt]
"""
import argparse
import math
import random
import struct

import numpy as np
import torch
import torch.nn.functional as F

torch.set_grad_enabled(False)
torch.set_flush_denormal(True)


def load_llama2c(path):
    with open(path, 'rb') as f:
        dim, hidden, n_layers, n_heads, n_kv, vocab, max_seq = struct.unpack('7i', f.read(28))
        shared = vocab > 0
        vocab = abs(vocab)
        data = np.frombuffer(f.read(), dtype=np.float32)
    head = dim // n_heads
    off = 0

    def take(*shape):
        nonlocal off
        n = int(np.prod(shape))
        t = torch.from_numpy(data[off:off + n].copy()).reshape(*shape)
        off += n
        return t

    m = {'dim': dim, 'hidden': hidden, 'n_layers': n_layers, 'n_heads': n_heads, 'n_kv': n_kv, 'vocab': vocab, 'head': head}
    m['emb'] = take(vocab, dim)
    m['attn_norm'] = take(n_layers, dim)
    m['wq'] = take(n_layers, n_heads * head, dim)
    m['wk'] = take(n_layers, n_kv * head, dim)
    m['wv'] = take(n_layers, n_kv * head, dim)
    m['wo'] = take(n_layers, dim, n_heads * head)
    m['ffn_norm'] = take(n_layers, dim)
    m['w1'] = take(n_layers, hidden, dim)  # gate_proj
    m['w2'] = take(n_layers, dim, hidden)  # down_proj
    m['w3'] = take(n_layers, hidden, dim)  # up_proj
    m['norm'] = take(dim)
    take(max_seq, head // 2)  # freqs_cos (recomputed below)
    take(max_seq, head // 2)  # freqs_sin
    m['cls'] = m['emb'] if shared else take(vocab, dim)
    return m


def rmsnorm(x, w, eps=1e-5):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * w


def rope(x, T, head):
    # llama2.c: consecutive pairs (2i, 2i+1) rotated by pos·10000^(-2i/head)
    freqs = 1.0 / (10000.0 ** (torch.arange(0, head, 2, dtype=torch.float64)[: head // 2] / head))
    ang = torch.outer(torch.arange(T, dtype=torch.float64), freqs)
    cos, sin = ang.cos().float(), ang.sin().float()
    xr = x.reshape(*x.shape[:-1], head // 2, 2)
    a, b = xr[..., 0], xr[..., 1]
    # x: [B, T, H, head/2, 2]; cos/sin: [T, head/2]
    c = cos[None, :, None, :]
    s = sin[None, :, None, :]
    return torch.stack([a * c - b * s, a * s + b * c], dim=-1).reshape(x.shape)


def attention(m, l, x):
    B, T, _ = x.shape
    H, K, hd = m['n_heads'], m['n_kv'], m['head']
    h = rmsnorm(x, m['attn_norm'][l])
    q = (h @ m['wq'][l].T).view(B, T, H, hd)
    k = (h @ m['wk'][l].T).view(B, T, K, hd)
    v = (h @ m['wv'][l].T).view(B, T, K, hd)
    q, k = rope(q, T, hd), rope(k, T, hd)
    k = k.repeat_interleave(H // K, dim=2)
    v = v.repeat_interleave(H // K, dim=2)
    q, k, v = (t.transpose(1, 2) for t in (q, k, v))
    att = (q @ k.transpose(-1, -2)) / math.sqrt(hd)
    mask = torch.full((T, T), float('-inf')).triu(1)
    att = F.softmax(att + mask, dim=-1)
    o = (att @ v).transpose(1, 2).reshape(B, T, H * hd)
    return x + o @ m['wo'][l].T


def mlp_parts(m, l, x):
    """Residual after attention → (input of gate/up, input of down_proj)."""
    xn = rmsnorm(x, m['ffn_norm'][l])
    h = F.silu(xn @ m['w1'][l].T) * (xn @ m['w3'][l].T)
    return xn, h


def layer(m, l, x):
    x = attention(m, l, x)
    _, h = mlp_parts(m, l, x)
    return x + h @ m['w2'][l].T


def nll_windows(m, ids, seqlen, max_windows, batch=8):
    n = min(len(ids) // seqlen, max_windows)
    means = []
    for b0 in range(0, n, batch):
        nb = min(batch, n - b0)
        t = torch.from_numpy(ids[b0 * seqlen:(b0 + nb) * seqlen].astype(np.int64)).view(nb, seqlen)
        x = m['emb'][t]
        for l in range(m['n_layers']):
            x = layer(m, l, x)
        logits = rmsnorm(x, m['norm']) @ m['cls'].T
        logp = F.log_softmax(logits[:, :-1].double(), dim=-1)
        nll = -logp.gather(-1, t[:, 1:, None]).squeeze(-1)
        means.extend(nll.mean(dim=1).tolist())
    return math.exp(sum(means) / len(means)), n


def mask_nm_rows(score, n=2, mm=4):
    """Zero the n smallest of each mm consecutive entries along the last axis (per row)."""
    r, c = score.shape
    g = score.view(r, c // mm, mm)
    idx = torch.topk(g, n, dim=-1, largest=False)[1]
    mask = torch.zeros_like(g, dtype=torch.bool).scatter_(-1, idx, True)
    return mask.view(r, c)


def sparsegpt_24(W, X, blocksize=128, percdamp=0.01, prunen=2, prunem=4):
    W = W.clone().double()
    cols = W.shape[1]
    H = 2 * X.double().T @ X.double() / X.shape[0]
    dead = torch.diag(H) == 0
    H[dead, dead] = 1
    W[:, dead] = 0
    damp = percdamp * torch.mean(torch.diag(H))
    H += damp * torch.eye(cols, dtype=H.dtype)
    H = torch.linalg.cholesky(H)
    H = torch.cholesky_inverse(H)
    Hinv = torch.linalg.cholesky(H, upper=True)
    for i1 in range(0, cols, blocksize):
        i2 = min(i1 + blocksize, cols)
        count = i2 - i1
        W1 = W[:, i1:i2].clone()
        Q1 = torch.zeros_like(W1)
        Err1 = torch.zeros_like(W1)
        Hinv1 = Hinv[i1:i2, i1:i2]
        mask1 = torch.zeros_like(W1, dtype=torch.bool)
        for i in range(count):
            w = W1[:, i]
            d = Hinv1[i, i]
            if i % prunem == 0:
                tmp = W1[:, i:i + prunem] ** 2 / (torch.diag(Hinv1)[i:i + prunem].reshape((1, -1))) ** 2
                mask1.scatter_(1, i + torch.topk(tmp, prunen, dim=1, largest=False)[1], True)
            q = w.clone()
            q[mask1[:, i]] = 0
            Q1[:, i] = q
            err1 = (w - q) / d
            W1[:, i:] -= err1.unsqueeze(1).matmul(Hinv1[i, i:].unsqueeze(0))
            Err1[:, i] = err1
        W[:, i1:i2] = Q1
        W[:, i2:] -= Err1.matmul(Hinv[i1:i2, i2:])
    return W.float()


def prune(m, method, calib):
    m = {k: (v.clone() if torch.is_tensor(v) else v) for k, v in m.items()}
    m['cls'] = m['emb'] if m['cls'].data_ptr() == m['emb'].data_ptr() else m['cls']
    x = m['emb'][calib]
    for l in range(m['n_layers']):
        a = attention(m, l, x)
        xn, h = mlp_parts(m, l, a)
        X = xn.reshape(-1, m['dim'])
        Hd = h.reshape(-1, m['hidden'])
        if method == 'sparsegpt':
            for name, inp in (('w1', X), ('w3', X), ('w2', Hd)):
                m[name][l] = sparsegpt_24(m[name][l], inp)
        else:
            xnorm = X.double().pow(2).sum(0).sqrt()
            hnorm = Hd.double().pow(2).sum(0).sqrt()
            for name in ('w1', 'w3'):
                W = m[name][l]
                if method == 'wanda':
                    mask = mask_nm_rows(W.double().abs() * xnorm[None, :])
                else:  # dass: |W_ij|·‖h_i‖^α, groups of 4 rows per column
                    score = W.double().abs() * hnorm[:, None] ** 0.5
                    mask = mask_nm_rows(score.T.contiguous()).T
                W[mask] = 0
            W = m['w2'][l]
            W[mask_nm_rows(W.double().abs() * hnorm[None, :])] = 0
        x = layer(m, l, x)
    return m


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--model', required=True)
    p.add_argument('--train-ids', required=True)
    p.add_argument('--val-ids', required=True)
    p.add_argument('--nsamples', type=int, default=128)
    p.add_argument('--seqlen', type=int, default=256)
    p.add_argument('--eval-seqlen', type=int, default=256)
    p.add_argument('--max-windows', type=int, default=10**9)
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--methods', default='dense,wanda,dass,sparsegpt')
    a = p.parse_args()
    m = load_llama2c(a.model)
    train = np.fromfile(a.train_ids, dtype='<i4')
    val = np.fromfile(a.val_ids, dtype='<i4')
    random.seed(a.seed)
    starts = [random.randint(0, len(train) - a.seqlen - 1) for _ in range(a.nsamples)]
    calib = torch.from_numpy(np.stack([train[s:s + a.seqlen] for s in starts]).astype(np.int64))
    for method in a.methods.split(','):
        pm = m if method == 'dense' else prune(m, method, calib)
        ppl, n = nll_windows(pm, val, a.eval_seqlen, a.max_windows)
        zeros = sum(int((pm[w] == 0).sum()) for w in ('w1', 'w2', 'w3'))
        total = sum(pm[w].numel() for w in ('w1', 'w2', 'w3'))
        print(f'{method}: ppl {ppl:.6f} over {n} windows (calibration {a.nsamples} x {a.seqlen}; MLP zeros {zeros}/{total})', flush=True)


if __name__ == '__main__':
    main()
