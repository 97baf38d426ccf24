import { tf } from '@dass/tensor-backend';
import type { ModelConfig } from '../types.js';
import type { LayerWorkerPool } from './layer-pool.js';
import { ropeTables } from './rope.js';

/** Sequence lengths kept per cache: generation grows T by one each step, so an unbounded cache would leak. */
const CACHE_ENTRIES = 4;
/** Masks are per query chunk (see attendCausal), so a sequence length has several. */
const MASK_CACHE_ENTRIES = 64;

function evictOldest<K, V>(cache: Map<K, V>, dispose: (v: V) => void): void {
  const [key, value] = cache.entries().next().value as [K, V];
  cache.delete(key);
  dispose(value);
}

/**
 * What every decoder layer of one model shares: RoPE tables and attention masks per sequence length, the norm and the
 * activation. Owned by the model; disposed with it.
 */
export class LayerContext {
  private readonly ropeCache = new Map<number, { cos: Float32Array; sin: Float32Array }>();
  private readonly ropeTensorCache = new Map<number, { cos: tf.Tensor3D; sin: tf.Tensor3D }>();
  private readonly maskCache = new Map<string, tf.Tensor2D>();
  private readonly scratchArrays = new Map<string, Float32Array>();
  readonly attentionScale: number;
  /** Worker threads that run the layers' passes (samples split between them); absent: this thread runs them. */
  pool?: LayerWorkerPool;

  constructor(readonly config: ModelConfig) {
    this.attentionScale = 1 / Math.sqrt(config.headDim);
  }

  /** cos and sin tables [seqLen, headDim] (host arrays: RoPE is applied on the host, see DecoderLayer). */
  rope(seqLen: number): { cos: Float32Array; sin: Float32Array } {
    let entry = this.ropeCache.get(seqLen);
    if (!entry) {
      entry = ropeTables(this.config, seqLen);
      if (this.ropeCache.size >= CACHE_ENTRIES) this.ropeCache.delete(this.ropeCache.keys().next().value as number);
      this.ropeCache.set(seqLen, entry);
    }
    return entry;
  }

  /** The same cos and sin tables as device tensors [seqLen, 1, headDim] (they broadcast over heads of [tokens, heads, headDim]). */
  ropeTensors(seqLen: number): { cos: tf.Tensor3D; sin: tf.Tensor3D } {
    let entry = this.ropeTensorCache.get(seqLen);
    if (!entry) {
      const { cos, sin } = this.rope(seqLen);
      const hd = this.config.headDim;
      entry = { cos: tf.keep(tf.tensor3d(cos, [seqLen, 1, hd])), sin: tf.keep(tf.tensor3d(sin, [seqLen, 1, hd])) };
      if (this.ropeTensorCache.size >= CACHE_ENTRIES) {
        evictOldest(this.ropeTensorCache, (e) => {
          e.cos.dispose();
          e.sin.dispose();
        });
      }
      this.ropeTensorCache.set(seqLen, entry);
    }
    return entry;
  }

  /**
   * Additive causal mask (with the sliding window, if any) of query positions [queryStart, queryEnd) against key
   * positions [0, keys), for `group` query heads stacked along time: [group·(queryEnd − queryStart), keys].
   */
  mask(queryStart: number, queryEnd: number, keys: number, group: number): tf.Tensor2D {
    const key = `${queryStart}-${queryEnd}x${keys}x${group}`;
    let mask = this.maskCache.get(key);
    if (!mask) {
      const window = this.config.slidingWindow;
      const queries = queryEnd - queryStart;
      const data = new Float32Array(group * queries * keys);
      for (let g = 0; g < group; g++) {
        for (let q = 0; q < queries; q++) {
          const i = queryStart + q;
          const row = (g * queries + q) * keys;
          for (let j = 0; j < keys; j++) {
            const visible = j <= i && (window === undefined || i - j < window);
            data[row + j] = visible ? 0 : -Infinity;
          }
        }
      }
      mask = tf.keep(tf.tensor2d(data, [group * queries, keys]));
      if (this.maskCache.size >= MASK_CACHE_ENTRIES) evictOldest(this.maskCache, (m) => m.dispose());
      this.maskCache.set(key, mask);
    }
    return mask;
  }

  /**
   * A host array of `length` floats reused across passes under `slot` (contents undefined; grown when too short).
   * Large fresh arrays cost a page fault per 4 KiB on first touch, on every pass; these are touched once.
   */
  scratch(slot: string, length: number): Float32Array {
    let array = this.scratchArrays.get(slot);
    if (!array || array.length < length) {
      array = new Float32Array(length);
      this.scratchArrays.set(slot, array);
    }
    return array.subarray(0, length);
  }

  rmsNorm(x: tf.Tensor2D, weight: tf.Tensor1D): tf.Tensor2D {
    const variance = tf.mean(tf.square(x), -1, true);
    return tf.mul(tf.mul(x, tf.rsqrt(tf.add(variance, this.config.rmsNormEps))), weight) as tf.Tensor2D;
  }

  activation(x: tf.Tensor2D): tf.Tensor2D {
    if (this.config.hiddenAct === 'silu') return tf.mul(x, tf.sigmoid(x)) as tf.Tensor2D;
    // tanh-approximated GELU (gelu_pytorch_tanh): 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))
    const inner = tf.mul(tf.add(x, tf.mul(tf.pow(x, 3), 0.044715)), Math.sqrt(2 / Math.PI));
    return tf.mul(tf.mul(x, 0.5), tf.add(tf.tanh(inner), 1)) as tf.Tensor2D;
  }

  dispose(): void {
    void this.pool?.close();
    this.pool = undefined;
    for (const m of this.maskCache.values()) m.dispose();
    for (const e of this.ropeTensorCache.values()) {
      e.cos.dispose();
      e.sin.dispose();
    }
    this.ropeTensorCache.clear();
    this.ropeCache.clear();
    this.maskCache.clear();
    this.scratchArrays.clear();
  }
}
