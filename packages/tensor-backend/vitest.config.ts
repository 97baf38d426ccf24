// The shared config, but each test file gets its own module cache (isolate: true): these tests are about process-global
// state (which tfjs backends are registered, which one is current, whether the native GEMM kernels are installed).
import { packageTestConfig } from '../../vitest.shared.ts';

export default packageTestConfig(import.meta.url, { isolate: true });
