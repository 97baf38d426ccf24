// node scripts/sparsegpt-precision/study.mjs NAME N ROWS [LEAVES] after gen.py wrote NAME.{H,U64,W} into $STUDY_DIR (default .cache/study); needs pnpm build.
// float32 Hessian vs float32 sweep contributions to SparseGPT mask disagreement (reference: float64 LAPACK factor + float64 sweep).
import { readFileSync } from 'node:fs';
import { ensureBackend, tf } from '../../packages/tensor-backend/dist/index.js';
import { upperCholeskyOfInverseBlocked, withLinalgPool } from '../../packages/nm-sparsify/dist/index.js';
import { blockedTuning } from '../../packages/nm-sparsify/dist/linalg-blocked.js';
import { sweepWithFactor } from '../../packages/nm-sparsify/dist/sparsegpt.js';
await ensureBackend();
const [name, nStr, rowsStr, leafs = '256'] = process.argv.slice(2);
const n = +nStr,
  rows = +rowsStr;
const dir = process.env.STUDY_DIR ?? '.cache/study';
const f64 = (p) => {
  const b = readFileSync(p);
  return new Float64Array(b.buffer, b.byteOffset, b.length / 8);
};
const H = f64(`${dir}/${name}.H.f64`);
const U64 = f64(`${dir}/${name}.U64.f64`);
const wb = readFileSync(`${dir}/${name}.W.f32`);
const W = new Float32Array(wb.buffer, wb.byteOffset, rows * n);
const pattern = { kind: 'nm', n: 2, m: 4 };
const Hf = tf.tensor2d(Float32Array.from(H), [n, n]);
function recon(pruned) {
  const d = new Float32Array(rows * n);
  for (let p = 0; p < d.length; p++) d[p] = W[p] - pruned[p];
  const prod = tf.tidy(() => tf.matMul(tf.tensor2d(d, [rows, n]), Hf));
  const g = prod.dataSync();
  prod.dispose();
  let t = 0;
  for (let p = 0; p < d.length; p++) t += d[p] * g[p];
  return t;
}
function resid(u) {
  // ||H UᵀU v - v||/||v||, one vector
  let seed = 3;
  const v = Float64Array.from({ length: n }, () => (seed = (seed * 48271) % 2147483647) / 2147483647 - 0.5);
  const uv = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = i; j < n; j++) s += u[i * n + j] * v[j];
    uv[i] = s;
  }
  const w = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const x = uv[i];
    for (let j = i; j < n; j++) w[j] += u[i * n + j] * x;
  }
  let num = 0,
    den = 0;
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < n; j++) s += H[i * n + j] * w[j];
    num += (s - v[i]) ** 2;
    den += v[i] ** 2;
  }
  return Math.sqrt(num / den);
}
const t0 = performance.now();
const ref = sweepWithFactor(W, rows, n, U64, pattern, 'plain');
const e64 = recon(ref.weight);
console.log(
  `${name} rows ${rows}: ref (U64 LAPACK, f64 sweep) err ${e64.toExponential(4)} [${((performance.now() - t0) / 1000).toFixed(0)} s]; resid U64 ${resid(U64).toExponential(2)}`,
);
const cmp = (label, r) => {
  let same = 0;
  for (let p = 0; p < r.mask.length; p++) if (r.mask[p] === ref.mask[p]) same++;
  console.log(`${label}: masks identical ${((100 * same) / r.mask.length).toFixed(3)} %, err ratio-1 ${(recon(r.weight) / e64 - 1).toExponential(2)}`);
};
cmp('U64 + f32 sweep', sweepWithFactor(W, rows, n, U64, pattern, 'tfjs'));
for (const leaf of leafs.split(',').map(Number)) {
  Object.assign(blockedTuning, { leaf, trmmLeaf: 256 });
  let t = performance.now();
  const U32 = await withLinalgPool(2, () => upperCholeskyOfInverseBlocked(H, n));
  const ms = performance.now() - t;
  let md = 0,
    mu = 0;
  for (let p = 0; p < n * n; p++) {
    md = Math.max(md, Math.abs(U32[p] - U64[p]));
    mu = Math.max(mu, Math.abs(U64[p]));
  }
  console.log(
    `leaf ${leaf}: blocked inverse ${(ms / 1000).toFixed(1)} s; max|U32-U64|/max|U64| ${(md / mu).toExponential(2)}; resid ${resid(U32).toExponential(2)}`,
  );
  if (!process.env.SKIP64) cmp(`  U32(leaf ${leaf}) + f64 sweep`, sweepWithFactor(W, rows, n, U32, pattern, 'plain'));
  cmp(`  U32(leaf ${leaf}) + f32 sweep (today)`, sweepWithFactor(W, rows, n, U32, pattern, 'tfjs'));
}
