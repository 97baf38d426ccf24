/**
 * Runs several `dass` command lines one after another through `main` in ONE process started by the hostile tests
 * with a small V8 heap (`runDassBatch`): the memory checks of many cases for the price of one Node start. After each
 * case it records the process's peak RSS so far (Linux VmHWM), so a case that allocated past the bound is named: the
 * first whose record exceeds it. Results are appended one JSON line per case as they finish, so a process killed by
 * its heap limit or time limit still says which cases ran.
 *
 *   node dist/hostile/run-batch.js <cases.json: [{ id, argv }]> <results.jsonl> <per-case limit ms>
 */
import { appendFileSync, readFileSync } from 'node:fs';
import { peakRssBytes } from '@dass/pipeline';
import { main } from '../main.js';
import type { BatchCase, BatchResult } from './run-dass.js';

async function runCase(c: BatchCase, limitMs: number): Promise<BatchResult> {
  let stdout = '';
  let stderr = '';
  const io = {
    stdout: { write: (text: string) => void (stdout += text) },
    stderr: { write: (text: string) => void (stderr += text) },
    env: { ...process.env, DASS_DEBUG: '' },
  };
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), limitMs)));
  const code = await Promise.race([main(c.argv, io), timeout]).finally(() => clearTimeout(timer));
  const seconds = (performance.now() - started) / 1000;
  return { id: c.id, code: code === 'timeout' ? null : code, stdout, stderr, timedOut: code === 'timeout', seconds, maxRssBytes: peakRssBytes() };
}

const [casesFile, resultsFile, limit] = process.argv.slice(2);
if (casesFile === undefined || resultsFile === undefined) {
  process.stderr.write('usage: node run-batch.js <cases.json> <results.jsonl> [per-case limit ms]\n');
  process.exit(2);
}
const cases = JSON.parse(readFileSync(casesFile, 'utf8')) as BatchCase[];
for (const c of cases) appendFileSync(resultsFile, JSON.stringify(await runCase(c, Number(limit ?? 20_000))) + '\n');
// A timed-out case may still hold the event loop; the results are written.
process.exit(0);
