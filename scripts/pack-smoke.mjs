#!/usr/bin/env node
// Installs every publishable package the way a new user gets it, one at a time, and checks it works there:
//   1. `pnpm pack` each package in packages/ (what `pnpm publish` would upload; needs `pnpm build` first);
//   2. checks each tarball: no tests, benchmarks or test fixtures; every `exports`/`main`/`types` target shipped;
//      every source map's `sources` shipped; no `workspace:` ranges left; no `./test` or `./bench` export;
//   3. installs it ALONE into an empty temp project with npm (third-party dependencies from the registry, sibling
//      @dass packages from their own tarballs through `overrides`, so nothing comes from the workspace);
//   4. runs its smoke script (packages/<pkg>/smoke/run.cjs: one real thing with a checked result) twice, on the
//      package loaded with ESM `import` and with CommonJS `require` (Node >= 20.19 loads the ESM entry: require(esm)).
// Usage: node scripts/pack-smoke.mjs [--only scoring,nm-sparsify] [--keep]   (CI: .ci/run, after the tests)
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, posix, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const PACKAGES = ['errors', 'tensor-backend', 'model-loader', 'calibration', 'scoring', 'nm-sparsify', 'evaluation', 'pipeline'];

/** Files that are tests, benchmarks or test fixtures: none may ship. `fixtures/` ships only where the runtime reads it. */
const FORBIDDEN = [
  /(^|\/)(test|test-support|bench|__tests__)\//,
  /\.test\.[cm]?[jt]s$/,
  /(^|\/)(bench|sparsegpt-bench|fake-language-model|fake-tokenizers|protobuf-test-writer)\.(js|d\.ts|ts)$/,
  /(^|\/)(vitest\.config|tsconfig[^/]*)\.[a-z]+$/,
];
/** What each package's runtime reads from `fixtures/` (evaluation: the zero-shot task files, with their licences). */
const RUNTIME_FIXTURES = { evaluation: [/^fixtures\/tasks\//, /^fixtures\/LICENSES\.md$/] };

function parseArgs(argv) {
  const args = { only: PACKAGES, keep: false };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--only') {
      const only = (argv[++i] ?? '').split(',').filter(Boolean);
      const unknown = only.filter((p) => !PACKAGES.includes(p));
      if (only.length === 0 || unknown.length > 0) fail(`--only: expected some of ${PACKAGES.join(', ')}, got ${JSON.stringify(argv[i] ?? '')}`);
      args.only = only;
    } else if (argv[i] === '--keep') args.keep = true;
    else fail(`unknown argument ${JSON.stringify(argv[i])} (usage: node scripts/pack-smoke.mjs [--only a,b] [--keep])`);
  }
  return args;
}

function fail(message) {
  process.stderr.write(`pack-smoke: ${message}\n`);
  process.exit(2);
}

const seconds = (t0) => ((performance.now() - t0) / 1000).toFixed(1);

function failure(cmd, argv, cwd, status, output) {
  return new Error(`${cmd} ${argv.join(' ')} (in ${cwd}) exited ${status}:\n${output.trim().split('\n').slice(-20).join('\n')}`);
}

function runSync(cmd, argv, cwd) {
  const r = spawnSync(cmd, argv, { cwd, encoding: 'utf8' });
  if (r.error) throw r.error;
  if (r.status !== 0) throw failure(cmd, argv, cwd, r.status, r.stdout + r.stderr);
  return r.stdout;
}

/** Runs a command without blocking the others (the installs overlap: they wait on the network and the disk). */
function run(cmd, argv, cwd) {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(cmd, argv, { cwd, env: { ...process.env, npm_config_update_notifier: 'false' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (status) => (status === 0 ? resolvePromise(stdout) : reject(failure(cmd, argv, cwd, status, stdout + stderr))));
  });
}

/** Calls `fn` on every item, at most `limit` at a time; results in input order. */
async function mapLimit(items, limit, fn) {
  const results = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** Every file path a manifest's exports/main/types name (conditions walked recursively). */
function manifestTargets(manifest) {
  const out = [];
  const walk = (v) => {
    if (typeof v === 'string') out.push(v);
    else if (v && typeof v === 'object') for (const x of Object.values(v)) walk(x);
  };
  walk(manifest.exports);
  for (const k of ['main', 'types', 'module']) if (typeof manifest[k] === 'string') out.push(manifest[k]);
  return [...new Set(out)];
}

/** Problems with one extracted tarball (`root` = its `package/` folder), as sentences; empty when it is right. */
function checkTarball(pkg, root) {
  const problems = [];
  const files = [];
  const walk = (dir, rel) => {
    for (const name of readdirSync(dir)) {
      const abs = join(dir, name);
      const r = rel ? `${rel}/${name}` : name;
      if (statSync(abs).isDirectory()) walk(abs, r);
      else files.push(r);
    }
  };
  walk(root, '');
  const shipped = new Set(files);
  for (const f of files) {
    if (FORBIDDEN.some((re) => re.test(f))) problems.push(`ships test or benchmark file ${f}`);
    if (/^fixtures\//.test(f) && !(RUNTIME_FIXTURES[pkg] ?? []).some((re) => re.test(f))) problems.push(`ships fixture ${f}, which the runtime does not read`);
  }
  const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const exportKeys = Object.keys(manifest.exports ?? {});
  for (const key of ['.', './package.json']) if (!exportKeys.includes(key)) problems.push(`exports has no ${JSON.stringify(key)}`);
  for (const key of exportKeys.filter((k) => /^\.\/(test|bench)\b/.test(k))) problems.push(`exports ${JSON.stringify(key)}, a workspace-only subpath`);
  const dot = manifest.exports?.['.'] ?? {};
  for (const cond of ['types', 'import', 'default']) if (typeof dot[cond] !== 'string') problems.push(`exports["."] has no "${cond}" condition`);
  if (manifest.sideEffects === undefined) problems.push('no sideEffects field');
  for (const target of manifestTargets(manifest)) {
    // A subpath pattern (`./schemas/*`) needs at least one file it matches.
    const [before, after] = posix.normalize(target).split('*');
    const found = after === undefined ? shipped.has(before) : files.some((f) => f.startsWith(before) && f.endsWith(after));
    if (!found) problems.push(`${target} (named in exports/main/types) is not in the tarball`);
  }
  for (const field of ['dependencies', 'peerDependencies', 'optionalDependencies']) {
    for (const [name, range] of Object.entries(manifest[field] ?? {})) {
      if (String(range).startsWith('workspace:')) problems.push(`${field}.${name} is still ${range}`);
    }
  }
  let maps = 0;
  for (const f of files.filter((x) => x.endsWith('.map'))) {
    maps++;
    const map = JSON.parse(readFileSync(join(root, f), 'utf8'));
    for (const source of map.sources ?? []) {
      const target = posix.normalize(posix.join(posix.dirname(f), map.sourceRoot ?? '', source));
      if (!shipped.has(target)) problems.push(`${f} maps to ${source}, which is not in the tarball`);
    }
  }
  return { problems, manifest, files: files.length, maps };
}

/** The temp project for one package: its tarball as the only dependency, the siblings' tarballs as overrides. */
function writeProject(dir, pkg, tarballs) {
  mkdirSync(dir, { recursive: true });
  const name = `@dass/${pkg}`;
  const overrides = Object.fromEntries(
    Object.entries(tarballs)
      .filter(([n]) => n !== name)
      .map(([n, file]) => [n, `file:${file}`]),
  );
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify({ name: `pack-smoke-${pkg}`, private: true, dependencies: { [name]: `file:${tarballs[name]}` }, overrides }, null, 2),
  );
  copyFileSync(join(repoRoot, 'packages', pkg, 'smoke', 'run.cjs'), join(dir, 'run.cjs'));
  copyFileSync(join(repoRoot, 'scripts', 'pack-smoke', 'tiny-llama2c.cjs'), join(dir, 'tiny-llama2c.cjs'));
  const installedAt = JSON.stringify(join(dir, 'node_modules', '@dass', pkg) + '/');
  writeFileSync(
    join(dir, 'import.mjs'),
    `import { fileURLToPath } from 'node:url';
import * as pkg from '${name}';
import run from './run.cjs';
const at = fileURLToPath(import.meta.resolve('${name}'));
if (!at.startsWith(${installedAt})) throw new Error('${name} resolved to ' + at + ', not to the installed tarball');
console.log(await run(pkg));
`,
  );
  writeFileSync(
    join(dir, 'require.cjs'),
    `const pkg = require('${name}');
const at = require.resolve('${name}');
if (!at.startsWith(${installedAt})) throw new Error('${name} resolved to ' + at + ', not to the installed tarball');
if (require('${name}/package.json').name !== '${name}') throw new Error('${name}/package.json: wrong manifest');
require('./run.cjs')(pkg).then((line) => console.log(line), (err) => { console.error(err); process.exitCode = 1; });
`,
  );
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const started = performance.now();
  for (const pkg of PACKAGES) {
    if (!existsSync(join(repoRoot, 'packages', pkg, 'dist', 'index.js'))) fail(`packages/${pkg}/dist/index.js is missing: run pnpm build first`);
  }
  const work = mkdtempSync(join(tmpdir(), 'dass-pack-smoke-'));
  const tarDir = join(work, 'tarballs');
  mkdirSync(tarDir);
  let failed = 0;
  try {
    // Every package is packed (the siblings of the one under test come from their tarballs too).
    const tarballs = {};
    const checks = {};
    for (const pkg of PACKAGES) {
      const before = new Set(readdirSync(tarDir));
      runSync('pnpm', ['pack', '--pack-destination', tarDir], join(repoRoot, 'packages', pkg));
      const made = readdirSync(tarDir).filter((f) => !before.has(f) && f.endsWith('.tgz'));
      if (made.length !== 1) throw new Error(`pnpm pack in packages/${pkg} made ${made.length} tarballs`);
      const file = join(tarDir, made[0]);
      const extracted = join(work, 'extracted', pkg);
      mkdirSync(extracted, { recursive: true });
      execFileSync('tar', ['-xzf', file, '-C', extracted]);
      checks[pkg] = { ...checkTarball(pkg, join(extracted, 'package')), kB: Math.round(statSync(file).size / 1024) };
      tarballs[checks[pkg].manifest.name] = file;
    }
    console.log(`packed and checked ${PACKAGES.length} tarballs (${seconds(started)} s)`);
    const lines = await mapLimit(args.only, 3, async (pkg) => {
      const t0 = performance.now();
      const { problems, manifest, files, maps, kB } = checks[pkg];
      const head = `${manifest.name}@${manifest.version} (${kB} kB, ${files} files, ${maps} source maps)`;
      try {
        if (problems.length > 0) throw new Error(`tarball:\n  ${problems.join('\n  ')}`);
        const dir = join(work, 'projects', pkg);
        writeProject(dir, pkg, tarballs);
        // --omit=optional: tensor-backend's optional webgpu (Dawn, 130 MB unpacked) is not what these checks use.
        await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--no-package-lock', '--omit=optional', '--loglevel=error'], dir);
        const installSeconds = seconds(t0);
        const viaImport = (await run(process.execPath, ['import.mjs'], dir)).trim().split('\n').at(-1);
        const viaRequire = (await run(process.execPath, ['require.cjs'], dir)).trim().split('\n').at(-1);
        if (viaImport !== viaRequire) throw new Error(`import and require disagree:\n  import:  ${viaImport}\n  require: ${viaRequire}`);
        return `ok   ${head}: installed alone in ${installSeconds} s; import + require: ${viaImport} (${seconds(t0)} s)`;
      } catch (err) {
        failed++;
        return `FAIL ${head}: ${err.message}`;
      } finally {
        if (!args.keep) rmSync(join(work, 'projects', pkg), { recursive: true, force: true });
      }
    });
    for (const line of lines) console.log(line);
  } finally {
    if (args.keep) console.log(`kept ${work}`);
    else rmSync(work, { recursive: true, force: true });
  }
  console.log(`pack smoke: ${args.only.length - failed} of ${args.only.length} packages installed alone and worked (${seconds(started)} s)`);
  process.exitCode = failed > 0 ? 1 : 0;
}

await main();
