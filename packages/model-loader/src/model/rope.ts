import type { ModelConfig } from '../types.js';

/** RoPE inverse frequencies (headDim/2 of them), with the `llama3` and `linear` scalings HF applies. */
export function ropeInverseFrequencies(config: Pick<ModelConfig, 'headDim' | 'ropeTheta' | 'ropeScaling'>): Float64Array {
  const half = config.headDim / 2;
  const inv = new Float64Array(half);
  for (let i = 0; i < half; i++) inv[i] = 1 / Math.pow(config.ropeTheta, (2 * i) / config.headDim);
  const scaling = config.ropeScaling;
  if (!scaling || scaling.ropeType === 'default') return inv;
  if (scaling.ropeType === 'linear') return inv.map((f) => f / scaling.factor);
  // llama3: long wavelengths are slowed by `factor`, short ones kept, the band between interpolated smoothly.
  const low = scaling.lowFreqFactor ?? 1;
  const high = scaling.highFreqFactor ?? 4;
  const oldContext = scaling.originalMaxPositionEmbeddings ?? 8192;
  const lowFreqWavelen = oldContext / low;
  const highFreqWavelen = oldContext / high;
  return inv.map((freq) => {
    const wavelen = (2 * Math.PI) / freq;
    if (wavelen < highFreqWavelen) return freq;
    if (wavelen > lowFreqWavelen) return freq / scaling.factor;
    const smooth = (oldContext / wavelen - low) / (high - low);
    return (1 - smooth) * (freq / scaling.factor) + smooth * freq;
  });
}

/** cos and sin tables [seqLen, headDim] in HF's rotate-half layout (the frequencies repeated for both halves). */
export function ropeTables(config: Pick<ModelConfig, 'headDim' | 'ropeTheta' | 'ropeScaling'>, seqLen: number): { cos: Float32Array; sin: Float32Array } {
  const inv = ropeInverseFrequencies(config);
  const hd = config.headDim;
  const half = hd / 2;
  const cos = new Float32Array(seqLen * hd);
  const sin = new Float32Array(seqLen * hd);
  for (let t = 0; t < seqLen; t++) {
    for (let i = 0; i < half; i++) {
      // float32 angle, as HF computes `t * inv_freq` in float32
      const angle = Math.fround(Math.fround(t) * Math.fround(inv[i]!));
      const c = Math.cos(angle);
      const s = Math.sin(angle);
      cos[t * hd + i] = c;
      cos[t * hd + i + half] = c;
      sin[t * hd + i] = s;
      sin[t * hd + i + half] = s;
    }
  }
  return { cos, sin };
}
