/**
 * The project's one way to print a ratio as a percentage (CLI summaries, `dass inspect`, dass-repro's tables):
 * `ratio` is a fraction (0.5 = half), printed ×100 with `digits` decimals (`toFixed` rounding) and a `%` sign —
 * `formatPercent(0.5) === '50.00%'`, `formatPercent(1 / 3, 1) === '33.3%'`. `{ unit: false }` leaves the sign out,
 * for table cells whose header already says `(%)`. A non-finite ratio prints as `NaN` / `Infinity` (with the unit).
 */
export function formatPercent(ratio: number, digits = 2, options: { unit?: boolean } = {}): string {
  if (!Number.isInteger(digits) || digits < 0 || digits > 100) throw new RangeError(`digits: expected an integer in [0, 100], got ${String(digits)}`);
  return `${(ratio * 100).toFixed(digits)}${options.unit === false ? '' : '%'}`;
}
