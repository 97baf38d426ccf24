// Builds the static site (dist/): the app, tfjs-backend-wasm's binaries under tfjs-wasm/, and the bundled model,
// tokenizer and texts under data/ (read from the packages that ship them; nothing is copied into this folder).
import { readFileSync, readdirSync } from 'node:fs';
import { builtinModules, createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const packages = join(here, '../../packages');

/** Files the site serves as they are: [path in the site, source file]. */
function siteFiles(): [string, string][] {
  const wasmDir = join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist');
  const wasm = readdirSync(wasmDir)
    .filter((f) => f.endsWith('.wasm'))
    .map((f): [string, string] => [`tfjs-wasm/${f}`, join(wasmDir, f)]);
  return [
    ...wasm,
    ['data/stories260K.bin', join(packages, 'model-loader/fixtures/stories260K/stories260K.bin')],
    ['data/tok512.bin', join(packages, 'model-loader/fixtures/stories260K/tok512.bin')],
    ['data/tinystories_train_head.txt', join(packages, 'pipeline/fixtures/tinystories_train_head.txt')],
    ['data/tinystories_validation_head_60k.txt', join(packages, 'model-loader/fixtures/stories260K/tinystories_validation_head_60k.txt')],
  ];
}

/** Emits the site files into the build. */
function staticFiles(): Plugin {
  return {
    name: 'dass-static-files',
    generateBundle() {
      for (const [fileName, source] of siteFiles()) this.emitFile({ type: 'asset', fileName, source: readFileSync(source) });
    },
  };
}

/**
 * The browser build must not pull in Node built-ins: an import of one from the @dass packages or this app fails the
 * build, naming the importer. (Third-party libraries' guarded `require('crypto')` and the like are mapped away by
 * their own package.json `browser` fields, as every bundler does.)
 */
function noNodeBuiltins(): Plugin {
  const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
  return {
    name: 'dass-no-node-builtins',
    enforce: 'pre',
    resolveId(id, importer) {
      if (builtins.has(id) && importer !== undefined && !importer.includes('/node_modules/'))
        this.error(`${importer ?? '?'} imports the Node built-in "${id}": the browser entries of the @dass packages must not`);
      return null;
    },
  };
}

export default defineConfig({
  root: here,
  base: './',
  plugins: [noNodeBuiltins(), staticFiles()],
  resolve: { conditions: ['browser', 'module', 'import', 'default'] },
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022', chunkSizeWarningLimit: 4096, reportCompressedSize: false },
});
