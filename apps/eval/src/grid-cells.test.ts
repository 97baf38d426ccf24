import { describe, expect, it } from 'vitest';
import { TINY_GRID } from './builtin-grids.js';
import { canonicalJson, cellHash, gridCells, patternSlug } from './grid-cells.js';
import { validateGrid } from './grid-spec.js';

const grid = (edit: (g: any) => void = () => {}) => {
  const raw = structuredClone(TINY_GRID) as any;
  edit(raw);
  return validateGrid(raw, { file: 'g', root: '/a' });
};

describe('gridCells', () => {
  it('lists per model the dense baseline, method × pattern, then the analysis', () => {
    const ids = gridCells(grid()).map((c) => c.id);
    // 7 rows × 3 patterns, plus 2 OWL rows at 50% only (OWL is unstructured), dense and analysis: per model 25
    expect(ids).toHaveLength(2 * (1 + 7 * 3 + 2 + 1));
    expect(ids.slice(0, 5)).toEqual([
      'stories260K__dense',
      'stories260K__magnitude__50pct',
      'stories260K__magnitude__2of4',
      'stories260K__magnitude__4of8',
      'stories260K__sparsegpt__50pct',
    ]);
    expect(ids).toContain('stories260K__dass-obs__2of4');
    expect(ids).toContain('stories260K__wanda-owl__50pct');
    expect(ids).not.toContain('stories260K__wanda-owl__2of4');
    expect(ids[24]).toBe('stories260K__analysis');
    expect(ids[25]).toBe('aidreams260K__dense');
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('gives cells their row, options (α where the method declares it), update and pattern, and the dense cell no calibration', () => {
    const cells = gridCells(grid());
    const dass = cells.find((c) => c.id === 'stories260K__dass__4of8')!;
    expect(dass).toMatchObject({
      kind: 'prune',
      row: 'dass',
      label: 'DaSS',
      method: 'dass',
      options: { alpha: 0.5 },
      targets: 'mlp',
      pattern: { sparsity: '4:8', partialGroups: 'dense' },
    });
    expect(cells.find((c) => c.id === 'stories260K__wanda__4of8')!.options).toBeUndefined();
    expect(cells.find((c) => c.id === 'stories260K__dass-obs__2of4')).toMatchObject({ method: 'dass', update: 'obs', label: 'DaSS + OBS' });
    expect(cells.find((c) => c.id === 'stories260K__wanda-owl__50pct')).toMatchObject({ method: 'wanda', layerRatios: 'owl', label: 'Wanda (OWL)' });
    const dense = cells.find((c) => c.kind === 'dense')!;
    expect(dense.calibration).toBeUndefined();
    expect(dense.method).toBeUndefined();
  });

  it('suffixes the target set when the grid has several, and leaves out analysis when disabled', () => {
    const ids = gridCells(grid((g) => ((g.targets = ['mlp', 'all']), (g.analysis.enabled = false)))).map((c) => c.id);
    expect(ids).toContain('stories260K__wanda__2of4__mlp');
    expect(ids).toContain('stories260K__wanda__2of4__all');
    expect(ids.some((id) => id.endsWith('__analysis'))).toBe(false);
    expect(ids).toHaveLength(2 * (1 + (7 * 3 + 2) * 2));
  });
});

describe('cellHash', () => {
  it('changes exactly for the cells whose settings change', () => {
    const before = new Map(gridCells(grid()).map((c) => [c.id, cellHash(c)]));
    const calib = new Map(gridCells(grid((g) => (g.calibration.nsamples = 8))).map((c) => [c.id, cellHash(c)]));
    for (const [id, h] of calib) expect(h === before.get(id), id).toBe(id.endsWith('__dense'));
    const alpha = new Map(gridCells(grid((g) => (g.alpha = 1))).map((c) => [c.id, cellHash(c)]));
    // α reaches every row whose method declares it: DaSS (plain, + OBS, OWL) and RIA
    for (const [id, h] of alpha) expect(h === before.get(id), id).toBe(!/__(dass|dass-obs|dass-owl|ria)__/.test(id));
    const limit = new Map(gridCells(grid((g) => (g.evaluation.zeroShot.limit = 2))).map((c) => [c.id, cellHash(c)]));
    for (const [id, h] of limit) expect(h === before.get(id), id).toBe(id.endsWith('__analysis'));
  });

  it('does not depend on key order', () => {
    expect(canonicalJson({ b: 1, a: [{ d: 2, c: undefined, e: 'x' }] })).toBe('{"a":[{"d":2,"e":"x"}],"b":1}');
    const [cell] = gridCells(grid());
    const reordered = Object.fromEntries(Object.entries(cell!).reverse()) as typeof cell;
    expect(cellHash(reordered!)).toBe(cellHash(cell!));
  });
});

describe('patternSlug', () => {
  it.each([
    ['0.5', '50pct'],
    ['0.625', '62p5pct'],
    ['2:4', '2of4'],
    ['12:16', '12of16'],
  ])('%s → %s', (s, slug) => expect(patternSlug(s)).toBe(slug));
  it('rejects what is not a pattern', () => expect(() => patternSlug('half')).toThrow('sparsity: expected a ratio or "N:M", got "half"'));
});
