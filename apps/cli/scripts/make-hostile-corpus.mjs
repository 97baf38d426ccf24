#!/usr/bin/env node
// Writes the hostile-input corpus (src/hostile/corpus.ts, built to dist/hostile/) to a folder for manual poking:
// every case's files under <dir>/<case-id>/ and the list of cases with their dass command in <dir>/cases.json.
// With --run, also runs each case against dist/bin.js and prints whether the answer was the expected one.
//
//   node scripts/make-hostile-corpus.mjs /tmp/hostile [--run] [--only <id-substring>]
import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';

const args = process.argv.slice(2);
const dir = args.find((a) => !a.startsWith('--') && args[args.indexOf(a) - 1] !== '--only');
const only = args.includes('--only') ? args[args.indexOf('--only') + 1] : undefined;
if (!dir) {
  console.error('usage: node scripts/make-hostile-corpus.mjs <dir> [--run] [--only <id-substring>]');
  process.exit(2);
}
let corpus, runner;
try {
  corpus = await import('../dist/hostile/corpus.js');
  runner = await import('../dist/hostile/run-dass.js');
} catch (err) {
  console.error(`cannot load dist/hostile (${err.message}); build first: pnpm build in apps/cli`);
  process.exit(2);
}
const cases = (await corpus.buildCorpus(resolve(dir))).filter((c) => only === undefined || c.id.includes(only));
await writeFile(join(resolve(dir), 'cases.json'), JSON.stringify(cases, null, 2) + '\n');
console.log(`wrote ${cases.length} cases to ${resolve(dir)} (cases.json lists them)`);
if (args.includes('--run')) {
  let failed = 0;
  for (const c of cases) {
    const run = await runner.runDass(c.argv);
    const problems = runner.judgeRun(c, run, 512 * 2 ** 20);
    if (problems.length > 0) failed++;
    console.log(
      `${problems.length === 0 ? 'ok  ' : 'FAIL'} ${c.id} (${run.seconds.toFixed(1)} s, ${((run.maxRssBytes ?? 0) / 2 ** 20).toFixed(0)} MiB): ${runner.errorLines(run.stderr).join(' | ')}`,
    );
    for (const p of problems) console.log(`       ${p}`);
  }
  await runner.disposeProbe();
  console.log(`${cases.length - failed}/${cases.length} as expected`);
  process.exitCode = failed > 0 ? 1 : 0;
}
