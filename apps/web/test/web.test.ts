// The built site in a real browser (Debian's chromium, driven by puppeteer-core; no browser download), served from
// 127.0.0.1: the automation URL gives the CLI's numbers (runPrune + perplexityOfText computed here in Node, the code
// `dass prune` / `dass demo` run), uploads through the file inputs work, cancel stops a run, no request leaves the
// site. Screenshot: test-artifacts/web-results.png. Needs `pnpm build` first (turbo's test depends on it).
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import puppeteer, { type Browser, type ElementHandle, type Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { perplexityOfText } from '@dass/evaluation';
import { gzipSync } from 'node:zlib';
import { unzipSync } from 'fflate';
import { CausalLM, convertLlama2cToHf, loadTokenizer, openLlama2c, openModel } from '@dass/model-loader';
import { fixtures, reshardCheckpoint } from '@dass/model-loader/test';
import { runPrune } from '@dass/pipeline';
import { selectBackend } from '@dass/tensor-backend';
// @ts-expect-error: a plain ES module script (also `pnpm web`), no type declarations
import { startServer } from '../scripts/serve.mjs';

const appDir = fileURLToPath(new URL('../', import.meta.url));
const dist = join(appDir, 'dist');
const artifacts = join(appDir, 'test-artifacts');
const calibText = fileURLToPath(new URL('../../../packages/pipeline/fixtures/tinystories_train_head.txt', import.meta.url));
const skipBrowser = process.env.DASS_SKIP_BROWSER === '1';
// The page's protocol (dass demo's windows) on 4 windows, and 8 × 128 calibration tokens: each test runs it twice
// (the page, and the CLI's code here), so small sizes keep the browser tests to seconds; the checks (the CLI's numbers
// within 1e-4, the same file bytes) do not depend on the sizes.
const EVAL = { seqlen: 256, maxWindows: 4 };
const RUN = { nsamples: 8, seqlen: 128, seed: 0 };

function findChromium(): string | undefined {
  const names = process.env.CHROMIUM ? [process.env.CHROMIUM] : ['chromium', 'chromium-browser', 'google-chrome'];
  for (const name of names) {
    try {
      return execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim() || undefined;
    } catch {
      // try the next name
    }
  }
  return undefined;
}

/**
 * What the CLI computes for the same inputs and settings: runPrune to a file (llama2.c) or folder (HF), then perplexity
 * of dense and pruned. `tokenizer` undefined: the HF folder's own.
 */
async function cliRun(
  method: string,
  sparsity: string,
  model = fixtures.stories260K.bin,
  tokenizer: string | undefined = fixtures.stories260K.tokenizer,
  calib = calibText,
) {
  const out = join(mkdtempSync(join(tmpdir(), 'dass-web-test-')), model.endsWith('.bin') ? 'pruned.bin' : 'pruned');
  const manifest = await runPrune({ model, tokenizer, calib, method, sparsity, out, threads: 1, ...RUN });
  await selectBackend('auto');
  const text = readFileSync(fixtures.stories260K.referenceText, 'utf8');
  const ppl = async (path: string) => {
    const source = await openModel(path);
    const lm = await CausalLM.fromSource(source, { threads: 1 });
    try {
      return (await perplexityOfText(lm, await loadTokenizer(tokenizer ?? model, { vocabSize: source.config.vocabSize }), text, { ...EVAL, batchSize: 1 })).ppl;
    } finally {
      lm.dispose();
      await source.close();
    }
  };
  return { densePpl: await ppl(model), prunedPpl: await ppl(out), sparsity: manifest.sparsity.overTargets.ratio, out, manifest };
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** What the CLI computes for the bundled llama2.c model, with the written file's sha256. */
async function cliNumbers(method: string, sparsity: string) {
  const run = await cliRun(method, sparsity);
  return { ...run, sha256: sha256(readFileSync(run.out)) };
}

const relative = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);

describe.skipIf(skipBrowser)('apps/web in headless chromium', () => {
  let browser: Browser;
  let server: Server;
  let url: string;
  const external: string[] = [];

  beforeAll(async () => {
    const chromium = findChromium();
    if (!chromium)
      throw new Error('chromium is not installed: apt-get update && apt-get install -y chromium (or set DASS_SKIP_BROWSER=1 to skip the browser tests)');
    if (!existsSync(join(dist, 'index.html'))) throw new Error(`${dist}/index.html is missing: run pnpm build first`);
    ({ server, url } = await startServer(dist, 0));
    browser = await puppeteer.launch({ executablePath: chromium, headless: true, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
  });

  afterAll(async () => {
    await browser?.close();
    server?.close();
  });

  async function openPage(query: string): Promise<Page> {
    const page = await browser.newPage();
    await page.setViewport({ width: 1200, height: 900 });
    page.on('request', (r) => {
      if (!r.url().startsWith(url) && !r.url().startsWith('blob:') && !r.url().startsWith('data:')) external.push(r.url());
    });
    await page.goto(url + query, { waitUntil: 'load' });
    return page;
  }

  async function finished(page: Page): Promise<{ state: string; text: string }> {
    await page.waitForSelector('#result[data-state="done"], #result[data-state="error"], #result[data-state="cancelled"]', { timeout: 180_000 });
    return page.$eval('#result', (e) => ({ state: (e as HTMLElement).dataset.state!, text: e.textContent ?? '' }));
  }

  for (const [method, sparsity] of [
    ['dass', '2:4'],
    ['wanda', '0.5'],
  ] as const) {
    it(`the automation URL (${method} ${sparsity}) gives the CLI's numbers`, async () => {
      const page = await openPage(
        `?model=stories260K&method=${method}&sparsity=${sparsity}&nsamples=${RUN.nsamples}&seqlen=${RUN.seqlen}&seed=${RUN.seed}&evalWindows=${EVAL.maxWindows}&autorun=1`,
      );
      const { state, text } = await finished(page);
      expect(state, text).toBe('done');
      const got = JSON.parse(text) as { backend: string; densePpl: number; prunedPpl: number; sparsity: number };
      const cli = await cliNumbers(method, sparsity);
      expect(['wasm', 'webgpu']).toContain(got.backend);
      expect(got.sparsity).toBe(cli.sparsity);
      expect(relative(got.densePpl, cli.densePpl)).toBeLessThan(1e-4);
      expect(relative(got.prunedPpl, cli.prunedPpl)).toBeLessThan(1e-4);
      expect(got.prunedPpl).toBeGreaterThan(got.densePpl); // pruning half the MLP weights costs something
      // The page says which backend and, when it is not webgpu, why.
      const backendLine = await page.$eval('#backend', (e) => e.textContent ?? '');
      expect(backendLine).toContain(`Backend: ${got.backend}`);
      if (got.backend === 'wasm') expect(backendLine).toMatch(/webgpu not used: .+/);
      if (method === 'dass') {
        // Every matrix passes the N:M check along its axis, one ‖h‖ histogram per layer, downloads offered.
        expect(await page.$$eval('#matrices tbody tr', (rows) => rows.length)).toBe(15);
        expect(await page.$$eval('#matrices td.ok', (cells) => cells.length)).toBe(15);
        expect(await page.$$eval('#histograms svg', (svgs) => svgs.length)).toBe(5);
        const downloaded = await page.$eval('#downloads a[download$=".bin"]', async (a) => {
          const bytes = await (await fetch((a as HTMLAnchorElement).href)).arrayBuffer();
          return [...new Uint8Array(await crypto.subtle.digest('SHA-256', bytes))].map((b) => b.toString(16).padStart(2, '0')).join('');
        });
        expect(downloaded).toBe(cli.sha256); // the same checkpoint bytes as `dass prune` writes
        const manifest = await page.$eval('#downloads a[download="run.json"]', async (a) =>
          JSON.parse(await (await fetch((a as HTMLAnchorElement).href)).text()),
        );
        expect(manifest).toMatchObject({ kind: 'dass-ts/prune-run', method: 'dass', pattern: '2:4' });
        mkdirSync(artifacts, { recursive: true });
        await page.screenshot({ path: join(artifacts, 'web-results.png'), fullPage: true });
      }
      await page.close();
    }, 300_000);
  }

  it('an uploaded llama2.c .bin + tokenizer.bin works through the file inputs', async () => {
    const page = await openPage('');
    await page.click('input[name="model-choice"][value="files"]');
    await ((await page.$('#model-file')) as ElementHandle<HTMLInputElement>).uploadFile(fixtures.stories260K.bin);
    await ((await page.$('#tokenizer-file')) as ElementHandle<HTMLInputElement>).uploadFile(fixtures.stories260K.tokenizer);
    await page.select('#method', 'magnitude');
    for (const [id, value] of [
      ['#sparsity', '0.5'],
      ['#nsamples', String(RUN.nsamples)],
      ['#seqlen', String(RUN.seqlen)],
      ['#eval-windows', String(EVAL.maxWindows)],
    ]) {
      await page.$eval(id, (e, v) => ((e as HTMLInputElement).value = v as string), value);
    }
    await page.click('#run');
    const { state, text } = await finished(page);
    expect(state, text).toBe('done');
    const got = JSON.parse(text) as { prunedPpl: number; sparsity: number };
    const cli = await cliNumbers('magnitude', '0.5');
    expect(got.sparsity).toBe(cli.sparsity);
    expect(relative(got.prunedPpl, cli.prunedPpl)).toBeLessThan(1e-4);
    // The download keeps the upload's format and name.
    expect(await page.$eval('#downloads a[download$=".bin"]', (a) => (a as HTMLAnchorElement).download)).toBe('stories260K-magnitude-0.5.bin');
    await page.close();
  }, 300_000);

  it('a bad setting is an error state with the message; cancel stops a run', async () => {
    const bad = await openPage('?model=stories260K&method=dass&sparsity=5:4&autorun=1');
    const { state, text } = await finished(bad);
    expect(state).toBe('error');
    // The library's field (sparsity) is named by the form's label, not by a CLI flag.
    expect(text).toMatch(/Sparsity: expected a ratio in \[0, 1\) or "N:M"/);
    expect(text).not.toMatch(/--sparsity/);
    await bad.close();
    const page = await openPage(`?model=stories260K&method=wanda&sparsity=2:4&nsamples=64&seqlen=256&evalWindows=${EVAL.maxWindows}`);
    await page.click('#run');
    // Polled from here: the page's CSP (script-src 'self') refuses the evaluated predicates of waitForFunction.
    const deadline = Date.now() + 120_000;
    while (!/layer \d+ of \d+/.test(await page.$eval('#status', (e) => e.textContent ?? ''))) {
      if (Date.now() > deadline)
        throw new Error(
          `the run never reached a layer: status ${await page.$eval('#status', (e) => e.textContent)}, result ${await page.$eval('#result', (e) => e.textContent)}`,
        );
      await new Promise((r) => setTimeout(r, 20));
    }
    await page.click('#cancel');
    const cancelled = await finished(page);
    expect(cancelled.state).toBe('cancelled');
    expect(await page.$eval('#status', (e) => e.textContent)).toMatch(/^Cancelled/);
    expect(await page.$eval('#results', (e) => (e as HTMLElement).hidden)).toBe(true); // no partial results shown
    await page.close();
  }, 300_000);

  /** stories260K as Hugging Face folders, made with the package's own converter and writer (config.json, safetensors, tokenizer.bin). */
  async function hfFolder(name: string, dtype: 'F32' | 'BF16', shards: number): Promise<string> {
    const dir = join(mkdtempSync(join(tmpdir(), 'dass-web-hf-')), name);
    const source = await openLlama2c(fixtures.stories260K.bin);
    await convertLlama2cToHf({ checkpoint: source, tokenizerPath: fixtures.stories260K.tokenizer, outDir: dir, dtype });
    await source.close();
    if (shards > 1) await reshardCheckpoint(dir, shards);
    return dir;
  }

  async function setFields(page: Page, method: string, fields: [string, string][]): Promise<void> {
    await page.select('#method', method);
    for (const [id, value] of fields) await page.$eval(id, (e, v) => ((e as HTMLInputElement).value = v as string), value);
  }

  /** The pruned checkpoint's downloads (every link but run.json and a zip): file name -> sha256 of the bytes. */
  async function downloadedFiles(page: Page): Promise<Record<string, string>> {
    return page.$$eval('#downloads a[download]', async (links) => {
      const out: Record<string, string> = {};
      for (const a of links as HTMLAnchorElement[]) {
        if (a.download === 'run.json' || a.download.endsWith('.zip')) continue;
        const bytes = await (await fetch(a.href)).arrayBuffer();
        out[a.download] = [...new Uint8Array(await crypto.subtle.digest('SHA-256', bytes))].map((b) => b.toString(16).padStart(2, '0')).join('');
      }
      return out;
    });
  }

  /**
   * The text of `selector` once it matches `re` (polled: the input's change event can arrive after uploadFile
   * returns), or whatever it is after `ms`, for the caller's expect to report.
   */
  async function textWhen(page: Page, selector: string, re: RegExp, ms = 10_000): Promise<string> {
    const deadline = Date.now() + ms;
    for (;;) {
      const text = (await page.$eval(selector, (e) => e.textContent)) ?? '';
      if (re.test(text) || Date.now() > deadline) return text;
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  const folderHashes = (dir: string) => Object.fromEntries(readdirSync(dir).map((name) => [name, sha256(readFileSync(join(dir, name)))]));

  it('a sharded HF folder (BF16, 3 shards + index) picked as a folder: DaSS 2:4 gives the CLI numbers and files', async () => {
    const dir = await hfFolder('stories-hf-sharded', 'BF16', 3);
    const page = await openPage('');
    await page.click('input[name="model-choice"][value="hf"]');
    await ((await page.$('#hf-folder')) as ElementHandle<HTMLInputElement>).uploadFile(dir);
    const sharded = /^stories-hf-sharded: config\.json, model\.safetensors\.index\.json \+ 3 shard\(s\) \(.* of weights\), tokenizer\.bin\.$/;
    expect(await textWhen(page, '#hf-summary', sharded)).toMatch(sharded);
    await setFields(page, 'dass', [
      ['#sparsity', '2:4'],
      ['#nsamples', String(RUN.nsamples)],
      ['#seqlen', String(RUN.seqlen)],
      ['#eval-windows', String(EVAL.maxWindows)],
    ]);
    await page.click('#run');
    const { state, text } = await finished(page);
    expect(state, text).toBe('done');
    const got = JSON.parse(text) as { densePpl: number; prunedPpl: number; sparsity: number };
    const cli = await cliRun('dass', '2:4', dir, undefined);
    expect(got.sparsity).toBe(cli.sparsity);
    expect(relative(got.densePpl, cli.densePpl)).toBeLessThan(1e-4);
    expect(relative(got.prunedPpl, cli.prunedPpl)).toBeLessThan(1e-4);
    expect(await page.$$eval('#matrices td.ok', (cells) => cells.length)).toBe(15); // 2:4 along each matrix's axis
    // The downloads are the folder `dass prune` writes, byte for byte: the 3 pruned shards, the index, config.json, tokenizer.bin.
    const cliFiles = folderHashes(cli.out);
    expect(Object.keys(cliFiles).sort()).toEqual([
      'config.json',
      'model-00001-of-00003.safetensors',
      'model-00002-of-00003.safetensors',
      'model-00003-of-00003.safetensors',
      'model.safetensors.index.json',
      'tokenizer.bin',
    ]);
    expect(await downloadedFiles(page)).toEqual(cliFiles);
    // …and the same folder as one zip.
    await page.click('#make-zip');
    const zipLink = await page.waitForSelector('#downloads a[download="stories-hf-sharded-dass-2of4.zip"]', { timeout: 60_000 });
    const zipped = await zipLink!.evaluate(async (a) => [...new Uint8Array(await (await fetch((a as HTMLAnchorElement).href)).arrayBuffer())]);
    const entries = unzipSync(Uint8Array.from(zipped));
    expect(Object.fromEntries(Object.entries(entries).map(([name, bytes]) => [name, sha256(bytes)]))).toEqual(
      Object.fromEntries(Object.entries(cliFiles).map(([name, hash]) => [`stories-hf-sharded-dass-2of4/${name}`, hash])),
    );
    await page.close();
  }, 300_000);

  it("an HF folder's files picked together (one model.safetensors, F32) with gzip calibration text: Wanda 0.5 gives the CLI numbers and files", async () => {
    const dir = await hfFolder('stories-hf', 'F32', 1);
    // Two gzip members (as `cat a.gz b.gz` makes): read whole, as the CLI's gunzip reads them.
    const raw = readFileSync(calibText);
    const gz = join(mkdtempSync(join(tmpdir(), 'dass-web-gz-')), 'calibration.txt.gz');
    writeFileSync(gz, Buffer.concat([gzipSync(raw.subarray(0, 20_000)), gzipSync(raw.subarray(20_000))]));
    const page = await openPage('');
    await page.click('input[name="model-choice"][value="hf"]');
    await ((await page.$('#hf-file-list')) as ElementHandle<HTMLInputElement>).uploadFile(...readdirSync(dir).map((f) => join(dir, f)));
    const picked = /^Files: config\.json, model\.safetensors \(.* of weights\), tokenizer\.bin\.$/;
    expect(await textWhen(page, '#hf-summary', picked)).toMatch(picked);
    await page.click('input[name="calib-choice"][value="file"]');
    await ((await page.$('#calib-file')) as ElementHandle<HTMLInputElement>).uploadFile(gz);
    await setFields(page, 'wanda', [
      ['#sparsity', '0.5'],
      ['#nsamples', String(RUN.nsamples)],
      ['#seqlen', String(RUN.seqlen)],
      ['#eval-windows', String(EVAL.maxWindows)],
    ]);
    await page.click('#run');
    const { state, text } = await finished(page);
    expect(state, text).toBe('done');
    const got = JSON.parse(text) as { densePpl: number; prunedPpl: number; sparsity: number };
    const cli = await cliRun('wanda', '0.5', dir, undefined, gz);
    expect(got.sparsity).toBe(cli.sparsity);
    expect(relative(got.prunedPpl, cli.prunedPpl)).toBeLessThan(1e-4);
    expect(await downloadedFiles(page)).toEqual(folderHashes(cli.out));
    const manifest = await page.$eval('#downloads a[download="run.json"]', async (a) => JSON.parse(await (await fetch((a as HTMLAnchorElement).href)).text()));
    // The same windows as the CLI drew from the unpacked text, and the stored (compressed) bytes' hash, as the CLI records it.
    expect(manifest.calibration).toMatchObject({ sourceSha256: sha256(readFileSync(gz)), idsSha256: cli.manifest.calibration.idsSha256 });
    await page.close();
  }, 300_000);

  it('an HF pick missing a piece says which file and what was expected, before anything runs', async () => {
    const dir = await hfFolder('stories-hf-noindex', 'F32', 2);
    const page = await openPage('');
    await page.click('input[name="model-choice"][value="hf"]');
    const files = readdirSync(dir).filter((f) => f !== 'model.safetensors.index.json');
    await ((await page.$('#hf-file-list')) as ElementHandle<HTMLInputElement>).uploadFile(...files.map((f) => join(dir, f)));
    const expected = /no model\.safetensors or model\.safetensors\.index\.json \(2 \.safetensors file\(s\): a sharded checkpoint needs its index too\)/;
    expect(await textWhen(page, '#hf-summary', expected)).toMatch(expected);
    await page.click('#run');
    const { state, text } = await finished(page);
    expect(state).toBe('error');
    expect(text).toMatch(expected);
    await page.close();
  }, 120_000);

  it('made no request outside the site', () => {
    expect(external).toEqual([]);
  });
});
