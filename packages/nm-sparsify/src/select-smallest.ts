import type { ScoreArray } from './mask-types.js';

/**
 * Rearranges `a[left..right]` so that `a[k]` holds the value it would have after sorting, everything before it is
 * <= and everything after it is >= (Floyd–Rivest selection: expected ~1.5 n comparisons, no full sort).
 * Values only: index order is recovered afterwards by `markSmallest`, which is what makes ties stable.
 */
export function selectKth(a: ScoreArray, k: number, left: number, right: number): void {
  while (right > left) {
    if (right - left > 600) {
      // Recurse on a sample around k so the pivot lands close to the k-th value.
      const n = right - left + 1;
      const i = k - left + 1;
      const z = Math.log(n);
      const s = 0.5 * Math.exp((2 * z) / 3);
      const sd = 0.5 * Math.sqrt((z * s * (n - s)) / n) * (i - n / 2 < 0 ? -1 : 1);
      const newLeft = Math.max(left, Math.floor(k - (i * s) / n + sd));
      const newRight = Math.min(right, Math.floor(k + ((n - i) * s) / n + sd));
      selectKth(a, k, newLeft, newRight);
    }
    const t = a[k];
    let i = left;
    let j = right;
    swap(a, left, k);
    if (a[right] > t) swap(a, left, right);
    while (i < j) {
      swap(a, i, j);
      i++;
      j--;
      while (a[i] < t) i++;
      while (a[j] > t) j--;
    }
    if (a[left] === t) swap(a, left, j);
    else {
      j++;
      swap(a, j, right);
    }
    if (j <= k) left = j + 1;
    if (k <= j) right = j - 1;
  }
}

function swap(a: ScoreArray, i: number, j: number): void {
  const t = a[i];
  a[i] = a[j];
  a[j] = t;
}

/**
 * Marks (mask = 1) the `k` smallest of `length` scores read at `src[srcOffset + i·srcStride]`, writing
 * `mask[maskOffset + i·maskStride]`. Order is by (score, index): among equal scores the lower index goes first.
 * `work` is scratch of at least `length` elements, of the same float type as `src` (no precision loss).
 */
export function markSmallest(
  src: ScoreArray,
  srcOffset: number,
  srcStride: number,
  length: number,
  k: number,
  mask: Uint8Array,
  maskOffset: number,
  maskStride: number,
  work: ScoreArray,
): void {
  if (k <= 0) return;
  if (k >= length) {
    for (let i = 0; i < length; i++) mask[maskOffset + i * maskStride] = 1;
    return;
  }
  for (let i = 0; i < length; i++) work[i] = src[srcOffset + i * srcStride];
  selectKth(work, k - 1, 0, length - 1);
  const threshold = work[k - 1];
  // work[0..k-1] are the k smallest values; those strictly below the threshold are all pruned, and the
  // remaining slots go to scores equal to the threshold in index order.
  let below = 0;
  for (let i = 0; i < k; i++) if (work[i] < threshold) below++;
  let ties = k - below;
  for (let i = 0; i < length; i++) {
    const s = src[srcOffset + i * srcStride];
    if (s < threshold) mask[maskOffset + i * maskStride] = 1;
    else if (s === threshold && ties > 0) {
      mask[maskOffset + i * maskStride] = 1;
      ties--;
    }
  }
}

/** Scratch of the same float type as `like`. */
export function scratchLike(like: ScoreArray, length: number): ScoreArray {
  return like instanceof Float64Array ? new Float64Array(length) : new Float32Array(length);
}
