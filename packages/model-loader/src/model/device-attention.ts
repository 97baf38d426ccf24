import { tf } from '@dass/tensor-backend';
import type { AttentionShape, CausalMaskProvider } from './attention.js';

/** Bytes of attention scores one device matmul may produce (further capped by the backend's largest tensor). */
export const DEVICE_SCORES_BYTES = 512 * 2 ** 20;

/**
 * HF rotate-half RoPE on a device tensor [tokens, heads, headDim] whose rows are `batch` samples of `seqLen` tokens:
 * x·cos + rotate_half(x)·sin, rotate_half(x) = [−x₂, x₁] (the same float32 products as `applyRopeInPlace`).
 * `cos`/`sin` are [seqLen, 1, headDim]; the tensor is viewed as [batch, seqLen, heads, headDim] to broadcast them.
 */
export function applyRopeDevice(x: tf.Tensor3D, batch: number, seqLen: number, cos: tf.Tensor3D, sin: tf.Tensor3D): tf.Tensor4D {
  return tf.tidy(() => {
    const [, heads, hd] = x.shape;
    const half = hd / 2;
    const v = tf.reshape(x, [batch, seqLen, heads, hd]);
    const x1 = tf.slice(v, [0, 0, 0, 0], [-1, -1, -1, half]);
    const x2 = tf.slice(v, [0, 0, 0, half], [-1, -1, -1, half]);
    const rotated = tf.concat([tf.neg(x2), x1], 3);
    return tf.add(tf.mul(v, cos), tf.mul(rotated, sin)) as tf.Tensor4D;
  });
}

/**
 * Causal softmax attention with everything on the device: q/k/v come as one [batch·seqLen, (nH + 2·nKV)·hd] tensor
 * (the stacked q/k/v projection), RoPE is applied with `cos`/`sin` ([seqLen, 1, hd]), and the result is
 * [batch·seqLen, nH·hd] — the o_proj input. Grouped-query attention stacks the `group = nH/nKV` query heads that
 * share a KV head along time ([batch, nKV, group·chunk, hd]) against that head's keys, as in `attendCausal`.
 * Queries go in chunks sized so that one chunk's scores stay under `scoresBytes`; each chunk is scored against only
 * the keys up to its last position.
 */
export function attendCausalDevice(
  qkv: tf.Tensor2D,
  shape: AttentionShape,
  scale: number,
  mask: CausalMaskProvider,
  rope: { cos: tf.Tensor3D; sin: tf.Tensor3D },
  scoresBytes: number,
): tf.Tensor2D {
  const { batch, seqLen: T, numHeads: nH, numKvHeads: nKV, headDim: hd } = shape;
  const group = nH / nKV;
  const qWidth = nH * hd;
  const kvWidth = nKV * hd;
  const chunk = Math.max(1, Math.min(T, Math.floor(scoresBytes / (4 * batch * nH * T))));
  return tf.tidy(() => {
    const q3 = tf.reshape(tf.slice(qkv, [0, 0], [-1, qWidth]), [batch * T, nH, hd]) as tf.Tensor3D;
    const k3 = tf.reshape(tf.slice(qkv, [0, qWidth], [-1, kvWidth]), [batch * T, nKV, hd]) as tf.Tensor3D;
    const v4 = tf.reshape(tf.slice(qkv, [0, qWidth + kvWidth], [-1, kvWidth]), [batch, T, nKV, hd]);
    // [batch, heads, T, hd]
    const q = tf.transpose(applyRopeDevice(q3, batch, T, rope.cos, rope.sin), [0, 2, 1, 3]);
    const k = tf.transpose(applyRopeDevice(k3, batch, T, rope.cos, rope.sin), [0, 2, 1, 3]);
    const v = tf.transpose(v4, [0, 2, 1, 3]);
    const outs: tf.Tensor4D[] = [];
    for (let t0 = 0; t0 < T; t0 += chunk) {
      const t1 = Math.min(T, t0 + chunk);
      const queries = t1 - t0;
      outs.push(
        tf.tidy(() => {
          // heads h = g·group + j are contiguous per KV head g: [batch, nH, queries, hd] → [batch, nKV, group·queries, hd]
          const qi = tf.reshape(tf.slice(q, [0, 0, t0, 0], [-1, -1, queries, -1]), [batch, nKV, group * queries, hd]);
          const ki = t1 === T ? k : tf.slice(k, [0, 0, 0, 0], [-1, -1, t1, -1]);
          const vi = t1 === T ? v : tf.slice(v, [0, 0, 0, 0], [-1, -1, t1, -1]);
          const scores = tf.add(tf.mul(tf.matMul(qi, ki, false, true), scale), mask(t0, t1, t1, group));
          const heads = tf.matMul(tf.softmax(scores), vi); // [batch, nKV, group·queries, hd]
          return tf.reshape(heads, [batch, nH, queries, hd]) as tf.Tensor4D;
        }),
      );
    }
    const all = outs.length === 1 ? outs[0]! : tf.concat(outs, 2);
    return tf.reshape(tf.transpose(all, [0, 2, 1, 3]), [batch * T, qWidth]) as tf.Tensor2D;
  });
}
