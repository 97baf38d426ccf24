// Every package's tests in one vitest run (`pnpm test`): each package is a project with its own config (its
// vitest.config.ts), and one vite server transforms each source file once for all of them, where a run per package
// transformed model-loader's sources once per package that imports it. Two workers, as the machine has two cores.
import { defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * Files that start first: the web app's browser run, one long file that waits on Chromium much of the time. Vitest
 * takes the projects alphabetically, which left it for last with the other worker idle beside it; first, its waits
 * are filled by the other worker's files. (Starting the webgpu files first as well made it slower: SwiftShader and
 * Chromium running at once cost far more CPU than one after the other.) Everything else keeps vitest's order, and
 * each project's files stay together (a worker keeps its module cache within a project).
 */
const FIRST = ['apps/web/test/web.test.ts'];

class LongestFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const base = await super.sort(files);
    const rankOf = (f: TestSpecification) => {
      const i = FIRST.findIndex((path) => f.moduleId.endsWith(path));
      return i < 0 ? FIRST.length : i;
    };
    // A project is ranked by its first file to start; its files follow in that order.
    const projectRank = new Map<string, number>();
    for (const f of base) projectRank.set(f.project.name, Math.min(projectRank.get(f.project.name) ?? FIRST.length, rankOf(f)));
    const position = new Map(base.map((f, i) => [f, i]));
    return [...base].sort(
      (a, b) => projectRank.get(a.project.name)! - projectRank.get(b.project.name)! || rankOf(a) - rankOf(b) || position.get(a)! - position.get(b)!,
    );
  }
}

export default defineConfig({
  test: {
    projects: ['packages/*', 'apps/*'],
    maxWorkers: 2,
    sequence: { sequencer: LongestFirstSequencer },
  },
});
