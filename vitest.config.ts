// Every package's tests in one vitest run (`pnpm test`): each package is a project with its own config (its
// vitest.config.ts), and one vite server transforms each source file once for all of them, where a run per package
// transformed model-loader's sources once per package that imports it. Two workers, as the machine has two cores.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: ['packages/*', 'apps/*'],
    maxWorkers: 2,
  },
});
