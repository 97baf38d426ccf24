// A setup file (vitest.shared.ts adds it where a package's tests use @dass/tensor-backend). Test files share their
// worker's module cache, so before each file the tfjs backend is put back to what a fresh process chooses: a file
// that selected webgpu or cpu, switched the wasm products to XNNPACK or capped tensor sizes would otherwise leave
// that to the files after it (the webgpu file left SwiftShader current, and the next files ran 10× slower there).
import { beforeAll } from 'vitest';
import { clearBackendChoice, limitTensorBytes, selectBackend } from '@dass/tensor-backend';

beforeAll(async () => {
  clearBackendChoice();
  limitTensorBytes(undefined);
  await selectBackend('auto');
});
