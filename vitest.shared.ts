// Shared vitest config. A test imports the other workspace packages as their users do: `@dass/<name>` resolves
// through its package.json `exports` to its build (dist/), which Node loads as it is (no transform); only the
// workspace-only `@dass/<name>/test` subpaths map to source. So the packages a test imports must be built: `pnpm test`
// builds first, and each package's `test` script runs `tsc -b` (it builds the packages it references) before vitest.
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
/** `@dass/<name>/test` → that package's src/test/index.ts (not in its exports: never published). */
const alias: { find: string | RegExp; replacement: string }[] = [];
for (const group of ['packages', 'apps']) {
  for (const name of readdirSync(join(root, group))) {
    const src = join(root, group, name, 'src');
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
      // The workspace packages' builds are loaded by Node, not transformed by vite (as it does for node_modules).
      server: { deps: { external: [/\/(packages|apps)\/[^/]+\/dist\//] } },
      ...test,
    },
  });
}
export { resolve };
