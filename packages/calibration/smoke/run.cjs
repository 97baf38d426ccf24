// Pack smoke (scripts/pack-smoke.mjs): runs against the installed tarball, loaded by `import` and by `require`.
// Samples 3 windows of 4 tokens with seed 0 and compares them with CPython's random (the reference loaders' draws).
'use strict';
const assert = require('node:assert/strict');

module.exports = async function run(calibration) {
  // A character tokenizer: BOS = 1, 'a'..'z' = 3..28. "a..z" with BOS is 27 ids.
  const tokenizer = { encode: (text, opts = {}) => [...(opts.bos === false ? [] : [1]), ...[...text].map((ch) => ch.charCodeAt(0) - 94)] };
  const text = 'abcdefghijklmnopqrstuvwxyz';
  const s = calibration.sampleCalibration({ source: { kind: 'text', text }, tokenizer, nsamples: 3, seqlen: 4, seed: 0 });
  // python3 -c "import random; random.seed(0); print([random.randint(0, 27 - 4 - 1) for _ in range(3)])" → [12, 13, 1]
  assert.deepEqual(
    s.windows.map((w) => w.start),
    [12, 13, 1],
  );
  const ids = [1, ...[...text].map((ch) => ch.charCodeAt(0) - 94)];
  assert.deepEqual(Array.from(s.inputIds), [...ids.slice(12, 16), ...ids.slice(13, 17), ...ids.slice(1, 5)]);
  const r = new calibration.PythonRandom(0);
  assert.equal(r.random(), 0.8444218515250481); // python3 -c "import random; random.seed(0); print(random.random())"
  return `windows at ${s.windows.map((w) => w.start).join(', ')} (seed 0), ids ${Array.from(s.inputIds).join(' ')}`;
};
