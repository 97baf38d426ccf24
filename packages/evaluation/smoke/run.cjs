// Pack smoke (scripts/pack-smoke.mjs): runs against the installed tarball, loaded by `import` and by `require`.
// Zero-shot on every bundled task (the task files must ship inside the package) with a model whose every next-token
// log-prob is 0: all choices tie, argmax takes the first, so acc = acc_norm = the share of items whose gold is 0;
// LAMBADA's greedy check never matches (argmax id -1): acc 0, perplexity exp(0) = 1.
'use strict';
const assert = require('node:assert/strict');
const { readFileSync } = require('node:fs');
const { dirname, join, sep } = require('node:path');

const zeroModel = {
  config: { vocabSize: 259, maxPositionEmbeddings: 2048 },
  tokenNll: async (_ids, batch, seqLen) => new Float32Array(batch * (seqLen - 1)),
  tokenNllAndArgmax: async (_ids, batch, seqLen) => ({ nll: new Float32Array(batch * (seqLen - 1)), argmax: new Int32Array(batch * (seqLen - 1)).fill(-1) }),
};
// Bytes as tokens: BOS 1, EOS 2, byte b → b + 3.
const byteTokenizer = {
  kind: 'llama2c',
  vocabSize: 259,
  bosId: 1,
  eosId: 2,
  sha256: '',
  encode: (text, o = {}) => [...(o.bos === false ? [] : [1]), ...Buffer.from(text, 'utf8').map((b) => b + 3), ...(o.eos ? [2] : [])],
  decode: (ids) => Buffer.from(ids.filter((i) => i >= 3).map((i) => i - 3)).toString('utf8'),
};

module.exports = async function run(evaluation) {
  const installed = dirname(require.resolve('@dass/evaluation/package.json'));
  assert.ok(
    evaluation.defaultTasksDir.startsWith(join(installed, 'fixtures', 'tasks') + sep),
    `defaultTasksDir ${evaluation.defaultTasksDir} is outside ${installed}`,
  );
  const limit = 10;
  const lines = [];
  for (const name of Object.keys(evaluation.zeroShotTasks)) {
    const task = evaluation.getZeroShotTask(name);
    const r = await evaluation.evaluateZeroShot(zeroModel, byteTokenizer, name, { limit });
    assert.equal(r.n, limit, name);
    if (task.metrics === 'last_word') {
      assert.equal(r.acc, 0, name);
      assert.equal(r.perplexity, 1, name);
    } else {
      const docs = evaluation.loadTaskDocs(task).slice(0, limit);
      const firstIsGold = docs.filter((d) => d.gold === 0).length / limit;
      assert.equal(r.acc, firstIsGold, name);
      if (task.accNorm) assert.equal(r.accNorm, firstIsGold, name);
    }
    lines.push(`${name} ${r.acc}`);
  }
  // piqa's gold straight from its file, not through the package's parser.
  const piqaRows = readFileSync(join(evaluation.defaultTasksDir, 'piqa', 'piqa_validation.jsonl'), 'utf8')
    .split('\n')
    .slice(0, limit);
  const piqa = await evaluation.evaluateZeroShot(zeroModel, byteTokenizer, 'piqa', { limit });
  assert.equal(piqa.acc, piqaRows.filter((l) => JSON.parse(l).gold === 0).length / limit);
  return `${lines.length} bundled tasks, ${limit} items each, acc: ${lines.join(', ')}`;
};
