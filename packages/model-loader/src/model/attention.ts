import { tf } from '@dass/tensor-backend';

/** Shapes of one attention pass: `batch` samples of `seqLen` tokens, rows of q = [numHeads·headDim], k/v = [numKvHeads·headDim]. */
export interface AttentionShape {
  batch: number;
  seqLen: number;
  numHeads: number;
  numKvHeads: number;
  headDim: number;
}

/**
 * HF rotate-half RoPE, in place, on host rows [tokens, heads·headDim] (token t of a sample is row b·seqLen + t):
 * x·cos + rotate_half(x)·sin with rotate_half(x) = [−x₂, x₁], each product rounded to float32 as tfjs would.
 */
export function applyRopeInPlace(x: Float32Array, heads: number, headDim: number, seqLen: number, cos: Float32Array, sin: Float32Array): void {
  const half = headDim / 2;
  const width = heads * headDim;
  const rows = x.length / width;
  const f = Math.fround;
  for (let r = 0; r < rows; r++) {
    const t = r % seqLen;
    const table = t * headDim;
    for (let h = 0; h < heads; h++) {
      const base = r * width + h * headDim;
      for (let i = 0; i < half; i++) {
        const a = x[base + i]!;
        const b = x[base + i + half]!;
        x[base + i] = f(a * cos[table + i]!) + f(-b * sin[table + i]!);
        x[base + i + half] = f(b * cos[table + i + half]!) + f(a * sin[table + i + half]!);
      }
    }
  }
}

/** Query positions per attention matmul: causal attention then skips most key blocks a query cannot see. */
export const QUERY_CHUNK = 128;

/** The additive causal mask of query positions [queryStart, queryEnd) against keys [0, keys), `group` heads stacked. */
export type CausalMaskProvider = (queryStart: number, queryEnd: number, keys: number, group: number) => tf.Tensor2D;

/**
 * Causal softmax attention of host q/k/v rows, returning host rows [batch·seqLen, numHeads·headDim].
 *
 * The tfjs wasm backend runs plain 2-D matmuls through XNNPACK but rank-3 (batched) matmuls through a scalar loop
 * about 20x slower, and its slice copies the whole source tensor on every call. So heads are gathered on the host
 * and each (sample, KV head) is a few 2-D matmuls: the `group` query heads sharing a KV head are stacked along time
 * ([group·chunk, headDim]), as grouped-query attention prescribes. Queries go in chunks of QUERY_CHUNK positions,
 * each against only the keys up to its last position, so about half of the masked-out products are never computed.
 */
export function attendCausal(
  q: Float32Array,
  k: Float32Array,
  v: Float32Array,
  shape: AttentionShape,
  scale: number,
  mask: CausalMaskProvider,
  out: Float32Array = new Float32Array(shape.batch * shape.seqLen * shape.numHeads * shape.headDim),
): Float32Array {
  const { batch, seqLen: T, numHeads: nH, numKvHeads: nKV, headDim: hd } = shape;
  const group = nH / nKV;
  const qWidth = nH * hd;
  const kvWidth = nKV * hd;
  if (out.length !== batch * T * qWidth) throw new RangeError(`attendCausal: out has ${out.length} values, expected ${batch * T * qWidth}`);
  const chunk = Math.min(T, QUERY_CHUNK);
  const qBlock = new Float32Array(group * chunk * hd);
  const kT = new Float32Array(hd * T);
  const vRows = new Float32Array(T * hd);
  for (let b = 0; b < batch; b++) {
    for (let g = 0; g < nKV; g++) {
      for (let t = 0; t < T; t++) {
        const src = (b * T + t) * kvWidth + g * hd;
        vRows.set(v.subarray(src, src + hd), t * hd);
      }
      for (let t0 = 0; t0 < T; t0 += chunk) {
        const t1 = Math.min(T, t0 + chunk);
        const queries = t1 - t0;
        // Keys 0..t1-1, transposed to [hd, t1] so the scores matmul needs no transpose flag.
        for (let t = 0; t < t1; t++) {
          const src = (b * T + t) * kvWidth + g * hd;
          for (let e = 0; e < hd; e++) kT[e * t1 + t] = k[src + e]!;
        }
        for (let j = 0; j < group; j++) {
          const h = g * group + j;
          for (let t = t0; t < t1; t++) {
            const src = (b * T + t) * qWidth + h * hd;
            qBlock.set(q.subarray(src, src + hd), (j * queries + t - t0) * hd);
          }
        }
        const rows = group * queries;
        const result = tf.tidy(() => {
          const qi = tf.tensor2d(qBlock.subarray(0, rows * hd), [rows, hd]);
          const kTi = tf.tensor2d(kT.subarray(0, hd * t1), [hd, t1]);
          const scores = tf.add(tf.mul(tf.matMul(qi, kTi), scale), mask(t0, t1, t1, group));
          return tf.matMul(tf.softmax(scores) as tf.Tensor2D, tf.tensor2d(vRows.subarray(0, t1 * hd), [t1, hd]));
        });
        const heads = result.dataSync() as Float32Array;
        result.dispose();
        for (let j = 0; j < group; j++) {
          const h = g * group + j;
          for (let t = t0; t < t1; t++) {
            const src = (j * queries + t - t0) * hd;
            out.set(heads.subarray(src, src + hd), (b * T + t) * qWidth + h * hd);
          }
        }
      }
    }
  }
  return out;
}
