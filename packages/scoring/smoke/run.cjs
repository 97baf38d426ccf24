// Pack smoke (scripts/pack-smoke.mjs): runs against the installed tarball, loaded by `import` and by `require`.
// Scores a 2×3 gate_proj with DaSS and Wanda and compares with the hand-worked values below.
'use strict';
const assert = require('node:assert/strict');

module.exports = async function run(scoring) {
  // gate_proj [d_int = 2, in = 3]; ‖h_0‖² = 4 and ‖h_1‖² = 16 at down_proj's input; ‖X_j‖² = 1, 4, 9.
  const weight = Float32Array.from([1, -2, 3, -4, 5, -6]);
  const stats = { tokens: 16, inputSumSq: Float64Array.from([1, 4, 9]), downInputSumSq: Float64Array.from([4, 16]) };
  const dass = scoring.getScoringMethod('dass');
  // DaSS gate/up: |W_ij|·‖h_i‖^α, α = 0.5: row 0 × 2^0.5, row 1 × 4^0.5 = 2.
  const r2 = Math.SQRT2;
  const want = [1 * r2, 2 * r2, 3 * r2, 8, 10, 12];
  const got = Array.from(dass.score(weight, [2, 3], 'gate_proj', stats, { alpha: 0.5 }));
  got.forEach((v, i) => assert.ok(Math.abs(v - want[i]) < 1e-6, `dass score ${i}: ${v}, expected ${want[i]}`));
  assert.equal(dass.plan('gate_proj').nmAxis, 'out'); // gate/up: N:M groups along the output rows
  // Wanda: |W_ij|·‖X_j‖ = |W_ij|·(1, 2, 3).
  const wanda = Array.from(scoring.getScoringMethod('wanda').score(weight, [2, 3], 'gate_proj', stats, {}));
  assert.deepEqual(wanda, [1, 4, 9, 4, 10, 18]);
  for (const name of ['magnitude', 'wanda', 'dass', 'ria', 'sparsegpt']) assert.ok(scoring.scoringMethodNames().includes(name), name);
  return `dass gate_proj scores ${got.map((v) => v.toFixed(4)).join(' ')}; wanda ${wanda.join(' ')}`;
};
