import type { CellRecord } from './cell-record.js';
import type { ResultTable } from './results-tables.js';

function escapeCell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

/** One table as GitHub-flavoured markdown: numbers right-aligned, bold as `**x**`, the dense row in italics. */
export function tableToMarkdown(table: ResultTable): string {
  const lines = [`### ${table.title}`, ''];
  if (table.caption) lines.push(table.caption, '');
  lines.push(`| ${[table.corner, ...table.header].map(escapeCell).join(' | ')} |`);
  lines.push(`|${['---', ...table.header.map(() => '---:')].join('|')}|`);
  for (const row of table.rows) {
    const label = row.dense ? `*${row.label}*` : row.label;
    const cells = row.cells.map((c) => (c.bold ? `**${escapeCell(c.text)}**` : escapeCell(c.text)));
    lines.push(`| ${[escapeCell(label), ...cells].join(' | ')} |`);
  }
  return lines.join('\n');
}

/** `results.md`: a heading, every table, and the failed cells with their errors. */
export function resultsMarkdown(options: {
  title: string;
  description?: string;
  tables: readonly ResultTable[];
  records: readonly CellRecord[];
  pending: readonly string[];
}): string {
  const parts = [`# ${options.title}`, ''];
  if (options.description) parts.push(options.description, '');
  const ok = options.records.filter((r) => r.status === 'ok').length;
  const failed = options.records.filter((r) => r.status === 'failed');
  parts.push(`Cells: ${ok} finished, ${failed.length} failed, ${options.pending.length} not run.`, '');
  for (const t of options.tables) parts.push(tableToMarkdown(t), '');
  if (failed.length > 0) {
    parts.push('### Failed cells', '');
    for (const r of failed) parts.push(`- \`${r.id}\`: ${escapeCell(r.error?.message ?? 'unknown error')}`);
    parts.push('');
  }
  return parts.join('\n');
}
