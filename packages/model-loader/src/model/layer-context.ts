import { tf } from '@dass/tensor-backend';
import type { ModelConfig } from '../types.js';
import { ropeTables } from './rope.js';

/** Sequence lengths kept per cache: generation grows T by one each step, so an unbounded cache would leak. */
const CACHE_ENTRIES = 4;

function evictOldest<K, V>(cache: Map<K, V>, dispose: (v: V) => void): void {
  if (cache.size < CACHE_ENTRIES) return;
  const [key, value] = cache.entries().next().value as [K, V];
  cache.delete(key);
  dispose(value);
}

/**
 * What every decoder layer of one model shares: RoPE tables and attention masks per sequence length, the norm and the
 * activation. Owned by the model; disposed with it.
 */
export class LayerContext {
  private readonly ropeCache = new Map<number, { cos: tf.Tensor4D; sin: tf.Tensor4D }>();
  private readonly maskCache = new Map<string, tf.Tensor2D>();
  readonly attentionScale: number;

  constructor(readonly config: ModelConfig) {
    this.attentionScale = 1 / Math.sqrt(config.headDim);
  }

  rope(seqLen: number): { cos: tf.Tensor4D; sin: tf.Tensor4D } {
    let entry = this.ropeCache.get(seqLen);
    if (!entry) {
      const { cos, sin } = ropeTables(this.config, seqLen);
      const hd = this.config.headDim;
      entry = { cos: tf.tensor4d(cos, [1, seqLen, 1, hd]), sin: tf.tensor4d(sin, [1, seqLen, 1, hd]) };
      tf.keep(entry.cos);
      tf.keep(entry.sin);
      evictOldest(this.ropeCache, (e) => (e.cos.dispose(), e.sin.dispose()));
      this.ropeCache.set(seqLen, entry);
    }
    return entry;
  }

  /** Additive causal mask (with the sliding window, if any) for `group` query heads stacked along time: [group·T, T]. */
  mask(seqLen: number, group: number): tf.Tensor2D {
    const key = `${seqLen}x${group}`;
    let mask = this.maskCache.get(key);
    if (!mask) {
      const window = this.config.slidingWindow;
      const data = new Float32Array(group * seqLen * seqLen);
      for (let g = 0; g < group; g++) {
        for (let i = 0; i < seqLen; i++) {
          const row = (g * seqLen + i) * seqLen;
          for (let j = 0; j < seqLen; j++) {
            const visible = j <= i && (window === undefined || i - j < window);
            data[row + j] = visible ? 0 : -Infinity;
          }
        }
      }
      mask = tf.keep(tf.tensor2d(data, [group * seqLen, seqLen]));
      evictOldest(this.maskCache, (m) => m.dispose());
      this.maskCache.set(key, mask);
    }
    return mask;
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
    for (const { cos, sin } of this.ropeCache.values()) {
      cos.dispose();
      sin.dispose();
    }
    for (const m of this.maskCache.values()) m.dispose();
    this.ropeCache.clear();
    this.maskCache.clear();
  }
}
