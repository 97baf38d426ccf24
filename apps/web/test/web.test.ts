// The built site in a real browser (Debian's chromium, driven by puppeteer-core; no browser download), served from
// 127.0.0.1: the automation URL gives the CLI's numbers (runPrune + perplexityOfText computed here in Node, the code
// `dass prune` / `dass demo` run), uploads through the file inputs work, cancel stops a run, no request leaves the
// site. Screenshot: test-artifacts/web-results.png. Needs `pnpm build` first (turbo's test depends on it).
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import puppeteer, { type Browser, type ElementHandle, type Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { perplexityOfText } from '@dass/evaluation';
import { CausalLM, loadTokenizer, openModel } from '@dass/model-loader';
import { fixtures } from '@dass/model-loader/test';
import { runPrune } from '@dass/pipeline';
import { selectBackend } from '@dass/tensor-backend';
// @ts-expect-error: a plain ES module script (also `pnpm web`), no type declarations
import { startServer } from '../scripts/serve.mjs';

const appDir = fileURLToPath(new URL('../', import.meta.url));
const dist = join(appDir, 'dist');
const artifacts = join(appDir, 'test-artifacts');
const calibText = fileURLToPath(new URL('../../../packages/pipeline/fixtures/tinystories_train_head.txt', import.meta.url));
const skipBrowser = process.env.DASS_SKIP_BROWSER === '1';
const EVAL = { seqlen: 256, maxWindows: 8 }; // the page's protocol (dass demo's windows), 8 windows to stay quick
const RUN = { nsamples: 16, seqlen: 128, seed: 0 };

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

/** What the CLI computes for the same inputs and settings: runPrune to a file, then perplexity of dense and pruned. */
async function cliNumbers(method: string, sparsity: string) {
  const out = join(mkdtempSync(join(tmpdir(), 'dass-web-test-')), 'pruned.bin');
  const manifest = await runPrune({
    model: fixtures.stories260K.bin,
    tokenizer: fixtures.stories260K.tokenizer,
    calib: calibText,
    method,
    sparsity,
    out,
    threads: 1,
    ...RUN,
  });
  await selectBackend('auto');
  const text = readFileSync(fixtures.stories260K.referenceText, 'utf8');
  const ppl = async (path: string) => {
    const source = await openModel(path);
    const lm = await CausalLM.fromSource(source, { threads: 1 });
    try {
      return (
        await perplexityOfText(lm, await loadTokenizer(fixtures.stories260K.tokenizer, { vocabSize: source.config.vocabSize }), text, { ...EVAL, batchSize: 1 })
      ).ppl;
    } finally {
      lm.dispose();
      await source.close();
    }
  };
  return {
    densePpl: await ppl(fixtures.stories260K.bin),
    prunedPpl: await ppl(out),
    sparsity: manifest.sparsity.overTargets.ratio,
    sha256: createHash('sha256').update(readFileSync(out)).digest('hex'),
  };
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

  it('made no request outside the site', () => {
    expect(external).toEqual([]);
  });
});
