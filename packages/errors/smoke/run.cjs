// Pack smoke (scripts/pack-smoke.mjs): runs against the installed tarball, loaded by `import` and by `require`.
// An InvalidArgumentError names its field, renames it through describe(), and is recognised by isInstance.
'use strict';
const assert = require('node:assert/strict');

module.exports = async function run(errors) {
  const err = new errors.InvalidArgumentError('seqlen', (name) => `expected a positive integer, got 0 (see ${name('nsamples')})`);
  assert.equal(err.code, 'DASS_INVALID_ARGUMENT');
  assert.equal(err.field, 'seqlen');
  assert.equal(err.message, 'seqlen: expected a positive integer, got 0 (see nsamples)');
  const shown = err.describe((field) => `--${field}`);
  assert.equal(shown, '--seqlen: expected a positive integer, got 0 (see --nsamples)');
  assert.equal(errors.DassError.isInstance(err), true);
  assert.equal(errors.DassError.isInstance(new RangeError('seqlen: x')), false);
  return `InvalidArgumentError ${err.code}: ${shown}`;
};
