/**
 * Small self-contained SVG charts (no scripts, no fonts beyond the generic family): grouped bars and lines, linear
 * or log10 y axes. Output is a string to inline into HTML.
 */

export interface BarChartOptions {
  title: string;
  yLabel: string;
  /** Legend entries, in bar order within a group. */
  series: readonly string[];
  groups: readonly { label: string; values: readonly (number | undefined)[] }[];
  /** Horizontal reference lines (e.g. the dense baseline). */
  refLines?: readonly { label: string; value: number }[];
  logY?: boolean;
  colors?: Readonly<Record<string, string>>;
  formatValue?: (v: number) => string;
  width?: number;
  height?: number;
}

export interface LineSeries {
  name: string;
  points: readonly (readonly [number, number])[];
  color?: string;
}

export interface LineChartOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  series: readonly LineSeries[];
  logY?: boolean;
  /** Only integer x ticks (layer indices). */
  integerX?: boolean;
  /** Fixed y range (e.g. [0, 1] for ratios); default: the data's, padded. */
  yDomain?: readonly [number, number];
  formatY?: (v: number) => string;
  /** Hide the legend (many series coloured by a gradient, explained in the title). */
  legend?: boolean;
  markers?: boolean;
  width?: number;
  height?: number;
}

/** Okabe–Ito: distinguishable with the common colour-vision deficiencies. */
export const PALETTE = ['#E69F00', '#56B4E9', '#009E73', '#D55E00', '#CC79A7', '#0072B2', '#F0E442', '#000000'] as const;

export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const num = (v: number) => (Number.isInteger(v) ? String(v) : v.toFixed(2));

/** Tick values 1, 2 or 5 × 10^k apart covering [lo, hi] (about `count` of them). */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!Number.isFinite(lo) || !Number.isFinite(hi) || hi < lo) throw new RangeError(`niceTicks: expected finite lo <= hi, got [${lo}, ${hi}]`);
  if (hi === lo) return [lo];
  const raw = (hi - lo) / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((f) => f * mag).find((s) => s >= raw) ?? 10 * mag;
  const ticks: number[] = [];
  for (let t = Math.ceil(lo / step - 1e-9) * step; t <= hi + step * 1e-9; t += step) ticks.push(Number(t.toPrecision(12)));
  return ticks;
}

/** Log-axis ticks: decades, or 1-2-5 steps inside them when the range spans less than two decades. */
export function logTicks(lo: number, hi: number): number[] {
  if (!(lo > 0) || !(hi >= lo)) throw new RangeError(`logTicks: expected 0 < lo <= hi, got [${lo}, ${hi}]`);
  const a = Math.floor(Math.log10(lo));
  const b = Math.ceil(Math.log10(hi));
  const factors = b - a <= 2 ? [1, 2, 5] : [1];
  const ticks: number[] = [];
  for (let e = a; e <= b; e++)
    for (const f of factors) {
      const t = Number((f * 10 ** e).toPrecision(12));
      if (t >= lo * 0.999 && t <= hi * 1.001) ticks.push(t);
    }
  return ticks.length >= 2 ? ticks : [lo, hi];
}

export function formatTick(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e5 || a < 1e-3) return v.toExponential(0);
  return String(Number(v.toPrecision(4)));
}

interface Frame {
  width: number;
  height: number;
  left: number;
  right: number;
  top: number;
  bottom: number;
}

function axisScale(lo: number, hi: number, from: number, to: number, log: boolean): (v: number) => number {
  const f = log ? Math.log10 : (v: number) => v;
  const a = f(lo);
  const b = f(hi);
  return (v) => from + ((f(v) - a) / (b - a || 1)) * (to - from);
}

function yAxis(frame: Frame, ticks: number[], y: (v: number) => number, label: string, format: (v: number) => string): string {
  const parts = ticks.map(
    (t) =>
      `<line x1="${frame.left}" x2="${frame.width - frame.right}" y1="${y(t).toFixed(1)}" y2="${y(t).toFixed(1)}" stroke="#e3e3e3"/>` +
      `<text x="${frame.left - 6}" y="${(y(t) + 4).toFixed(1)}" text-anchor="end" font-size="11">${escapeXml(format(t))}</text>`,
  );
  const cy = (frame.top + frame.height - frame.bottom) / 2;
  parts.push(`<text transform="translate(14 ${cy}) rotate(-90)" text-anchor="middle" font-size="12">${escapeXml(label)}</text>`);
  parts.push(`<line x1="${frame.left}" x2="${frame.left}" y1="${frame.top}" y2="${frame.height - frame.bottom}" stroke="#555"/>`);
  return parts.join('');
}

function svgOpen(frame: Frame, title: string, kind: string): string {
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" class="chart" data-chart="${kind}" viewBox="0 0 ${frame.width} ${frame.height}" width="${frame.width}" height="${frame.height}" role="img" aria-label="${escapeXml(title)}" font-family="sans-serif">` +
    `<title>${escapeXml(title)}</title>` +
    `<rect width="${frame.width}" height="${frame.height}" fill="#fff"/>` +
    `<text x="${frame.width / 2}" y="18" text-anchor="middle" font-size="13" font-weight="bold">${escapeXml(title)}</text>`
  );
}

function legend(frame: Frame, entries: readonly { name: string; color: string; dashed?: boolean }[]): string {
  let x = frame.left;
  const y = frame.height - 12;
  return entries
    .map((e) => {
      const item =
        `<line x1="${x}" x2="${x + 16}" y1="${y - 4}" y2="${y - 4}" stroke="${e.color}" stroke-width="${e.dashed ? 1.5 : 6}"${e.dashed ? ' stroke-dasharray="4 3"' : ''}/>` +
        `<text x="${x + 20}" y="${y}" font-size="11">${escapeXml(e.name)}</text>`;
      x += 28 + 6.5 * e.name.length;
      return item;
    })
    .join('');
}

function domain(values: number[], log: boolean, zero: boolean): [number, number] {
  const finite = values.filter((v) => Number.isFinite(v) && (!log || v > 0));
  if (finite.length === 0) return log ? [1, 10] : [0, 1];
  let lo = Math.min(...finite);
  let hi = Math.max(...finite);
  if (log) return [lo / 1.3, hi * 1.3];
  if (zero) lo = Math.min(0, lo);
  if (lo === hi) {
    hi = lo + (Math.abs(lo) || 1);
  }
  return [lo, hi + (hi - lo) * 0.08];
}

/** Grouped bar chart: one group per label, one bar per series; missing values leave a gap marked "n/a". */
export function barChart(options: BarChartOptions): string {
  const { series, groups } = options;
  if (series.length === 0 || groups.length === 0) throw new RangeError(`${options.title}: a bar chart needs at least one series and one group`);
  for (const g of groups) {
    if (g.values.length !== series.length)
      throw new RangeError(`${options.title}: group ${JSON.stringify(g.label)} has ${g.values.length} values for ${series.length} series`);
  }
  const frame: Frame = { width: options.width ?? 560, height: options.height ?? 300, left: 64, right: 16, top: 30, bottom: 64 };
  const values = groups.flatMap((g) => g.values.filter((v): v is number => v !== undefined));
  const refs = options.refLines ?? [];
  const log = options.logY ?? false;
  const [lo, hi] = domain([...values, ...refs.map((r) => r.value)], log, true);
  const y = axisScale(lo, hi, frame.height - frame.bottom, frame.top, log);
  const ticks = log ? logTicks(lo, hi) : niceTicks(lo, hi);
  const fmt = options.formatValue ?? formatTick;
  const plotWidth = frame.width - frame.left - frame.right;
  const groupWidth = plotWidth / groups.length;
  const barWidth = (groupWidth * 0.8) / series.length;
  const color = (s: string, i: number) => options.colors?.[s] ?? PALETTE[i % PALETTE.length]!;
  const base = y(log ? lo : Math.max(lo, 0));
  const parts = [svgOpen(frame, options.title, 'bar'), yAxis(frame, ticks, y, options.yLabel, formatTick)];
  groups.forEach((g, gi) => {
    const gx = frame.left + gi * groupWidth + groupWidth * 0.1;
    g.values.forEach((v, si) => {
      const x = gx + si * barWidth;
      if (v === undefined || !Number.isFinite(v) || (log && v <= 0)) {
        parts.push(`<text x="${(x + barWidth / 2).toFixed(1)}" y="${(base - 4).toFixed(1)}" text-anchor="middle" font-size="9" fill="#999">n/a</text>`);
        return;
      }
      const top = Math.min(y(v), base);
      const h = Math.max(1, Math.abs(base - y(v)));
      parts.push(
        `<rect class="bar" x="${x.toFixed(1)}" y="${top.toFixed(1)}" width="${Math.max(1, barWidth - 2).toFixed(1)}" height="${h.toFixed(1)}" fill="${color(series[si]!, si)}">` +
          `<title>${escapeXml(`${g.label} · ${series[si]}: ${fmt(v)}`)}</title></rect>`,
      );
    });
    parts.push(
      `<text x="${(frame.left + (gi + 0.5) * groupWidth).toFixed(1)}" y="${frame.height - frame.bottom + 16}" text-anchor="middle" font-size="11">${escapeXml(g.label)}</text>`,
    );
  });
  for (const r of refs) {
    const ry = y(r.value).toFixed(1);
    parts.push(
      `<line x1="${frame.left}" x2="${frame.width - frame.right}" y1="${ry}" y2="${ry}" stroke="#333" stroke-dasharray="4 3"><title>${escapeXml(`${r.label}: ${fmt(r.value)}`)}</title></line>`,
    );
  }
  parts.push(`<line x1="${frame.left}" x2="${frame.width - frame.right}" y1="${base.toFixed(1)}" y2="${base.toFixed(1)}" stroke="#555"/>`);
  parts.push(legend(frame, [...series.map((s, i) => ({ name: s, color: color(s, i) })), ...refs.map((r) => ({ name: r.label, color: '#333', dashed: true }))]));
  parts.push('</svg>');
  return parts.join('');
}

/** Line chart with optional point markers; series with no points are listed in the legend only. */
export function lineChart(options: LineChartOptions): string {
  const { series } = options;
  const points = series.flatMap((s) => s.points);
  if (points.length === 0) throw new RangeError(`${options.title}: a line chart needs at least one point`);
  const frame: Frame = { width: options.width ?? 560, height: options.height ?? 300, left: 64, right: 16, top: 30, bottom: options.legend === false ? 40 : 64 };
  const log = options.logY ?? false;
  const xs = points.map((p) => p[0]);
  let [xlo, xhi] = [Math.min(...xs), Math.max(...xs)];
  if (xlo === xhi) [xlo, xhi] = [xlo - 1, xhi + 1];
  const [ylo, yhi] =
    options.yDomain ??
    domain(
      points.map((p) => p[1]),
      log,
      false,
    );
  const x = axisScale(xlo, xhi, frame.left + 8, frame.width - frame.right - 8, false);
  const y = axisScale(ylo, yhi, frame.height - frame.bottom, frame.top, log);
  const yt = log ? logTicks(ylo, yhi) : niceTicks(ylo, yhi);
  let xt = niceTicks(xlo, xhi, 8);
  if (options.integerX) xt = xt.filter((t) => Number.isInteger(t));
  const parts = [svgOpen(frame, options.title, 'line'), yAxis(frame, yt, y, options.yLabel, options.formatY ?? formatTick)];
  for (const t of xt) {
    parts.push(`<text x="${x(t).toFixed(1)}" y="${frame.height - frame.bottom + 15}" text-anchor="middle" font-size="11">${escapeXml(formatTick(t))}</text>`);
  }
  parts.push(
    `<line x1="${frame.left}" x2="${frame.width - frame.right}" y1="${frame.height - frame.bottom}" y2="${frame.height - frame.bottom}" stroke="#555"/>` +
      `<text x="${(frame.left + frame.width - frame.right) / 2}" y="${frame.height - frame.bottom + 30}" text-anchor="middle" font-size="12">${escapeXml(options.xLabel)}</text>`,
  );
  const colorOf = (s: LineSeries, i: number) => s.color ?? PALETTE[i % PALETTE.length]!;
  series.forEach((s, i) => {
    const pts = s.points.filter((p) => Number.isFinite(p[1]) && (!log || p[1] > 0));
    if (pts.length === 0) return;
    const c = colorOf(s, i);
    const d = pts.map((p, j) => `${j === 0 ? 'M' : 'L'}${x(p[0]).toFixed(1)} ${y(p[1]).toFixed(1)}`).join(' ');
    parts.push(`<path class="line" d="${d}" fill="none" stroke="${c}" stroke-width="1.8"><title>${escapeXml(s.name)}</title></path>`);
    if (options.markers ?? true) {
      for (const p of pts) {
        parts.push(
          `<circle cx="${x(p[0]).toFixed(1)}" cy="${y(p[1]).toFixed(1)}" r="2.6" fill="${c}"><title>${escapeXml(`${s.name}: (${num(p[0])}, ${formatTick(p[1])})`)}</title></circle>`,
        );
      }
    }
  });
  if (options.legend !== false)
    parts.push(
      legend(
        frame,
        series.map((s, i) => ({ name: s.name, color: colorOf(s, i) })),
      ),
    );
  parts.push('</svg>');
  return parts.join('');
}
