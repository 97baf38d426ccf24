/** Argument validation for token ids handed to a tokenizer (decode): integers in [0, vocabSize). */
import { InvalidArgumentError } from '@dass/errors';
export function checkTokenIds(ids: readonly number[], vocabSize: number, name: string): void {
  if (!Array.isArray(ids)) throw new InvalidArgumentError(name, `expected an array of token ids, got ${typeof ids}`);
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i];
    if (!Number.isInteger(id) || id < 0 || id >= vocabSize) {
      const where = ids.length === 1 && name !== 'ids' ? name : `${name}[${i}]`;
      throw new InvalidArgumentError(where, `expected an integer token id in [0, ${vocabSize}), got ${id}`);
    }
  }
}
