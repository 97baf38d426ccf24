/**
 * Reproducible normal noise without dependencies: mulberry32 uniforms through Box–Muller. Each tensor gets its own
 * stream, seeded from the run seed and the tensor's name, so a tensor's values do not depend on which tensors were
 * generated before it (shard layout and generation order never change the weights).
 */
import { InvalidArgumentError } from '@dass/errors';

/** FNV-1a of `name`, mixed with `seed`: the 32-bit stream seed of one tensor. */
export function tensorStreamSeed(seed: number, name: string): number {
  if (!Number.isSafeInteger(seed)) throw new InvalidArgumentError('seed', `expected an integer, got ${seed}`);
  let h = Math.imul(2166136261 ^ (seed >>> 0), 16777619) >>> 0;
  h = Math.imul(h ^ Math.floor(seed / 4294967296), 16777619) >>> 0;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 16777619) >>> 0;
  return h;
}

/**
 * Fills `out` with normal samples of mean 0 and standard deviation `std` from the stream `streamSeed`
 * (two samples per pair of uniforms). Returns `out`.
 */
export function fillNormal(out: Float32Array, streamSeed: number, std: number): Float32Array {
  if (!(out instanceof Float32Array)) throw new InvalidArgumentError('out', `expected a Float32Array, got ${Object.prototype.toString.call(out)}`);
  if (!Number.isInteger(streamSeed)) throw new InvalidArgumentError('streamSeed', `expected an integer, got ${streamSeed}`);
  if (!(std >= 0) || !Number.isFinite(std)) throw new InvalidArgumentError('std', `expected a finite number ≥ 0, got ${std}`);
  let a = streamSeed | 0;
  const n = out.length;
  const twoPi = 2 * Math.PI;
  for (let i = 0; i < n; i += 2) {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    // (0, 1]: log never sees 0
    const u1 = (((t ^ (t >>> 14)) >>> 0) + 1) / 4294967296;
    a = (a + 0x6d2b79f5) | 0;
    t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    const u2 = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    const r = std * Math.sqrt(-2 * Math.log(u1));
    out[i] = r * Math.cos(twoPi * u2);
    if (i + 1 < n) out[i + 1] = r * Math.sin(twoPi * u2);
  }
  return out;
}
