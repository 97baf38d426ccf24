import type { Tokenizer } from '@dass/model-loader';
import { InvalidArgumentError } from '@dass/errors';

export interface EncodedPair {
  /** BOS + the context's tokens (as cut from the whole encoding). */
  contextIds: number[];
  /** The continuation's tokens: the tail of encode(context + continuation) beyond the context's token count. */
  continuationIds: number[];
}

/**
 * lm-evaluation-harness `_encode_pair` for decoder-only models: trailing whitespace of the context moves to the
 * front of the continuation; whole = encode(context + continuation) and the context's token count n = |encode(context)|
 * (both with BOS); context = whole[:n], continuation = whole[n:]. Encoding the whole string keeps the merges a
 * tokenizer makes across the boundary. When the continuation merged entirely into the context's last token
 * (whole no longer than the context encoding), that last token becomes the continuation, as newer harness
 * backends do, so every choice scores at least one token.
 */
export function encodePair(tokenizer: Tokenizer, context: string, continuation: string): EncodedPair {
  if (typeof context !== 'string') throw new InvalidArgumentError('context', `expected a string, got ${typeof context}`);
  if (typeof continuation !== 'string' || continuation.length === 0) {
    throw new InvalidArgumentError('continuation', `expected a non-empty string, got ${JSON.stringify(continuation)}`);
  }
  const trimmed = context.replace(/\s+$/u, '');
  const nSpaces = context.length - trimmed.length;
  if (nSpaces > 0) {
    continuation = context.slice(trimmed.length) + continuation;
    context = trimmed;
  }
  const whole = tokenizer.encode(context + continuation, { bos: true, eos: false });
  let contextLen = tokenizer.encode(context, { bos: true, eos: false }).length;
  if (contextLen >= whole.length) contextLen = whole.length - 1;
  if (contextLen < 1) {
    throw new Error(`encodePair: ${JSON.stringify(context + continuation)} encodes to ${whole.length} token(s); need a context token and a continuation token`);
  }
  return { contextIds: whole.slice(0, contextLen), continuationIds: whole.slice(contextLen) };
}
