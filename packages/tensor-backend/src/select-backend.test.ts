import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { selectBackend, tf } from './index.js';

const gpuInstalled = (() => {
  try {
    createRequire(import.meta.url).resolve('@tensorflow/tfjs-node-gpu');
    return true;
  } catch {
    return false;
  }
})();

describe('selectBackend', () => {
  it('auto skips the native backends that are not installed and lands on wasm', async () => {
    const choice = await selectBackend('auto');
    expect(['tensorflow-gpu', 'tensorflow', 'wasm']).toContain(choice.name);
    if (choice.name === 'wasm') {
      expect(choice.skipped.map((s) => s.name)).toEqual(['tensorflow-gpu', 'tensorflow']);
      for (const s of choice.skipped) expect(s.reason.length).toBeGreaterThan(0);
    }
    const c = tf.matMul(tf.tensor2d([[1, 2], [3, 4]]), tf.tensor2d([[5], [6]]));
    expect(Array.from(await c.data())).toEqual([17, 39]);
  });

  it('rejects an unknown backend name, naming it', async () => {
    await expect(selectBackend('metal' as never)).rejects.toThrow(/backend: expected one of .* got "metal"/);
  });

  // Skipped (visibly) where tfjs-node-gpu is installed: then there is no missing backend to ask for.
  it.skipIf(gpuInstalled)('a named backend that is missing is an error naming it', async () => {
    await expect(selectBackend('tensorflow-gpu')).rejects.toThrow(/backend tensorflow-gpu is not available/);
  });
});
