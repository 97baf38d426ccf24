import { InvalidArgumentError } from '@dass/errors';
import { applyMask, selectMask } from '@dass/nm-sparsify';
import type { MatrixPruneInput, MatrixPruneResult, PruningMethod, WeightUpdate } from './types.js';

/**
 * One matrix's pruning step through a registry entry: the method's own `prune()`, or its `score()` → the pattern
 * code's mask under `plan(kind)` → masked weight; then, when given, a weight update under that fixed mask.
 * `input.options` must hold the resolved options of the method and of the update (`resolveMethodOptions`).
 */
export function pruneMatrix(method: PruningMethod, input: MatrixPruneInput, update?: WeightUpdate): MatrixPruneResult {
  if (method.prune) {
    if (update) {
      throw new InvalidArgumentError('update', `${method.name} chooses its mask inside its own step (prune()); an update needs a method that scores`, {
        shown: update.name,
      });
    }
    return method.prune(input);
  }
  const scores = method.score!(input.weight, input.shape, input.kind, input.stats, input.options);
  const selection = selectMask(scores, input.shape, input.pattern, method.plan(input.kind), { partialGroups: input.partialGroups, name: input.name });
  if (update) {
    const updated = update.apply({ ...input, mask: selection.mask });
    return { weight: updated.weight, mask: selection.mask, denseTailWeights: selection.denseTailWeights, details: updated.details };
  }
  // The scores are dead once the mask is chosen: a float32 score array of the weight's size becomes the pruned
  // weight (a fresh one would first-touch — page-fault — another matrix-sized array).
  const reusable = scores instanceof Float32Array && scores.length === input.weight.length && scores.buffer !== input.weight.buffer;
  const weight = reusable ? scores : new Float32Array(input.weight.length);
  weight.set(input.weight);
  applyMask(weight, selection.mask, input.shape);
  return { weight, mask: selection.mask, denseTailWeights: selection.denseTailWeights };
}
