import type { CellRecord } from './cell-record.js';
import type { GridSpec } from './grid-spec.js';
import type { FigureSection } from './report-charts.js';
import type { ResultTable } from './results-tables.js';
import { patternLabel } from './results-tables.js';
import { escapeXml as esc } from './svg-charts.js';

export interface ReportInput {
  grid: GridSpec;
  /** Where the grid came from (file or built-in name). */
  origin: string;
  generatedAt: string;
  tables: readonly ResultTable[];
  sections: readonly FigureSection[];
  records: readonly CellRecord[];
  pending: readonly string[];
}

const STYLE = `
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px auto;max-width:1220px;color:#222;padding:0 16px}
h1{font-size:1.6em;margin-bottom:.2em}h2{margin-top:1.8em;border-bottom:1px solid #ddd;padding-bottom:.2em}h3{margin-bottom:.3em}
.meta{color:#555;font-size:.92em}.meta dt{font-weight:600;float:left;clear:left;width:11em}.meta dd{margin-left:11.5em}
table.results{border-collapse:collapse;margin:.4em 0 1.2em;font-size:.9em}
table.results th,table.results td{border:1px solid #ccc;padding:3px 8px;text-align:right;white-space:nowrap}
table.results th:first-child,table.results td:first-child{text-align:left}
table.results thead th{background:#f3f3f3}table.results tr.dense td{background:#fafafa;font-style:italic}
table.results td.failed{color:#b00}.caption{color:#555;font-size:.88em;margin:0}
.figures{display:flex;flex-wrap:wrap;gap:14px}figure{margin:0;border:1px solid #e5e5e5;padding:6px;width:min-content}
figcaption{font-size:.82em;color:#555}.scroll{overflow-x:auto}
.failures li{color:#900}.empty{color:#777;font-style:italic}
`;

function tableHtml(table: ResultTable): string {
  const head = `<tr><th>${esc(table.corner)}</th>${table.header.map((h) => `<th>${esc(h)}</th>`).join('')}</tr>`;
  const body = table.rows
    .map((row) => {
      const cells = row.cells
        .map((c) => {
          const cls = c.text === 'failed' ? ' class="failed"' : '';
          const title = c.note ? ` title="${esc(c.note)}"` : '';
          return `<td${cls}${title}>${c.bold ? `<b>${esc(c.text)}</b>` : esc(c.text)}</td>`;
        })
        .join('');
      return `<tr${row.dense ? ' class="dense"' : ''}><td>${esc(row.label)}</td>${cells}</tr>`;
    })
    .join('\n');
  return (
    `<section class="table" id="${esc(table.id)}"><h3>${esc(table.title)}</h3>` +
    (table.caption ? `<p class="caption">${esc(table.caption)}</p>` : '') +
    `<div class="scroll"><table class="results"><thead>${head}</thead><tbody>\n${body}\n</tbody></table></div></section>`
  );
}

function sectionHtml(section: FigureSection): string {
  const parts = [`<section id="${esc(section.id)}"><h2>${esc(section.title)}</h2>`];
  if (section.intro) parts.push(`<p>${esc(section.intro)}</p>`);
  if (section.figures.length === 0) parts.push(`<p class="empty">${esc(section.empty ?? 'Nothing to plot yet.')}</p>`);
  else {
    parts.push('<div class="figures">');
    for (const f of section.figures) parts.push(`<figure id="${esc(f.id)}">${f.svg}<figcaption>${esc(f.caption)}</figcaption></figure>`);
    parts.push('</div>');
  }
  parts.push('</section>');
  return parts.join('\n');
}

function metaHtml(input: ReportInput): string {
  const { grid } = input;
  const ok = input.records.filter((r) => r.status === 'ok').length;
  const failed = input.records.filter((r) => r.status === 'failed').length;
  const c = grid.calibration;
  const manifest = input.records.find((r) => r.manifest)?.manifest;
  const rows: [string, string][] = [
    ['Grid', `${grid.name} (${input.origin})`],
    ['Generated', input.generatedAt],
    ['Cells', `${ok} finished, ${failed} failed, ${input.pending.length} not run`],
    ['Models', grid.models.map((m) => m.name).join(', ')],
    [
      'Methods',
      grid.methods
        .map(
          (m) =>
            `${m.label}${
              Object.keys(m.options).length
                ? ` (${Object.entries(m.options)
                    .map(([k, v]) => `${k} = ${v}`)
                    .join(', ')})`
                : ''
            }`,
        )
        .join(', '),
    ],
    ['Patterns', grid.patterns.map((p) => `${patternLabel(p.sparsity)}${p.partialGroups === 'dense' ? ' (tail groups dense)' : ''}`).join(', ')],
    ['Targets', grid.targets.join(', ')],
    ['Calibration', `${c.source.split(/[\\/]/).pop()} · ${c.nsamples} × ${c.seqlen} tokens · seed ${c.seed}`],
    ['Perplexity', grid.perplexity.map((s) => `${s.name} (context ${s.seqlen}${s.maxWindows ? `, ≤ ${s.maxWindows} windows` : ''})`).join('; ') || 'none'],
    ['Zero-shot', grid.zeroShot ? `${grid.zeroShot.tasks.join(', ')}${grid.zeroShot.limit ? ` (first ${grid.zeroShot.limit} items)` : ''}` : 'none'],
  ];
  if (manifest)
    rows.push([
      'Tool',
      `${manifest.tool.name} ${manifest.tool.version}, node ${manifest.tool.node}, tfjs ${manifest.tool.tfjs} (${manifest.backend.name}), ${manifest.tool.platform}`,
    ]);
  return `<dl class="meta">${rows.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(v)}</dd>`).join('')}</dl>`;
}

/** `report.html`: one self-contained page (inline CSS and SVG; no scripts, fonts or external requests). */
export function reportHtml(input: ReportInput): string {
  const failed = input.records.filter((r) => r.status === 'failed');
  const parts = [
    '<!DOCTYPE html>',
    '<html lang="en"><head><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${esc(`dass-repro: ${input.grid.name}`)}</title>`,
    `<style>${STYLE}</style></head><body>`,
    `<h1>${esc(`DaSS reproduction: ${input.grid.name} grid`)}</h1>`,
    input.grid.description ? `<p>${esc(input.grid.description)}</p>` : '',
    metaHtml(input),
    '<h2 id="tables">Tables</h2>',
    ...input.tables.map(tableHtml),
    ...input.sections.map(sectionHtml),
  ];
  if (failed.length > 0) {
    parts.push('<section id="failures"><h2>Failed cells</h2><ul class="failures">');
    for (const r of failed) parts.push(`<li><code>${esc(r.id)}</code>: ${esc(r.error?.message ?? 'unknown error')}</li>`);
    parts.push('</ul></section>');
  }
  parts.push('</body></html>', '');
  return parts.join('\n');
}
