/**
 * Deliberately naive reference for tests: sort a group's indices by (score, index) with a full sort and prune the
 * first k. Independent of the quickselect/rank-count code it checks.
 */
export function referenceGroupMask(scores: ArrayLike<number>, indices: number[], k: number, mask: Uint8Array): void {
  const order = [...indices].sort((a, b) => scores[a] - scores[b] || a - b);
  for (let i = 0; i < k; i++) mask[order[i]] = 1;
}

/** Groups of a matrix as lists of flat indices. */
export function rowGroups(rows: number, cols: number): number[][] {
  return Array.from({ length: rows }, (_, r) => Array.from({ length: cols }, (_, c) => r * cols + c));
}
export function columnGroups(rows: number, cols: number): number[][] {
  return Array.from({ length: cols }, (_, c) => Array.from({ length: rows }, (_, r) => r * cols + c));
}
/** M consecutive along 'in' (within a row) or 'out' (within a column); incomplete tails omitted. */
export function nmGroups(rows: number, cols: number, m: number, axis: 'in' | 'out'): number[][] {
  const lines = axis === 'in' ? rowGroups(rows, cols) : columnGroups(rows, cols);
  const out: number[][] = [];
  for (const line of lines) for (let s = 0; s + m <= line.length; s += m) out.push(line.slice(s, s + m));
  return out;
}

export function referenceMask(scores: ArrayLike<number>, groups: number[][], k: number): Uint8Array {
  const mask = new Uint8Array(scores.length);
  for (const g of groups) referenceGroupMask(scores, g, k, mask);
  return mask;
}

/** Writes a 0/1 mask as rows of digits, for readable test failures. */
export function maskRows(mask: Uint8Array, cols: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < mask.length; i += cols) out.push(Array.from(mask.subarray(i, i + cols)).join(''));
  return out;
}

/** Index of the first element where two masks differ, or -1 (typed-array deep-equal is slow on big masks). */
export function firstDifference(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i;
  return -1;
}
