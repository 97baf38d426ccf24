/** Plain-text tables and number formats for the human-readable (non --json) output (percentages: `formatPercent` of @dass/evaluation). */

export function formatSeconds(seconds: number): string {
  return seconds < 10 ? `${seconds.toFixed(2)} s` : `${seconds.toFixed(1)} s`;
}

export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`;
}

/** Columns padded to their widest cell; columns whose header is in `right` are right-aligned (numbers). */
export function renderTable(headers: readonly string[], rows: readonly (readonly string[])[], right: readonly string[] = []): string {
  for (const [i, row] of rows.entries()) {
    if (row.length !== headers.length) throw new RangeError(`rows[${i}]: expected ${headers.length} cells, got ${row.length}`);
  }
  const widths = headers.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, c) => (right.includes(headers[c]!) ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!)))
      .join('  ')
      .trimEnd();
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}
