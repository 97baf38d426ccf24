/**
 * Guard against a tokenizer that does not match the model: an id at or beyond the model's vocab would index past
 * the embedding table (tfjs gathers silently return zeros or garbage rather than failing).
 */
import { ModelLoadError } from '../errors.js';
import { InvalidArgumentError } from '@dass/errors';

/**
 * Throws ModelLoadError(source, 'BAD_TOKENIZER') naming the first id >= `vocabSize` (or not a valid id).
 * `source` is the tokenizer's path (or any label) for the message.
 */
export function checkIdsInVocab(ids: ArrayLike<number>, vocabSize: number, source: string): void {
  if (ids === null || typeof ids !== 'object' || typeof ids.length !== 'number') {
    throw new InvalidArgumentError('ids', `expected an array of token ids, got ${ids === null ? 'null' : typeof ids}`);
  }
  if (!Number.isInteger(vocabSize) || vocabSize <= 0) {
    throw new InvalidArgumentError('vocabSize', `expected a positive integer, got ${vocabSize}`);
  }
  if (typeof source !== 'string' || source.length === 0) {
    throw new InvalidArgumentError('source', `expected a non-empty string naming the tokenizer, got ${JSON.stringify(source)}`);
  }
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i];
    if (!Number.isInteger(id) || id < 0) {
      throw new ModelLoadError(source, 'BAD_TOKENIZER', `token ${i} has id ${id}, not a valid token id`);
    }
    if (id >= vocabSize) {
      throw new ModelLoadError(
        source,
        'BAD_TOKENIZER',
        `token ${i} has id ${id} but the model's vocab has ${vocabSize} entries (ids 0..${vocabSize - 1}): ` + 'the tokenizer does not match the model',
      );
    }
  }
}
