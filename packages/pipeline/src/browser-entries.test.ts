// The browser entries (`browser` export condition of every @dass package) must not reach a Node built-in: this walks
// the static import graph of the built files from @dass/pipeline's browser entry, following relative imports and
// other @dass packages through their `browser` condition, and fails on any `node:` or built-in module specifier.
import { readFileSync, existsSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const packagesDir = fileURLToPath(new URL('../../', import.meta.url));
const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));

/** The file a @dass package's `.` resolves to under the browser condition (its Node entry when it has none). */
function browserEntry(pkg: string): string {
  const dir = join(packagesDir, pkg.replace('@dass/', ''));
  const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
    exports: Record<string, { browser?: { default: string }; import: string }>;
  };
  const dot = manifest.exports['.']!;
  return resolve(dir, dot.browser?.default ?? dot.import);
}

/** Static `import … from` / `export … from` / `import '…'` specifiers and literal dynamic imports of an ES module. */
function specifiers(code: string): string[] {
  const found: string[] = [];
  for (const m of code.matchAll(/(?:^|[;\n])\s*(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]/g)) found.push(m[1]!);
  for (const m of code.matchAll(/(?:^|[;\n])\s*import\s*['"]([^'"]+)['"]/g)) found.push(m[1]!);
  for (const m of code.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)) found.push(m[1]!);
  return found;
}

function walk(entry: string): { files: Set<string>; nodeImports: string[]; external: Set<string> } {
  const files = new Set<string>();
  const nodeImports: string[] = [];
  const external = new Set<string>();
  const queue = [entry];
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (files.has(file)) continue;
    files.add(file);
    for (const spec of specifiers(readFileSync(file, 'utf8'))) {
      if (builtins.has(spec)) nodeImports.push(`${file.slice(packagesDir.length)} imports ${spec}`);
      else if (spec.startsWith('.')) queue.push(resolve(dirname(file), spec));
      else if (spec.startsWith('@dass/')) queue.push(browserEntry(spec));
      else external.add(spec);
    }
  }
  return { files, nodeImports, external };
}

const ALL = ['@dass/tensor-backend', '@dass/model-loader', '@dass/calibration', '@dass/nm-sparsify', '@dass/scoring', '@dass/evaluation', '@dass/pipeline'];

describe('browser entries', () => {
  const entry = browserEntry('@dass/pipeline');
  for (const pkg of ALL) {
    it.skipIf(!existsSync(browserEntry(pkg)))(`${pkg}: its browser entry reaches no Node built-in`, () => {
      expect(walk(browserEntry(pkg)).nodeImports).toEqual([]);
    });
  }

  it.skipIf(!existsSync(entry))('reach no Node built-in from @dass/pipeline (built dist, browser condition)', () => {
    const { files, nodeImports, external } = walk(entry);
    expect(nodeImports).toEqual([]);
    // The walk really crossed packages: model-loader's CausalLM, calibration's capture, tensor-backend's selection.
    const rel = [...files].map((f) => f.slice(packagesDir.length));
    for (const expected of [
      'model-loader/dist/browser.js',
      'model-loader/dist/model/causal-lm.js',
      'calibration/dist/capture.js',
      'tensor-backend/dist/browser-backends.js',
      'scoring/dist/dass-method.js',
    ]) {
      expect(rel).toContain(expected);
    }
    // …and none of the Node-only modules of the boundary.
    for (const nodeOnly of [
      'model-loader/dist/io/file-source.js',
      'model-loader/dist/model/layer-pool.js',
      'tensor-backend/dist/node-backends.js',
      'pipeline/dist/run-prune.js',
    ]) {
      expect(rel).not.toContain(nodeOnly);
    }
    expect([...external].filter((s) => s.startsWith('@tensorflow/'))).toContain('@tensorflow/tfjs-backend-wasm');
  });

  it('the walker sees a Node built-in where there is one (the Node entry)', () => {
    const nodeEntry = resolve(packagesDir, 'pipeline/dist/index.js');
    if (!existsSync(nodeEntry)) return;
    expect(walk(nodeEntry).nodeImports.length).toBeGreaterThan(0);
  });
});
