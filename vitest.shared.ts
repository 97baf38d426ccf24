// Shared vitest config: workspace packages resolve to their public entry's source (src/index.ts),
// so tests run without a prior build and still only see each package's public surface.
// Test files share their worker's module cache (isolate: false): tfjs, the wasm backend and the @dass sources load
// once per worker instead of once per file (scoring's 8 files: 13 CPU-s → 6). So a test file leaves no global
// state behind: it restores what it patches (the full-disk and write-fault helpers restore node:fs) and unregisters
// the plug-ins it registers; vitest.backend-reset.ts puts the tfjs backend back before each file. tensor-backend's
// tests are about that global state (which backend is registered and current), so it keeps a module cache per file.
import { readdirSync, existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const root = dirname(fileURLToPath(import.meta.url));
const alias: { find: string | RegExp; replacement: string }[] = [];
for (const group of ['packages', 'apps']) {
  for (const name of readdirSync(join(root, group))) {
    const src = join(root, group, name, 'src');
    if (existsSync(join(src, 'index.ts'))) alias.push({ find: new RegExp(`^@dass/${name}$`), replacement: join(src, 'index.ts') });
    if (existsSync(join(src, 'test', 'index.ts'))) alias.push({ find: new RegExp(`^@dass/${name}/test$`), replacement: join(src, 'test', 'index.ts') });
  }
}

export const repoRoot = root;

/**
 * A package's test config (its vitest.config.ts: `export default packageTestConfig(import.meta.url)`), the same
 * whether vitest runs in the package or at the root over every package (vitest.config.ts, projects). Packages whose
 * tests use the tfjs backend get vitest.backend-reset.ts (tensor-backend itself isolates its files instead).
 */
export function packageTestConfig(configUrl: string, test: { isolate?: boolean } = {}) {
  const dir = dirname(fileURLToPath(configUrl));
  type Deps = 'dependencies' | 'devDependencies' | 'peerDependencies';
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name: string } & Partial<Record<Deps, Record<string, string>>>;
  const deps: Deps[] = ['dependencies', 'devDependencies', 'peerDependencies'];
  const usesBackend = pkg.name !== '@dass/tensor-backend' && deps.some((k) => pkg[k]?.['@dass/tensor-backend'] !== undefined);
  return defineConfig({
    root: dir,
    resolve: { alias },
    test: {
      name: pkg.name,
      include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
      testTimeout: 120_000,
      hookTimeout: 120_000,
      pool: 'forks',
      maxWorkers: 2,
      isolate: false,
      setupFiles: usesBackend ? [join(root, 'vitest.backend-reset.ts')] : [],
      ...test,
    },
  });
}
export { resolve };
