// Many machines, here on one: a throw-away redis-server on 127.0.0.1, the built `dass-repro` as coordinator and as
// workers (separate processes), on a few cells of the tiny grid. Each test uses its own Redis database.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assetsDir } from './builtin-grids.js';
import { main } from './cli.js';
import type { CellRecord } from './cell-record.js';
import { PUBLISHED_KEY, QUEUE_NAME, QUEUE_PREFIX } from './queue-jobs.js';
import { parseQueueUrl } from './queue-url.js';
import { startQueueWorker } from './queue-worker.js';
import { freePort, skipRedis, startTestRedis } from './test/redis-server.js';
import type { TestRedis } from './test/redis-server.js';

const bin = fileURLToPath(new URL('../dist/bin.js', import.meta.url));
// Short BullMQ locks so a killed worker's cell is handed on within seconds (the defaults are 30 s).
const FAST_LOCKS = ['--lock-ms', '4000', '--stalled-ms', '1000'];

interface Proc {
  child: ChildProcess;
  out: () => string;
  exit: Promise<number | null>;
  /** Waits (bounded) until the output matches. */
  waitFor(re: RegExp, ms?: number): Promise<RegExpMatchArray>;
}

const running = new Set<ChildProcess>();

function dassRepro(args: string[], cwd: string): Proc {
  const child = spawn(process.execPath, [bin, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, DASS_QUEUE_PASSWORD: '' } });
  running.add(child);
  let text = '';
  child.stdout!.on('data', (d) => void (text += d));
  child.stderr!.on('data', (d) => void (text += d));
  const exit = new Promise<number | null>((done) => child.once('exit', (code) => (running.delete(child), done(code))));
  return {
    child,
    out: () => text,
    exit,
    async waitFor(re, ms = 120_000) {
      for (const t0 = Date.now(); Date.now() - t0 < ms; await new Promise((r) => setTimeout(r, 100))) {
        const m = re.exec(text);
        if (m) return m;
        if (child.exitCode !== null) break;
      }
      throw new Error(`no ${re} in the output of dass-repro ${args.join(' ')} (exit ${child.exitCode}):\n${text}`);
    },
  };
}

/** dass-repro in this process (no Node start-up, no tfjs init): its exit code and what it printed so far. */
function inProcess(args: string[], cwd: string): { exit: Promise<number>; out: () => string } {
  let text = '';
  const exit = main(args, { stdout: (t) => void (text += t), stderr: (t) => void (text += t), cwd });
  return { exit, out: () => text };
}

async function dassReproHere(args: string[], cwd: string): Promise<{ code: number; out: string }> {
  const run = inProcess(args, cwd);
  const code = await run.exit;
  return { code, out: run.out() };
}

async function stopWorker(p: Proc): Promise<void> {
  if (p.child.exitCode === null) p.child.kill('SIGTERM');
  await p.exit;
}

async function records(out: string): Promise<CellRecord[]> {
  const dir = join(out, 'cells');
  const names = (await readdir(dir)).sort();
  expect(
    names.every((n) => /^[A-Za-z0-9][A-Za-z0-9._-]*\.json$/.test(n)),
    `only finished records in ${dir}: ${names}`,
  ).toBe(true);
  return Promise.all(names.map(async (n) => JSON.parse(await readFile(join(dir, n), 'utf8')) as CellRecord));
}

/** Lines `[k/n] <id> on <worker>: …` of a coordinator's output: each collected cell. */
function collected(text: string): string[] {
  return [...text.matchAll(/^\[\d+\/\d+\] (\S+) on /gm)].map((m) => m[1]);
}

async function queueIsEmpty(url: string): Promise<void> {
  const redis = new Redis(url);
  try {
    const keys = await redis.keys(`${QUEUE_PREFIX}:${QUEUE_NAME}:*`);
    const jobKeys = keys.filter((k) => /--[0-9a-f]{32}$/.test(k));
    expect(jobKeys, 'no job left in Redis').toEqual([]);
    expect(await redis.hlen(PUBLISHED_KEY)).toBe(0);
  } finally {
    redis.disconnect();
  }
}

// Several processes per test: on a loaded 2-core CI machine a test can wait minutes for CPU, not for a lock.
describe.skipIf(skipRedis)('dass-repro --queue (BullMQ on a local redis-server)', { timeout: 300_000 }, () => {
  let redis: TestRedis;
  let work: string;
  let grid: string;
  let data: string;
  const url = (db: number) => `redis://127.0.0.1:${redis.port}/${db}`;

  const savedEnv = { DASS_QUEUE_USERNAME: process.env.DASS_QUEUE_USERNAME, DASS_QUEUE_PASSWORD: process.env.DASS_QUEUE_PASSWORD };
  beforeAll(async () => {
    // The in-process runs read credentials from this process's environment, as the spawned ones do from theirs.
    delete process.env.DASS_QUEUE_USERNAME;
    delete process.env.DASS_QUEUE_PASSWORD;
    redis = await startTestRedis();
    work = await mkdtemp(join(tmpdir(), 'dass-queue-'));
    // The grid's data under a root of its own (not the bundled assets, which every machine has anyway).
    data = join(work, 'data');
    for (const dir of ['stories260K', 'text']) await cp(join(assetsDir, dir), join(data, dir), { recursive: true });
    // A grid whose relative paths resolve against --root: the coordinator and the workers each pass their own.
    grid = join(work, 'grid.json');
    await writeFile(
      grid,
      JSON.stringify({
        name: 'queue-test',
        models: [{ name: 'stories260K', path: 'stories260K/stories260K.bin', tokenizer: 'stories260K/tok512.bin' }],
        methods: ['wanda', 'dass'],
        patterns: ['2:4'],
        calibration: { source: 'text/tinystories_train_head.txt', format: 'text', nsamples: 8, seqlen: 64, seed: 0 },
        evaluation: { perplexity: [{ name: 'val', path: 'text/tinystories_validation_head_60k.txt', format: 'text', seqlen: 64, maxWindows: 8 }] },
        analysis: { enabled: false },
      }),
    );
  });

  afterAll(async () => {
    for (const [k, v] of Object.entries(savedEnv)) if (v !== undefined) process.env[k] = v;
    for (const child of running) child.kill('SIGKILL');
    await redis?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('a coordinator and 2 workers give the same perplexities as the local run, each cell once', async () => {
    // The local run in this process (the same runGrid the command runs; the workers below are processes).
    const local = join(work, 'local');
    const localRun = await dassReproHere(['--grid', grid, '--root', data, '--out', local], work);
    expect(localRun.code, localRun.out).toBe(0);

    const out = join(work, 'queued');
    const workers = [1, 2].map((i) => dassRepro(['worker', '--queue', url(1), '--threads', '1', '--root', data, '--name', `w${i}`], work));
    try {
      await Promise.all(workers.map((w) => w.waitFor(/^worker w\d on /m)));
      const coordinator = dassRepro(['--grid', grid, '--root', data, '--out', out, '--queue', url(1), '--poll-ms', '200'], work);
      expect(await coordinator.exit, coordinator.out()).toBe(0);
      const ids = ['stories260K__dense', 'stories260K__wanda__2of4', 'stories260K__dass__2of4'];
      expect(collected(coordinator.out()).sort()).toEqual([...ids].sort());
      expect(coordinator.out()).toMatch(/queue: \d+ done, \d+ running .*\d+ failed, \d+ waiting/);

      const mine = await records(out);
      const theirs = await records(local);
      expect(mine.map((r) => r.id)).toEqual(theirs.map((r) => r.id));
      for (const [i, r] of mine.entries()) {
        expect(r.status, r.error?.message).toBe('ok');
        expect(['w1', 'w2']).toContain(r.worker?.name);
        expect(r.worker?.host).toBe(hostname());
        // The record carries the coordinator's settings (and hash), so a rerun here skips it.
        expect(r.hash).toBe(theirs[i].hash);
        const a = (r.perplexity!.val as { ppl: number }).ppl;
        const b = (theirs[i].perplexity!.val as { ppl: number }).ppl;
        expect(Math.abs(a - b) / b, `${r.id}: ${a} vs ${b}`).toBeLessThan(1e-6);
      }
      // Two pruned cells, two methods: real numbers, not copies.
      expect(new Set(mine.map((r) => (r.perplexity!.val as { ppl: number }).ppl)).size).toBe(3);
      const results = JSON.parse(await readFile(join(out, 'results.json'), 'utf8'));
      expect(results.summary).toMatchObject({ cells: 3, finished: 3, failed: 0, pending: 0 });
      await queueIsEmpty(url(1));

      const again = await dassReproHere(['--grid', grid, '--root', data, '--out', out, '--queue', url(1)], work);
      expect(again.code, again.out).toBe(0);
      expect(again.out).toContain('3 finished earlier, 0 on queue');
    } finally {
      await Promise.all(workers.map(stopWorker));
    }
  });

  it('a worker SIGKILLed mid-cell: the cell goes to another worker and the grid completes with every cell once', async () => {
    const out = join(work, 'killed');
    const w1 = dassRepro(['worker', '--queue', url(2), '--threads', '1', '--root', data, '--name', 'doomed', ...FAST_LOCKS], work);
    let w2: Proc | undefined;
    try {
      await w1.waitFor(/^worker doomed on /m);
      // The coordinator in this process; the workers, one of them killed, are processes.
      const coordinator = inProcess(['--grid', grid, '--root', data, '--out', out, '--queue', url(2), '--poll-ms', '200', '--only', 'dense,wanda'], work);
      const [, victim] = await w1.waitFor(/^start (\S+) /m);
      w1.child.kill('SIGKILL');
      await w1.exit;
      w2 = dassRepro(['worker', '--queue', url(2), '--threads', '1', '--root', data, '--name', 'rescuer', ...FAST_LOCKS], work);
      expect(await coordinator.exit, coordinator.out()).toBe(0);
      expect(w1.out()).not.toMatch(new RegExp(`^done ${victim} `, 'm'));
      expect(w2.out()).toMatch(new RegExp(`^start ${victim} `, 'm'));
      expect(collected(coordinator.out()).sort()).toEqual(['stories260K__dense', 'stories260K__wanda__2of4']);
      const recs = await records(out);
      expect(recs.map((r) => [r.id, r.status])).toEqual([
        ['stories260K__dense', 'ok'],
        ['stories260K__wanda__2of4', 'ok'],
      ]);
      expect(recs.find((r) => r.id === victim)!.worker?.name).toBe('rescuer');
      await queueIsEmpty(url(2));
    } finally {
      if (w2) await stopWorker(w2);
    }
  });

  it('a coordinator stopped and started again resumes: nothing lost, nothing run twice', async () => {
    const out = join(work, 'restarted');
    const w = dassRepro(['worker', '--queue', url(3), '--threads', '1', '--root', data, '--name', 'steady'], work);
    try {
      await w.waitFor(/^worker steady on /m);
      const args = ['--grid', grid, '--root', data, '--out', out, '--queue', url(3), '--poll-ms', '200'];
      const first = dassRepro(args, work);
      await first.waitFor(/^\[1\/3\] /m);
      first.child.kill('SIGKILL');
      await first.exit;
      const second = dassRepro(args, work);
      expect(await second.exit, second.out()).toBe(0);
      expect(second.out()).toMatch(/3 cells: ([12]) finished earlier, ([12]) on queue .* \(\2 already there from an earlier run\)/);
      const starts = [...w.out().matchAll(/^start (\S+) /gm)].map((m) => m[1]).sort();
      expect(starts, w.out()).toEqual(['stories260K__dass__2of4', 'stories260K__dense', 'stories260K__wanda__2of4']);
      expect([...collected(first.out()), ...collected(second.out())].sort()).toEqual(starts);
      expect((await records(out)).map((r) => r.status)).toEqual(['ok', 'ok', 'ok']);
      await queueIsEmpty(url(3));
    } finally {
      await stopWorker(w);
    }
  });

  it('a path missing on the worker fails that cell with the host named, and the grid goes on', async () => {
    const out = join(work, 'missing');
    const emptyRoot = await mkdtemp(join(tmpdir(), 'dass-empty-root-'));
    const w = dassRepro(['worker', '--queue', url(4), '--threads', '1', '--root', emptyRoot, '--name', 'bare'], work);
    try {
      await w.waitFor(/^worker bare on /m);
      const c = inProcess(
        ['--grid', grid, '--root', data, '--out', out, '--queue', url(4), '--poll-ms', '200', '--only', 'dense,wanda', '--attempts', '1'],
        work,
      );
      expect(await c.exit, c.out()).toBe(1);
      const recs = await records(out);
      expect(recs.map((r) => r.status)).toEqual(['failed', 'failed']);
      for (const r of recs) {
        expect(r.error!.message).toContain(`on host ${hostname()}`);
        expect(r.error!.message).toContain(join(emptyRoot, 'stories260K', 'stories260K.bin'));
        expect(r.worker).toEqual({ name: 'bare', host: hostname() });
      }
      expect(c.out()).toContain('failed cells');
      await queueIsEmpty(url(4));
    } finally {
      await stopWorker(w);
      await rm(emptyRoot, { recursive: true, force: true });
    }
  });

  it('workers run only cells of a published grid, and do not retry a refused job', async () => {
    const target = parseQueueUrl(url(5), {});
    const logs: string[] = [];
    const w = await startQueueWorker({ target, root: work, name: 'picky', log: (l) => logs.push(l) });
    const queue = new Queue(QUEUE_NAME, { connection: { host: '127.0.0.1', port: redis.port, db: 5 }, prefix: QUEUE_PREFIX });
    try {
      const spec = { id: 'x__dense', kind: 'dense', model: { name: 'x', path: '/bin/sh' }, perplexity: [], backend: 'auto' };
      const job = await queue.add(
        'x__dense',
        { kind: 'dass-repro/cell-job', version: 1, grid: 'evil', spec, keepCheckpoint: false },
        { jobId: 'x__dense--0123', attempts: 3 },
      );
      for (let i = 0; i < 100 && (await job.getState()) !== 'failed'; i++) await new Promise((r) => setTimeout(r, 100));
      const failed = await queue.getJob(job.id!);
      expect(await failed!.getState()).toBe('failed');
      expect(failed!.failedReason).toMatch(/worker picky on host .*: job x__dense--0123 is not a cell of a published grid; not run/);
      expect(failed!.attemptsMade).toBe(1);
      expect(logs.some((l) => l.startsWith('start '))).toBe(false);
    } finally {
      await queue.close();
      await w.stop();
    }
  });

  it('Redis unreachable: exit 2 and one line naming the URL without its credentials; nothing written', async () => {
    const port = await freePort();
    const out = join(work, 'never');
    const c = dassRepro(['--grid', grid, '--root', data, '--out', out, '--queue', `redis://alice:s3cret@127.0.0.1:${port}/0`], work);
    expect(await c.exit).toBe(2);
    expect(c.out().trim().split('\n')).toEqual([`dass-repro: --queue redis://127.0.0.1:${port}/0: Redis unreachable (ECONNREFUSED)`]);
    expect(existsSync(out)).toBe(false);
    // The worker's check in this process (the coordinator's above is the exit-code check through the built bin).
    const w = await dassReproHere(['worker', '--queue', `redis://alice:s3cret@127.0.0.1:${port}/0`], work);
    expect(w.code).toBe(2);
    expect(w.out.trim().split('\n')).toEqual([`dass-repro worker: --queue redis://127.0.0.1:${port}/0: Redis unreachable (ECONNREFUSED)`]);
  });
});
