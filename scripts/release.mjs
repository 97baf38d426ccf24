#!/usr/bin/env node
// Releases the publishable packages (packages/*) with changesets; each package has its own version.
//   pnpm release --dry-run   prints what the next release publishes: every public package, its version now, the
//                            version the pending changesets give it (`pnpm version-packages`) and why; writes nothing
//   pnpm release             builds from clean dist folders, runs the pack smoke (scripts/pack-smoke.mjs) and `changeset publish`, which
//                            publishes (pnpm publish) every package whose version is not on the registry yet.
//                            Run `pnpm version-packages` and commit its version bumps and CHANGELOGs first.
// How to add a changeset: README.md, "Releasing".
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');

function sh(cmd, argv, { capture = false } = {}) {
  const r = spawnSync(cmd, argv, { cwd: repoRoot, encoding: 'utf8', stdio: capture ? 'pipe' : 'inherit' });
  if (r.error) throw r.error;
  if (r.status !== 0) {
    if (capture) process.stderr.write(r.stdout + r.stderr);
    process.stderr.write(`release: ${cmd} ${argv.join(' ')} exited ${r.status}\n`);
    process.exit(1);
  }
  return r.stdout;
}

/** The public packages: name → { version, dir }. */
function publicPackages() {
  const out = new Map();
  for (const dir of readdirSync(join(repoRoot, 'packages'))) {
    const manifest = JSON.parse(readFileSync(join(repoRoot, 'packages', dir, 'package.json'), 'utf8'));
    if (!manifest.private) out.set(manifest.name, { version: manifest.version, dir: `packages/${dir}` });
  }
  return out;
}

/**
 * The pending changesets and the releases they make (dependents included), from changesets' own planner. Not
 * `changeset status`: it also refuses to answer while a package differs from main without a changeset.
 */
async function pendingReleases() {
  const mod = await import('@changesets/get-release-plan');
  const getReleasePlan = mod.default?.default ?? mod.default ?? mod;
  return getReleasePlan(repoRoot);
}

async function dryRun() {
  const packages = publicPackages();
  const status = await pendingReleases();
  const byName = new Map(status.releases.map((r) => [r.name, r]));
  const rows = [...packages].map(([name, { version }]) => {
    const r = byName.get(name);
    if (!r || r.type === 'none') return [name, version, version, '-', 'no changeset: unchanged'];
    const why = r.changesets.length > 0 ? `changeset ${r.changesets.join(', ')}` : 'a dependency left its range';
    return [name, version, r.newVersion, r.type, why];
  });
  const header = ['package', 'now', 'next', 'bump', 'why'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells) =>
    cells
      .map((c, i) => c.padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  console.log(`${status.changesets.length} pending changeset(s); \`pnpm version-packages\` would set these versions and CHANGELOGs:\n`);
  console.log(line(header));
  for (const r of rows) console.log(line(r));
  const bumped = rows.filter((r) => r[3] !== '-');
  console.log(
    bumped.length > 0
      ? `\nthen \`pnpm release\` publishes: ${bumped.map((r) => `${r[0]}@${r[2]}`).join(', ')} (and any other package whose version is not on the registry yet)`
      : '\nnothing to version; `pnpm release` publishes only the packages whose current version is not on the registry yet',
  );
}

async function release() {
  const status = await pendingReleases();
  if (status.changesets.length > 0) {
    process.stderr.write(`release: ${status.changesets.length} changeset(s) not applied yet: run \`pnpm version-packages\`, review and commit, then release\n`);
    process.exit(2);
  }
  // A clean build: \`tsc -b\` only ever adds and updates files in dist/, so a source file deleted since the last build
  // would still have its .js there and ship; the dist folders go first and turbo's cache is bypassed.
  for (const group of ['packages', 'apps']) {
    for (const dir of readdirSync(join(repoRoot, group))) rmSync(join(repoRoot, group, dir, 'dist'), { recursive: true, force: true });
  }
  sh('pnpm', ['exec', 'turbo', 'run', 'build', '--force']);
  sh(process.execPath, ['scripts/pack-smoke.mjs']);
  sh('pnpm', ['exec', 'changeset', 'publish']);
}

const args = process.argv.slice(2);
const unknown = args.filter((a) => a !== '--dry-run');
if (unknown.length > 0) {
  process.stderr.write(`release: unknown argument ${JSON.stringify(unknown[0])} (usage: pnpm release [--dry-run])\n`);
  process.exit(2);
}
if (args.includes('--dry-run')) await dryRun();
else await release();
