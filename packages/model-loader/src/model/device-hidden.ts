import { tf } from '@dass/tensor-backend';

/**
 * Hidden states [batch, seqLen, hidden] kept on the device between decoder layers, as chunks of whole samples
 * (chunk i: [samples[i]·seqLen, hidden]); one chunk is one pass through a layer. Used where `layerExecution()` is
 * `device`. The holder owns the tensors: `dispose` frees them.
 */
export class DeviceHidden {
  private disposed = false;

  constructor(
    readonly chunks: tf.Tensor2D[],
    readonly samples: readonly number[],
    readonly seqLen: number,
    readonly hiddenSize: number,
  ) {}

  get batch(): number {
    return this.samples.reduce((a, b) => a + b, 0);
  }

  /** Copies the states to the host, [batch, seqLen, hidden] row-major: one read per chunk. */
  async read(): Promise<Float32Array> {
    const out = new Float32Array(this.batch * this.seqLen * this.hiddenSize);
    let offset = 0;
    for (const chunk of this.chunks) {
      const data = (await chunk.data()) as Float32Array;
      out.set(data, offset);
      offset += data.length;
    }
    return out;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const c of this.chunks) c.dispose();
  }
}
