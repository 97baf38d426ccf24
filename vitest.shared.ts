// Shared vitest config: workspace packages resolve to their public entry's source (src/index.ts),
// so tests run without a prior build and still only see each package's public surface.
import { readdirSync, existsSync } from 'node:fs';
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
export default defineConfig({
  resolve: { alias },
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    maxWorkers: 2,
  },
});
export { resolve };
