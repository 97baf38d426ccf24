/**
 * A native float32 GEMM for Node: onnxruntime-node's CPU execution provider (MLAS), called synchronously.
 *
 * Why: the layer passes and SparseGPT's blocked linear algebra are GEMM-bound, and tfjs-backend-wasm's XNNPACK runs
 * f32 GEMM at ~18–21 GFLOP/s per thread on the 2-core benchmark machine, where MLAS runs 90–125 GFLOP/s on one thread
 * (README, "Faster GEMM"). onnxruntime-node ships its CPU binaries inside the npm package (bin/napi-v6/<platform>/
 * <arch>; its postinstall only downloads optional GPU binaries and is not run: `allowBuilds` in pnpm-workspace.yaml).
 *
 * onnxruntime-node is an optional peer dependency: loaded lazily when resolvable, otherwise `nativeGemm()` returns
 * null (or throws `NativeGemmUnavailableError` when asked for explicitly) and callers keep the wasm path.
 *
 * The products run through onnxruntime-node's native binding directly (`onnxruntime-node/dist/binding.js`, not a
 * public entry: its public `InferenceSession.run` only wraps this same synchronous call in setImmediate + a Promise,
 * and tfjs kernels must be synchronous). That file is why the dependency is pinned to exactly 1.30.0 — check it
 * still exports `{ binding, initOrt }` before raising the pin.
 */
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { isMainThread } from 'node:worker_threads';
import { InvalidArgumentError } from '@dass/errors';
import { NativeGemmUnavailableError } from './errors.js';

/** The exact onnxruntime-node version this module was written against (see the module comment). */
export const ONNXRUNTIME_NODE_VERSION = '1.30.0';

export interface NativeMatmulOptions {
  /** A is stored k×m (row-major) and used transposed. */
  transA?: boolean;
  /** B is stored n×k (row-major) and used transposed. */
  transB?: boolean;
  /** Where to write C (m×n, row-major, at least m·n floats; a view into another heap is fine); default: a new array. */
  out?: Float32Array;
}

/** A synchronous float32 GEMM on this thread. */
export interface NativeGemm {
  /** Intra-op threads of the sessions (MLAS's own thread pool; 1 = run on the calling thread). */
  readonly threads: number;
  /** `onnxruntime-node <version> (MLAS)`. */
  readonly engine: string;
  /**
   * C = op(A) · op(B), float32, row-major: op(A) is m×k, op(B) is k×n, C is m×n. A and B are read in place (no
   * copy); C is written into `out` when given (returned), else into a new array. Throws `InvalidArgumentError` for a
   * non-positive dimension or an array shorter than its shape; onnxruntime's own errors pass through.
   */
  matmul(a: Float32Array, b: Float32Array, m: number, k: number, n: number, options?: NativeMatmulOptions): Float32Array;
}

interface OrtTensor {
  readonly data: Float32Array;
  readonly dims: readonly number[];
}
type OrtTensorConstructor = new (type: 'float32', data: Float32Array, dims: readonly number[]) => OrtTensor;
interface OrtSession {
  loadModel(buffer: ArrayBuffer, byteOffset: number, byteLength: number, options: Record<string, unknown>): void;
  run(feeds: Record<string, OrtTensor>, fetches: Record<string, OrtTensor | null>, options: Record<string, unknown>): Record<string, OrtTensor>;
  dispose(): void;
}
interface OrtBindingModule {
  binding: { InferenceSession: new () => OrtSession };
  initOrt(): void;
}

interface Loaded {
  binding: OrtBindingModule;
  Tensor: OrtTensorConstructor;
  version: string;
}

let loaded: Loaded | undefined;
let loadError: string | undefined;

function errorText(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  return msg.split('\n')[0]!.slice(0, 200);
}

/** Loads onnxruntime-node's binding once per thread; records why it failed. */
function load(): Loaded | undefined {
  if (loaded || loadError !== undefined) return loaded;
  try {
    const require = createRequire(import.meta.url);
    const pkgPath = require.resolve('onnxruntime-node/package.json');
    const version = (require(pkgPath) as { version: string }).version;
    if (version !== ONNXRUNTIME_NODE_VERSION) {
      throw new Error(`onnxruntime-node ${version} is installed; this build of @dass/tensor-backend needs exactly ${ONNXRUNTIME_NODE_VERSION}`);
    }
    const binding = require('onnxruntime-node/dist/binding.js') as OrtBindingModule;
    // onnxruntime-common as onnxruntime-node itself resolves it: the binding builds its outputs with that Tensor.
    const common = createRequire(dirname(pkgPath) + '/')('onnxruntime-common') as { Tensor: OrtTensorConstructor };
    binding.initOrt();
    loaded = { binding, Tensor: common.Tensor, version };
  } catch (err) {
    loadError = errorText(err);
    if (/Cannot find (module|package) 'onnxruntime-node/.test(loadError)) loadError = 'onnxruntime-node is not installed';
  }
  return loaded;
}

/** Why the native GEMM cannot load on this thread (undefined when it can; tries to load it). */
export function nativeGemmLoadError(): string | undefined {
  load();
  return loadError;
}

// --- a one-node ONNX model (Gemm, symbolic m, k, n), written as protobuf bytes -------------------------------------
// onnx.proto: ModelProto{ir_version=1, graph=7, opset_import=8}, GraphProto{node=1, name=2, input=11, output=12},
// NodeProto{input=1, output=2, op_type=4, attribute=5}, AttributeProto{name=1, i=3, type=20 (INT=2)},
// ValueInfoProto{name=1, type=2}, TypeProto{tensor_type=1}, Tensor{elem_type=1 (FLOAT=1), shape=2},
// TensorShapeProto{dim=1}, Dimension{dim_param=2}.

function varint(n: number): number[] {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return out;
}
const key = (field: number, wire: number): number[] => varint((field << 3) | wire);
const bytes = (field: number, b: number[]): number[] => [...key(field, 2), ...varint(b.length), ...b];
const str = (field: number, s: string): number[] => bytes(field, [...new TextEncoder().encode(s)]);
const int = (field: number, v: number): number[] => [...key(field, 0), ...varint(v)];

function valueInfo(name: string, dims: string[]): number[] {
  const shape = dims.flatMap((d) => bytes(1, str(2, d)));
  const tensorType = [...int(1, 1), ...bytes(2, shape)];
  return [...str(1, name), ...bytes(2, bytes(1, tensorType))];
}

/** Gemm(A, B) with transA / transB attributes; every dimension symbolic, so one session serves every shape. */
function gemmModel(transA: boolean, transB: boolean): Uint8Array {
  const attr = (name: string, v: number) => bytes(5, [...str(1, name), ...int(3, v), ...int(20, 2)]);
  const node = [...str(1, 'A'), ...str(1, 'B'), ...str(2, 'C'), ...str(4, 'Gemm'), ...attr('transA', transA ? 1 : 0), ...attr('transB', transB ? 1 : 0)];
  const graph = [
    ...bytes(1, node),
    ...str(2, 'gemm'),
    ...bytes(11, valueInfo('A', transA ? ['k', 'm'] : ['m', 'k'])),
    ...bytes(11, valueInfo('B', transB ? ['n', 'k'] : ['k', 'n'])),
    ...bytes(12, valueInfo('C', ['m', 'n'])),
  ];
  return Uint8Array.from([...int(1, 8), ...bytes(8, [...str(1, ''), ...int(2, 13)]), ...bytes(7, graph)]);
}

class OrtGemm implements NativeGemm {
  readonly engine: string;
  private readonly sessions = new Map<number, OrtSession>();

  constructor(
    private readonly ort: Loaded,
    readonly threads: number,
  ) {
    this.engine = `onnxruntime-node ${ort.version} (MLAS)`;
  }

  private session(transA: boolean, transB: boolean): OrtSession {
    const id = (transA ? 1 : 0) | (transB ? 2 : 0);
    let s = this.sessions.get(id);
    if (!s) {
      const model = gemmModel(transA, transB);
      s = new this.ort.binding.binding.InferenceSession();
      s.loadModel(model.buffer as ArrayBuffer, model.byteOffset, model.byteLength, {
        intraOpNumThreads: this.threads,
        interOpNumThreads: 1,
        executionMode: 'sequential',
        graphOptimizationLevel: 'all',
      });
      this.sessions.set(id, s);
    }
    return s;
  }

  matmul(a: Float32Array, b: Float32Array, m: number, k: number, n: number, options: NativeMatmulOptions = {}): Float32Array {
    const transA = options.transA ?? false;
    const transB = options.transB ?? false;
    for (const [name, v] of [
      ['m', m],
      ['k', k],
      ['n', n],
    ] as const) {
      if (!Number.isInteger(v) || v < 1) throw new InvalidArgumentError(name, `expected a positive integer, got ${v}`);
    }
    if (a.length < m * k) throw new InvalidArgumentError('a', `holds ${a.length} floats, expected ${transA ? `${k} × ${m}` : `${m} × ${k}`}`);
    if (b.length < k * n) throw new InvalidArgumentError('b', `holds ${b.length} floats, expected ${transB ? `${n} × ${k}` : `${k} × ${n}`}`);
    const out = options.out ?? new Float32Array(m * n);
    if (out.length < m * n) throw new InvalidArgumentError('out', `holds ${out.length} floats, expected ${m} × ${n}`);
    const T = this.ort.Tensor;
    const feeds = {
      A: new T('float32', a.length === m * k ? a : a.subarray(0, m * k), transA ? [k, m] : [m, k]),
      B: new T('float32', b.length === k * n ? b : b.subarray(0, k * n), transB ? [n, k] : [k, n]),
    };
    const c = new T('float32', out.length === m * n ? out : out.subarray(0, m * n), [m, n]);
    this.session(transA, transB).run(feeds, { C: c }, {});
    return out;
  }
}

const instances = new Map<number, OrtGemm>();

/**
 * This thread's native GEMM with `threads` intra-op threads (default 1), or null when onnxruntime-node cannot load
 * (`nativeGemmLoadError()` says why). With `required: true` that case throws `NativeGemmUnavailableError` instead.
 * Sessions (one per transA/transB pair, every dimension symbolic) are created on first use and kept.
 */
export function nativeGemm(options: { threads?: number; required?: boolean } = {}): NativeGemm | null {
  const threads = options.threads ?? 1;
  if (!Number.isInteger(threads) || threads < 1) throw new InvalidArgumentError('threads', `expected a positive integer, got ${threads}`);
  const ort = load();
  if (!ort) {
    if (options.required) {
      throw new NativeGemmUnavailableError((field) => `${field('gemm')} native is not available${isMainThread ? '' : ' in a worker thread'}: ${loadError}`);
    }
    return null;
  }
  let g = instances.get(threads);
  if (!g) {
    g = new OrtGemm(ort, threads);
    instances.set(threads, g);
  }
  return g;
}
