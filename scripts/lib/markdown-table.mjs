/** A GitHub markdown table; numbers right-aligned. `rows` are arrays of cells (strings or numbers). */
export function markdownTable(header, rows) {
  const numeric = header.map((_, c) => rows.length > 0 && rows.every((r) => typeof r[c] === 'number' || /^[\d.,]+( ?[a-zA-Z%×]+)?$/.test(String(r[c]))));
  const line = (cells) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map((_, c) => (numeric[c] ? '---:' : '---'))), ...rows.map((r) => line(r.map(String)))].join('\n');
}

/** Fixed decimals with thousands separators. */
export function fmt(value, decimals = 1) {
  return Number(value).toLocaleString('en-US', { minimumFractionDigits: decimals, maximumFractionDigits: decimals });
}
