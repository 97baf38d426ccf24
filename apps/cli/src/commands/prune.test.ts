// `dass prune` end to end through the CLI's `main` (in this process): every method × {0.5, 2:4, 4:8 with dense tails}
// on the bundled stories260K, checked by `dass inspect` (the pattern on every target, along the method's axis) and
// `dass eval ppl`; the written HF checkpoint reloads to the in-memory pruned model; bad arguments exit 2 and leave
// nothing behind; SIGINT (a process of its own) exits 130 and leaves nothing behind.
import { readFile, writeFile, mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CausalLM, linearTensorName, loadTokenizer, MLP_LINEARS, openModel, overlayWeights } from '@dass/model-loader';
import type { HostTensor, LinearName } from '@dass/model-loader';
import { runPrune } from '@dass/pipeline';
import type { RunManifest } from '@dass/pipeline';
import type { InspectRow } from './inspect.js';
import { runDassInProcess } from '../hostile/run-in-process.js';
import { bundled, makeTempDir, mapLimit, runCli, runCliJson, startCli } from '../test-support/run-cli.js';

const CALIB = ['--calib', bundled.calibrationText, '--nsamples', '8', '--seqlen', '128', '--seed', '0'];
const MODEL = ['--model', bundled.model, '--tokenizer', bundled.tokenizer];
const METHODS = ['magnitude', 'wanda', 'sparsegpt', 'dass'] as const;
const PATTERNS = [
  { sparsity: '0.5', extra: [] as string[] },
  { sparsity: '2:4', extra: [] as string[] },
  { sparsity: '4:8', extra: ['--partial-groups', 'dense'] },
];
const CASES = METHODS.flatMap((method) => PATTERNS.map((p) => ({ method, ...p }))).map((c, i) => ({ ...c, outFormat: i % 2 === 0 ? 'hf' : 'same' }));
const EVAL = ['--data', bundled.evaluationText, '--seqlen', '256', '--max-windows', '4', '--json'];

interface Inspection {
  rows: InspectRow[];
  totals: { overTargets: { zeros: number; total: number; ratio: number }; overDecoderLinears: { zeros: number; total: number; ratio: number } };
}
interface Ppl {
  ppl: number;
  windows: number;
  tokens: number;
  seqlen: number;
  tokensPerSecond: number;
}

/** The N:M axis docs/SPEC.md §2 assigns: DaSS ranks gate/up along output rows, everything else along input columns. */
const axisOf = (method: string, linear: LinearName): 'in' | 'out' => (method === 'dass' && (linear === 'gate_proj' || linear === 'up_proj') ? 'out' : 'in');
const MLP: readonly string[] = ['gate_proj', 'up_proj', 'down_proj'];

let work: Awaited<ReturnType<typeof makeTempDir>>;
let denseInspection: Inspection;
let densePpl: Ppl;
const runs: { method: string; sparsity: string; outFormat: string; out: string; manifest: RunManifest; inspection: Inspection; ppl: Ppl }[] = [];

beforeAll(async () => {
  work = await makeTempDir();
  [denseInspection, densePpl] = await Promise.all([
    runCliJson<Inspection>(['inspect', '--model', bundled.model, '--json']),
    runCliJson<Ppl>(['eval', 'ppl', ...MODEL, ...EVAL]),
  ]);
  // One run at a time: in-process runs share this process's tfjs engine (runCli queues them anyway).
  const done = await mapLimit(CASES, 1, async (c) => {
    const out = join(work.path, `${c.method}-${c.sparsity.replace(/\W/g, '_')}${c.outFormat === 'hf' ? '-hf' : '.bin'}`);
    const manifest = await runCliJson<RunManifest>([
      'prune',
      ...MODEL,
      '--method',
      c.method,
      '--sparsity',
      c.sparsity,
      ...c.extra,
      ...CALIB,
      '--out',
      out,
      '--out-format',
      c.outFormat,
      '--json',
    ]);
    const tokenizer = c.outFormat === 'hf' ? [] : ['--tokenizer', bundled.tokenizer];
    const [inspection, ppl] = await Promise.all([
      runCliJson<Inspection>(['inspect', '--model', out, '--json']),
      runCliJson<Ppl>(['eval', 'ppl', '--model', out, ...tokenizer, ...EVAL]),
    ]);
    return { ...c, out, manifest, inspection, ppl };
  });
  runs.push(...done);
}, 240_000);

afterAll(async () => {
  await work?.remove();
});

describe('dass prune: every method × pattern on stories260K', () => {
  it('the dense model has no zeros and fails every N:M check (so the checks below are not vacuous)', () => {
    expect(denseInspection.rows).toHaveLength(5 * 7);
    for (const r of denseInspection.rows) {
      expect(r.zeros).toBe(0);
      expect(r.nm['2:4']).toEqual({ in: false, out: false });
    }
  });

  it('prints the run manifest as the only stdout and writes the requested format', () => {
    expect(runs).toHaveLength(CASES.length);
    for (const r of runs) {
      expect(r.manifest.kind).toBe('dass-ts/prune-run');
      expect(r.manifest.method).toBe(r.method);
      expect(r.manifest.pattern).toBe(r.sparsity);
      expect(r.manifest.output.format).toBe(r.outFormat === 'hf' ? 'hf' : 'llama2c');
      expect(r.manifest.calibration).toMatchObject({ nsamples: 8, seqlen: 128, seed: 0 });
      // --gemm auto: the engine that ran (onnxruntime-node, a dependency of the CLI, or XNNPACK with the reason).
      expect(r.manifest.backend.gemm).toMatchObject({ request: 'auto', engine: expect.stringMatching(/^(onnxruntime-node |xnnpack$)/) });
    }
  });

  it("prunes exactly the MLP targets to the pattern, along the method's axis (checked by `dass inspect`)", () => {
    for (const r of runs) {
      const label = `${r.method} ${r.sparsity} (${r.outFormat})`;
      expect(r.inspection.rows, label).toHaveLength(5 * 7);
      for (const row of r.inspection.rows) {
        const where = `${label}: ${row.name}`;
        if (!MLP.includes(row.linear)) {
          expect(row.zeros, where).toBe(0);
          continue;
        }
        const [rows, cols] = row.shape;
        if (r.sparsity === '0.5') {
          expect(row.zeros, where).toBe(row.total / 2);
          continue;
        }
        const [n, m] = r.sparsity.split(':').map(Number) as [number, number];
        const axis = axisOf(r.method, row.linear);
        const other = axis === 'in' ? 'out' : 'in';
        expect(row.nm[r.sparsity]![axis], where).toBe(true);
        // Along the other axis the pattern holds only by accident, which 172×64 random-ish weights never give.
        expect(row.nm[r.sparsity]![other], where).toBe(false);
        // Exactly N zeros per complete group; a tail shorter than M (172 = 21·8 + 4) stays dense.
        const groupLength = axis === 'in' ? cols : rows;
        const groupsPerLine = Math.floor(groupLength / m);
        const lines = axis === 'in' ? rows : cols;
        expect(row.zeros, where).toBe(n * groupsPerLine * lines);
      }
    }
  });

  it('reports the same sparsity in the manifest as inspect measures in the file', () => {
    for (const r of runs) {
      expect(r.manifest.sparsity.overTargets.zeros).toBe(r.inspection.totals.overTargets.zeros);
      expect(r.manifest.sparsity.overDecoderLinears.zeros).toBe(r.inspection.totals.overDecoderLinears.zeros);
      const tail = r.sparsity === '4:8' ? r.manifest.denseTailWeights : 0;
      if (r.sparsity === '4:8') expect(tail).toBeGreaterThan(0);
      else expect(r.manifest.denseTailWeights).toBe(0);
    }
  });

  it('writes outputs that `dass eval ppl` evaluates, with a higher perplexity than the dense model', () => {
    expect(densePpl.windows).toBe(4);
    expect(densePpl.ppl).toBeGreaterThan(1);
    for (const r of runs) {
      expect(r.ppl.windows).toBe(4);
      expect(r.ppl.seqlen).toBe(256);
      expect(Number.isFinite(r.ppl.ppl)).toBe(true);
      expect(r.ppl.ppl, `${r.method} ${r.sparsity}`).toBeGreaterThan(densePpl.ppl);
    }
  });
});

describe('a pruned Hugging Face checkpoint reloads to the in-memory pruned model', () => {
  it("gives the same logits as the pipeline's in-memory weights over the original source, and the CLI wrote the same file", async () => {
    const out = join(work.path, 'in-process-dass-hf');
    const overrides = new Map<string, HostTensor>();
    const base = await openModel(bundled.model);
    await runPrune({
      model: bundled.model,
      tokenizer: bundled.tokenizer,
      method: 'dass',
      sparsity: '2:4',
      calib: bundled.calibrationText,
      nsamples: 8,
      seqlen: 128,
      seed: 0,
      out,
      outFormat: 'hf',
      onPrunedWeight: (name, data) => overrides.set(name, { shape: base.shape(name), data: Float32Array.from(data) }),
    });
    expect([...overrides.keys()].sort()).toEqual([0, 1, 2, 3, 4].flatMap((l) => MLP_LINEARS.map((linear) => linearTensorName(l, linear))).sort());
    const tokenizer = await loadTokenizer(bundled.tokenizer, { vocabSize: base.config.vocabSize });
    const ids = tokenizer.encode((await readFile(bundled.evaluationText, 'utf8')).slice(0, 400)).slice(0, 48);
    const inMemory = await CausalLM.fromSource(overlayWeights(base, overrides));
    const reloadedSource = await openModel(out);
    const reloaded = await CausalLM.fromSource(reloadedSource);
    const dense = await CausalLM.fromSource(await openModel(bundled.model));
    try {
      const expected = await inMemory.logits(ids);
      const actual = await reloaded.logits(ids);
      expect(actual.length).toBe(ids.length * base.config.vocabSize);
      expect(Buffer.from(actual.buffer).equals(Buffer.from(expected.buffer))).toBe(true);
      // Pruning changed the model (so equality above is about the pruned weights, not the dense ones).
      const denseLogits = await dense.logits(ids);
      expect(Buffer.from(denseLogits.buffer).equals(Buffer.from(expected.buffer))).toBe(false);
    } finally {
      inMemory.dispose();
      reloaded.dispose();
      dense.dispose();
      await reloadedSource.close();
    }
    // The CLI run with the same settings (dass 2:4, hf) wrote a byte-identical checkpoint.
    const cli = runs.find((r) => r.method === 'dass' && r.sparsity === '2:4')!;
    expect(cli.outFormat).toBe('hf');
    expect((await readdir(cli.out)).sort()).toEqual((await readdir(out)).sort());
    expect((await readFile(join(cli.out, 'model.safetensors'))).equals(await readFile(join(out, 'model.safetensors')))).toBe(true);
  });
});

describe('dass prune: bad arguments exit 2 with one line and leave nothing behind', () => {
  const expectOneLine = (r: { code: number | null; stdout: string; stderr: string }, ...fragments: string[]) => {
    expect(r.code, r.stderr).toBe(2);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines, r.stderr).toHaveLength(1);
    expect(lines[0]!.startsWith('dass: error: ')).toBe(true);
    for (const f of fragments) expect(lines[0]).toContain(f);
  };

  it('refuses each bad argument before or while running, with nothing left in the output folder', async () => {
    const noConfig = join(work.path, 'model-without-config');
    await mkdir(noConfig);
    await writeFile(join(noConfig, 'model.safetensors'), '');
    const aFile = join(work.path, 'a-file');
    await writeFile(aFile, 'not a folder');
    interface Variant {
      method?: string;
      sparsity?: string;
      model?: string;
      tokenizer?: boolean;
      calib?: string;
      nsamples?: string;
      out?: string;
      extra?: string[];
    }
    const prune = (dir: string, v: Variant = {}) => [
      'prune',
      ...['--model', v.model ?? bundled.model],
      ...(v.tokenizer === false ? [] : ['--tokenizer', bundled.tokenizer]),
      ...['--method', v.method ?? 'wanda', '--sparsity', v.sparsity ?? '2:4'],
      ...['--calib', v.calib ?? bundled.calibrationText, '--nsamples', v.nsamples ?? '8', '--seqlen', '128'],
      ...(v.out === '' ? [] : ['--out', v.out ?? join(dir, 'out.bin')]),
      ...(v.extra ?? []),
    ];
    const cases: { args: (dir: string) => string[]; fragments: string[] }[] = [
      { args: (d) => prune(d, { sparsity: '1.5' }), fragments: ['--sparsity', '"1.5"'] },
      { args: (d) => prune(d, { sparsity: '4:2' }), fragments: ['--sparsity', '"4:2"'] },
      { args: (d) => prune(d, { method: 'obs' }), fragments: ['--method', '"obs"', 'magnitude', 'wanda', 'dass', 'sparsegpt'] },
      { args: (d) => prune(d, { extra: ['--prune-harder'] }), fragments: ['Unknown argument', 'prune-harder'] },
      { args: (d) => prune(d, { extra: ['--gemm', 'blas'] }), fragments: ['gemm', '"blas"', 'native', 'wasm'] },
      { args: (d) => prune(d, { out: '' }), fragments: ['Missing required argument', 'out'] },
      { args: (d) => prune(d, { nsamples: '0' }), fragments: ['--nsamples', '"0"'] },
      { args: (d) => prune(d, { model: noConfig }), fragments: ['config.json'] },
      { args: (d) => prune(d, { calib: join(d, 'missing.txt') }), fragments: ['missing.txt', 'no such file'] },
      { args: (d) => prune(d, { tokenizer: false }), fragments: ['--tokenizer'] },
      { args: (d) => prune(d, { out: join(aFile, 'out.bin') }), fragments: ['not a folder'] },
      { args: (d) => prune(d, { out: join(d, 'no', 'such', 'dir', 'out.bin') }), fragments: ['does not exist'] },
      // Only found while pruning (the first layer): the partial output must be removed.
      { args: (d) => prune(d, { sparsity: '4:8' }), fragments: ['172', 'not divisible', 'dense'] },
      { args: (d) => prune(d, { method: 'dass', sparsity: '4:8', extra: ['--out-format', 'hf'] }), fragments: ['172', 'not divisible'] },
    ];
    // Through main in this process, one at a time (the cases share its tfjs engine); the exit status of a real
    // process is the hostile corpus's business.
    await mapLimit(cases, 1, async (c, i) => {
      const dir = join(work.path, `bad-${i}`);
      await mkdir(dir);
      const args = c.args(dir);
      const r = await runDassInProcess(args);
      expectOneLine(r, ...c.fragments);
      expect(await readdir(dir), args.join(' ')).toEqual([]);
    });
    expect(await readFile(aFile, 'utf8')).toBe('not a folder');
  });

  it('refuses an existing --out without --force (keeping it as it was); --force replaces only a previous checkpoint', async () => {
    const dir = join(work.path, 'existing');
    await mkdir(dir);
    const out = join(dir, 'out.bin');
    await writeFile(out, 'precious');
    const args = ['prune', ...MODEL, '--method', 'magnitude', '--sparsity', '2:4', ...CALIB, '--out', out];
    expectOneLine(await runCli(args), 'already exists', '--force');
    expect(await readFile(out, 'utf8')).toBe('precious');
    // Not a llama2.c checkpoint: --force does not replace it either.
    expectOneLine(await runCli([...args, '--force']), `--out ${out} exists and does not start with a llama2.c header`, 'never replaced');
    expect(await readFile(out, 'utf8')).toBe('precious');
    expect(await readdir(dir)).toEqual(['out.bin']);
    // A previous checkpoint (here a copy of the dense one) is replaced.
    await writeFile(out, await readFile(bundled.model));
    const forced = await runCli([...args, '--force']);
    expect(forced.code, forced.stderr).toBe(0);
    expect(forced.stderr).toBe('');
    expect((await readFile(out)).length).toBe((await readFile(bundled.model)).length);
    expect(await readdir(dir)).toEqual(['out.bin']);
    // The human summary goes to stdout.
    expect(forced.stdout).toMatch(/magnitude at 2:4/i);
  });

  it('never writes to the input, even when --out names it', async () => {
    const before = await readFile(bundled.model);
    const r = await runCli(['prune', ...MODEL, '--method', 'magnitude', '--sparsity', '2:4', ...CALIB, '--out', bundled.model, '--force']);
    expectOneLine(r, 'input');
    expect((await readFile(bundled.model)).equals(before)).toBe(true);
  });
});

describe('dass prune: interrupted', () => {
  it('stops on SIGINT, exits 130 and leaves no output or temporary files', async () => {
    const dir = join(work.path, 'interrupted');
    await mkdir(dir);
    const out = join(dir, 'out-hf');
    // Enough calibration that the layers take a while (about a second of work is left when the output's temporary
    // folder appears, once pruning starts), and little enough that the interrupted layer ends soon after the signal.
    const { child, result } = startCli([
      'prune',
      ...MODEL,
      '--method',
      'sparsegpt',
      '--sparsity',
      '2:4',
      '--calib',
      bundled.calibrationText,
      '--nsamples',
      '32',
      '--seqlen',
      '128',
      '--out',
      out,
      '--out-format',
      'hf',
    ]);
    const started = Date.now();
    while ((await readdir(dir)).length === 0 && Date.now() - started < 60_000 && child.exitCode === null) await new Promise((r) => setTimeout(r, 5));
    expect((await readdir(dir)).length, 'the run never started writing').toBe(1);
    child.kill('SIGINT');
    const r = await result;
    expect(r.code, r.stderr).toBe(130);
    expect(r.stderr.trim()).toBe('dass: interrupted');
    expect(r.stdout).toBe('');
    expect(await readdir(dir)).toEqual([]);
  });
});
