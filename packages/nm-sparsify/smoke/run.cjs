// Pack smoke (scripts/pack-smoke.mjs): runs against the installed tarball, loaded by `import` and by `require`.
// Selects a 2:4 mask on a 2×8 score matrix and compares it with the hand-worked pattern.
'use strict';
const assert = require('node:assert/strict');

module.exports = async function run(nm) {
  const scores = Float32Array.from([4, 1, 3, 2, 0.5, 0.7, 0.1, 0.9, 1, 2, 3, 4, 8, 7, 6, 5]);
  // In each group of 4 consecutive columns the 2 lowest scores are pruned (1 = pruned).
  const expected = [0, 1, 0, 1, 1, 0, 1, 0, 1, 1, 0, 0, 0, 0, 1, 1];
  const { mask } = nm.selectMask(scores, [2, 8], nm.parseSparsity('2:4'), { group: 'row', nmAxis: 'in' });
  assert.deepEqual(Array.from(mask), expected);
  const weights = Float32Array.from({ length: 16 }, (_, i) => i + 1);
  assert.equal(nm.applyMask(weights, mask, [2, 8]), 8);
  assert.deepEqual(Array.from(weights), [1, 0, 3, 0, 0, 6, 0, 8, 0, 0, 11, 12, 13, 14, 0, 0]);
  const check = nm.checkNM(weights, [2, 8], 2, 4, 'in');
  assert.equal(check.valid, true);
  assert.equal(check.groups, 4);
  // The same weights read along the other axis are not 2:4 (column groups of 4 rows do not exist in 2 rows).
  assert.throws(() => nm.checkNM(weights, [2, 8], 2, 4, 'out'));
  return `2:4 mask ${expected.join('')} (4 groups valid)`;
};
