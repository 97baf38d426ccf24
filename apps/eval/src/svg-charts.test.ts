import { describe, expect, it } from 'vitest';
import { barChart, escapeXml, formatTick, lineChart, logTicks, niceTicks } from './svg-charts.js';

const count = (svg: string, re: RegExp) => (svg.match(re) ?? []).length;

describe('ticks', () => {
  it('steps by 1, 2 or 5 × 10^k', () => {
    expect(niceTicks(0, 10)).toEqual([0, 2, 4, 6, 8, 10]);
    expect(niceTicks(0.13, 0.91, 4)).toEqual([0.2, 0.4, 0.6, 0.8]);
    expect(niceTicks(3, 3)).toEqual([3]);
    expect(() => niceTicks(2, 1)).toThrow('niceTicks: expected finite lo <= hi, got [2, 1]');
  });
  it('puts log ticks on decades, or 1-2-5 inside a short range', () => {
    expect(logTicks(5, 300)).toEqual([10, 100]);
    expect(logTicks(3, 40)).toEqual([5, 10, 20]);
    expect(logTicks(0.5, 2e4)).toEqual([1, 10, 100, 1000, 10000]);
    expect(() => logTicks(0, 1)).toThrow('logTicks: expected 0 < lo <= hi, got [0, 1]');
  });
  it('formats ticks briefly', () => {
    expect([0, 2.5, 1234.5678, 2e5, 1e-4].map(formatTick)).toEqual(['0', '2.5', '1235', '2e+5', '1e-4']);
  });
});

describe('barChart', () => {
  const chart = barChart({
    title: 'ppl <test>',
    yLabel: 'perplexity',
    series: ['Wanda', 'DaSS'],
    groups: [
      { label: '50%', values: [6.4, 6.3] },
      { label: '2:4', values: [11, undefined] },
    ],
    refLines: [{ label: 'Dense', value: 5.1 }],
  });
  it('draws one bar per value, marks a missing one and escapes text', () => {
    expect(chart.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(count(chart, /<rect class="bar"/g)).toBe(3);
    expect(count(chart, />n\/a</g)).toBe(1);
    expect(chart).toContain('<title>ppl &lt;test&gt;</title>');
    expect(chart).toContain('stroke-dasharray="4 3"><title>Dense: 5.1</title>');
    expect(chart).not.toContain('<test>');
  });
  it('puts a taller bar higher (smaller y) than a shorter one', () => {
    const ys = [...chart.matchAll(/<rect class="bar" x="[\d.]+" y="([\d.]+)"/g)].map((m) => Number(m[1]));
    expect(ys[2]).toBeLessThan(ys[0]!); // 11 above 6.4
    expect(ys[0]).toBeLessThan(ys[1]!); // 6.4 above 6.3
  });
  it('rejects a group whose values do not match the series', () => {
    expect(() => barChart({ title: 't', yLabel: 'y', series: ['a'], groups: [{ label: 'g', values: [1, 2] }] })).toThrow(
      't: group "g" has 2 values for 1 series',
    );
  });
});

describe('lineChart', () => {
  it('draws a path per series with points and a legend entry for each', () => {
    const svg = lineChart({
      title: 'sparsity',
      xLabel: 'layer',
      yLabel: '%',
      series: [
        {
          name: 'Wanda',
          points: [
            [0, 50],
            [1, 50],
            [2, 49],
          ],
        },
        { name: 'failed one', points: [] },
      ],
      integerX: true,
    });
    expect(count(svg, /<path class="line"/g)).toBe(1);
    expect(count(svg, /<circle /g)).toBe(3);
    expect(svg).toContain('>failed one</text>');
    expect(() => lineChart({ title: 'e', xLabel: 'x', yLabel: 'y', series: [{ name: 's', points: [] }] })).toThrow('e: a line chart needs at least one point');
  });
  it('escapes every kind of markup character', () => {
    expect(escapeXml(`a<b>&"c'`)).toBe('a&lt;b&gt;&amp;&quot;c&#39;');
  });
});
