/** Arithmetic mean (NaN for an empty list). */
export function mean(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  let s = 0;
  for (const v of values) s += v;
  return s / values.length;
}

/**
 * Standard error of the mean as lm-eval-harness's `mean_stderr` reports it: the sample standard deviation
 * (n − 1 denominator) over sqrt(n). For 0/1 accuracies that is sqrt(p(1 − p) / (n − 1)). NaN when n < 2.
 */
export function meanStderr(values: readonly number[]): number {
  const n = values.length;
  if (n < 2) return Number.NaN;
  const mu = mean(values);
  let ss = 0;
  for (const v of values) ss += (v - mu) * (v - mu);
  return Math.sqrt(ss / (n - 1)) / Math.sqrt(n);
}
