/** A sparsity target: a ratio zeroed per comparison group, or N zeroed in every M consecutive weights (docs/SPEC.md §1). */
import { InvalidArgumentError } from '@dass/errors';
export type SparsityPattern = UnstructuredPattern | NmPattern;
export interface UnstructuredPattern {
  kind: 'unstructured';
  /** Fraction zeroed, in [0, 1). */
  ratio: number;
}
export interface NmPattern {
  kind: 'nm';
  /** Weights zeroed per group (N). */
  n: number;
  /** Group length (M). */
  m: number;
}

const EXPECTED = 'expected a ratio in [0, 1) or "N:M" with integers 1 <= N < M';
const DECIMAL = /^(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const N_OF_M = /^(\d+):(\d+)$/;

/**
 * Parses `"0.5"` (or `"unstructured:0.5"`, or the number 0.5) and `"2:4"`. N:M counts ZEROED weights
 * (Wanda/SparseGPT/DaSS convention), so `"1:4"` is 25 % sparse.
 */
export function parseSparsity(text: string | number): SparsityPattern {
  if (typeof text === 'number') return unstructured(text, String(text));
  if (typeof text !== 'string') throw new InvalidArgumentError('sparsity', `${EXPECTED}, got ${String(text)}`);
  const trimmed = text.trim();
  const nm = N_OF_M.exec(trimmed);
  if (nm) return nmPattern(Number(nm[1]), Number(nm[2]), text);
  const body = trimmed.startsWith('unstructured:') ? trimmed.slice('unstructured:'.length) : trimmed;
  if (!DECIMAL.test(body)) throw new InvalidArgumentError('sparsity', `${EXPECTED}, got ${JSON.stringify(text)}`);
  return unstructured(Number(body), text);
}

/** Builds a validated N:M pattern. */
export function nmPattern(n: number, m: number, shown = `${n}:${m}`): NmPattern {
  if (!Number.isSafeInteger(n) || !Number.isSafeInteger(m) || n < 1 || n >= m) {
    throw new InvalidArgumentError('sparsity', `${EXPECTED}, got ${JSON.stringify(shown)} (N=${n}, M=${m})`);
  }
  return { kind: 'nm', n, m };
}

/** Builds a validated unstructured pattern. */
export function unstructured(ratio: number, shown = String(ratio)): UnstructuredPattern {
  if (typeof ratio !== 'number' || !Number.isFinite(ratio) || ratio < 0 || ratio >= 1) {
    throw new InvalidArgumentError('sparsity', `${EXPECTED}, got ${JSON.stringify(shown)}`);
  }
  return { kind: 'unstructured', ratio };
}

/** The inverse of `parseSparsity`: `"0.5"` or `"2:4"`. */
export function formatSparsity(pattern: SparsityPattern): string {
  if (pattern?.kind === 'nm') return `${nmPattern(pattern.n, pattern.m).n}:${pattern.m}`;
  if (pattern?.kind === 'unstructured') return String(unstructured(pattern.ratio).ratio);
  throw new InvalidArgumentError('pattern', `expected {kind: 'unstructured' | 'nm'}, got ${JSON.stringify(pattern)}`);
}

/** The fraction of weights the pattern zeroes when every group is complete. */
export function targetRatio(pattern: SparsityPattern): number {
  return pattern.kind === 'nm' ? pattern.n / pattern.m : pattern.ratio;
}
