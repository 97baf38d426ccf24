// Pack smoke (scripts/pack-smoke.mjs): runs against the installed tarball, loaded by `import` and by `require`.
// Starts the wasm backend (its .wasm files found inside the installed @tensorflow/tfjs-backend-wasm) and multiplies.
// onnxruntime-node is an optional peer dependency that npm does not install: the GEMM falls back to XNNPACK, saying why,
// and asking for the native one is a clear error.
'use strict';
const assert = require('node:assert/strict');

module.exports = async function run(backend) {
  const choice = await backend.selectBackend('wasm');
  assert.equal(choice.name, 'wasm');
  assert.equal(backend.tf.getBackend(), 'wasm');
  const { tf } = backend;
  const c = tf.matMul(
    tf.tensor2d([
      [1, 2],
      [3, 4],
    ]),
    tf.tensor2d([[5], [6]]),
  );
  const product = Array.from(await c.data());
  c.dispose();
  assert.deepEqual(product, [17, 39]); // [1·5 + 2·6, 3·5 + 4·6]
  assert.equal(backend.layerExecution(), 'host-assisted');
  assert.equal(choice.gemm.engine, 'xnnpack');
  assert.match(choice.gemm.reason, /onnxruntime-node is not installed/);
  assert.equal(backend.nativeGemm(), null);
  await assert.rejects(backend.selectBackend('wasm', { gemm: 'native' }), { code: 'DASS_BACKEND_UNAVAILABLE', field: 'gemm' });
  return `wasm backend: [[1,2],[3,4]]·[5,6]ᵀ = [${product}] (gemm ${choice.gemm.engine}: ${choice.gemm.reason})`;
};
