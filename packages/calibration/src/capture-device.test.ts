import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { CausalLM, DECODER_LINEARS, openLlama2c } from '@dass/model-loader';
import type { LinearName } from '@dass/model-loader';
import { fixtures } from '@dass/model-loader/test';
import { countDeviceReads, limitTensorBytes, selectBackend } from '@dass/tensor-backend';
import { runLayerSequential } from './capture.js';
import type { LayerStats } from './capture.js';

const ids: number[] = JSON.parse(readFileSync(fixtures.stories260K.referenceNll, 'utf8')).input_ids;
const nsamples = 2;
const seqlen = 64;
const inputIds = Int32Array.from(ids.slice(0, nsamples * seqlen));

interface Run {
  stats: LayerStats[];
  /** Device→host reads per layer during the dense pass (statistics), and during the pruned pass. */
  denseReads: number[];
  prunedReads: number[];
  final: Float32Array;
}

async function run(maxTokensPerPass?: number): Promise<Run> {
  const model = await CausalLM.fromSource(await openLlama2c(fixtures.stories260K.bin), { cacheLayers: false });
  const out: Run = { stats: [], denseReads: [], prunedReads: [], final: new Float32Array() };
  const counter = countDeviceReads();
  let mark = 0;
  try {
    out.final = await runLayerSequential({
      model,
      inputIds,
      nsamples,
      seqlen,
      targets: DECODER_LINEARS,
      gram: true,
      maxTokensPerPass,
      onProgress: ({ stage }) => {
        if (stage === 'embed') mark = counter.count;
      },
      onLayer: ({ stats }) => {
        out.denseReads.push(counter.count - mark);
        out.stats.push(stats);
        mark = counter.count;
      },
      afterLayer: () => {
        out.prunedReads.push(counter.count - mark);
        mark = counter.count;
      },
    });
  } finally {
    counter.stop();
    model.dispose();
    await model.source.close();
  }
  return out;
}

function worstRelative(a: Float64Array, b: Float64Array, scale: number): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!) / scale);
  return worst;
}

describe('layer-sequential capture on the device (cpu backend) against the host-assisted path (wasm)', () => {
  afterAll(() => limitTensorBytes(undefined));

  it('same statistics; per layer the host reads only Σx² and XᵀX of the 4 input groups, whatever the passes', async () => {
    await selectBackend('wasm');
    const host = await run();
    await selectBackend('cpu');
    const device = await run(64); // 2 passes of one sample
    // A buffer cap small enough to split XᵀX into column blocks, the head into vocabulary blocks and passes into
    // single samples: the chunked paths must give the same numbers.
    limitTensorBytes(48 * 1024);
    const capped = await run();
    limitTensorBytes(undefined);

    // q/k/v, o, gate/up and down: one Σx² and one XᵀX read each (XᵀX of down's 172 columns in 3 blocks when capped).
    expect(device.denseReads).toEqual([8, 8, 8, 8, 8]);
    expect(capped.denseReads).toEqual([10, 10, 10, 10, 10]);
    for (const r of [device, capped]) expect(r.prunedReads).toEqual([0, 0, 0, 0, 0]);

    for (const r of [device, capped]) {
      for (let l = 0; l < 5; l++) {
        for (const linear of DECODER_LINEARS as readonly LinearName[]) {
          const s = host.stats[l]!.inputSumSq.get(linear)!;
          const scale = Math.max(...s);
          expect(worstRelative(r.stats[l]!.inputSumSq.get(linear)!, s, scale)).toBeLessThan(1e-4);
          expect(worstRelative(r.stats[l]!.gram.get(linear)!, host.stats[l]!.gram.get(linear)!, scale)).toBeLessThan(1e-4);
        }
      }
      let worst = 0;
      for (let i = 0; i < host.final.length; i++) worst = Math.max(worst, Math.abs(r.final[i]! - host.final[i]!) / (1 + Math.abs(host.final[i]!)));
      expect(worst).toBeLessThan(1e-4);
    }
  });
});
