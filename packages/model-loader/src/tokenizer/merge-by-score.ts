/**
 * Score-driven pair merging shared by the llama2.c and SentencePiece BPE encoders: repeatedly merge the adjacent pair
 * whose concatenation is a known piece with the highest score; ties go to the leftmost pair. A heap over adjacent
 * pairs makes this O(n log n), where llama2.c's rescan-everything loop is O(n^2) on long texts.
 */
import { InvalidArgumentError } from '@dass/errors';

export interface MergeSymbol {
  /** The symbol's text (the key the lookup understands). */
  text: string;
  /** The id of the piece it is, or -1 when not (yet) a piece. */
  id: number;
  /** The two symbols it was merged from (undefined for an initial symbol). */
  parts?: readonly [MergeSymbol, MergeSymbol];
}

export interface MergeCandidate {
  id: number;
  score: number;
}

/** Returns the piece `text` may merge into, or undefined when it is not mergeable. */
export type MergeLookup = (text: string) => MergeCandidate | undefined;

interface PairEntry {
  left: number;
  right: number;
  leftVersion: number;
  rightVersion: number;
  score: number;
  id: number;
  text: string;
}

/** Heap order: higher score first, then the leftmost pair (symbols keep their index, so index = sequence order). */
function before(a: PairEntry, b: PairEntry): boolean {
  return a.score > b.score || (a.score === b.score && a.left < b.left);
}

class PairHeap {
  private readonly items: PairEntry[] = [];
  get size(): number {
    return this.items.length;
  }
  push(e: PairEntry): void {
    const h = this.items;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!before(h[i], h[p])) break;
      [h[i], h[p]] = [h[p], h[i]];
      i = p;
    }
  }
  pop(): PairEntry {
    const h = this.items;
    const top = h[0];
    const last = h.pop() as PairEntry;
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && before(h[l], h[m])) m = l;
        if (r < h.length && before(h[r], h[m])) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m], h[i]];
        i = m;
      }
    }
    return top;
  }
}

/**
 * The doubly linked list over positions 0..n-1 that the merges unlink from: `prev[i]` / `next[i]` the neighbouring
 * live positions, -1 at either end. Shared with `mergeIdPairs`.
 */
export function linkedSequence(n: number): { prev: Int32Array; next: Int32Array } {
  const prev = new Int32Array(n);
  const next = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    prev[i] = i - 1;
    next[i] = i + 1 < n ? i + 1 : -1;
  }
  return { prev, next };
}

/**
 * Merges `symbols` (in order) until no adjacent pair's concatenation is accepted by `lookup` with a score above
 * `minScore` (exclusive). Returns the surviving symbols; merged ones carry `parts`. The input array is not modified.
 */
export function mergeByScore(symbols: readonly MergeSymbol[], lookup: MergeLookup, minScore = -Infinity): MergeSymbol[] {
  if (!Array.isArray(symbols)) throw new InvalidArgumentError('symbols', `expected an array, got ${typeof symbols}`);
  if (typeof lookup !== 'function') throw new InvalidArgumentError('lookup', `expected a function, got ${typeof lookup}`);
  if (typeof minScore !== 'number' || Number.isNaN(minScore)) throw new InvalidArgumentError('minScore', `expected a number, got ${minScore}`);
  const n = symbols.length;
  const sym = symbols.slice();
  const alive = new Uint8Array(n).fill(1);
  const version = new Uint32Array(n);
  const { prev, next } = linkedSequence(n);
  const heap = new PairHeap();
  const tryAdd = (left: number, right: number): void => {
    if (left < 0 || right < 0) return;
    const text = sym[left].text + sym[right].text;
    const hit = lookup(text);
    if (hit === undefined || !(hit.score > minScore)) return;
    heap.push({ left, right, leftVersion: version[left], rightVersion: version[right], score: hit.score, id: hit.id, text });
  };
  for (let i = 0; i + 1 < n; i++) tryAdd(i, i + 1);

  while (heap.size > 0) {
    const e = heap.pop();
    // Stale: one side was merged away or grew since this pair was queued.
    if (!alive[e.left] || !alive[e.right] || version[e.left] !== e.leftVersion || version[e.right] !== e.rightVersion) continue;
    if (next[e.left] !== e.right) continue;
    sym[e.left] = { text: e.text, id: e.id, parts: [sym[e.left], sym[e.right]] };
    version[e.left]++;
    alive[e.right] = 0;
    const after = next[e.right];
    next[e.left] = after;
    if (after >= 0) prev[after] = e.left;
    tryAdd(prev[e.left], e.left);
    tryAdd(e.left, after);
  }

  const out: MergeSymbol[] = [];
  for (let i = n > 0 ? 0 : -1; i >= 0; i = next[i]) out.push(sym[i]);
  return out;
}
