import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { PAPER_GRID, TINY_GRID } from './builtin-grids.js';
import { jsonSchemas } from './json-schemas.js';

describe('committed JSON Schema files', () => {
  it.each(Object.entries(jsonSchemas()))('schemas/%s is generated from the zod schema (else: pnpm --filter @dass/eval schemas)', (name, schema) => {
    const committed = JSON.parse(readFileSync(new URL(`../schemas/${name}`, import.meta.url), 'utf8'));
    expect(committed).toEqual(schema);
  });

  it("the grid schema lists the registries' names and the defaults a hand-written grid may leave out", () => {
    const grid = jsonSchemas()['grid.schema.json'] as any;
    expect(grid.additionalProperties).toBe(false);
    expect(grid.required).toEqual(['name', 'models', 'methods', 'patterns', 'calibration', 'evaluation']);
    expect(grid.properties.methods.items.anyOf[0].enum).toEqual(['magnitude', 'wanda', 'dass', 'sparsegpt', 'ria']);
    expect(grid.properties.calibration.properties.nsamples).toMatchObject({ type: 'integer', minimum: 1, default: 128 });
    expect(Object.keys(grid.properties).sort()).toEqual(Object.keys({ ...PAPER_GRID, ...TINY_GRID, backend: 0, maxTokensPerPass: 0, $schema: 0 }).sort());
  });
});

describe('the generated grid schema, run by a JSON Schema validator (Ajv, draft 2020-12)', () => {
  const validate = new Ajv2020({ strict: false, allErrors: false }).compile(jsonSchemas()['grid.schema.json']);

  it('accepts the built-in grids as written', () => {
    expect(validate(structuredClone(PAPER_GRID)), JSON.stringify(validate.errors)).toBe(true);
    expect(validate(structuredClone(TINY_GRID)), JSON.stringify(validate.errors)).toBe(true);
  });

  it.each([
    ['a typo in a key', (g: any) => (g.models[0].tokeniser = 'x'), '/models/0'],
    ['an unknown method', (g: any) => (g.methods = ['wandaa']), '/methods/0'],
    ['a bad partialGroups', (g: any) => (g.patterns = [{ sparsity: '2:4', partialGroups: 'tail' }]), '/patterns/0'],
    ['nsamples 0', (g: any) => (g.calibration.nsamples = 0), '/calibration/nsamples'],
    ['no evaluation', (g: any) => delete g.evaluation, ''],
  ])('refuses %s as validateGrid does', (_what, edit, where) => {
    const g = structuredClone(TINY_GRID) as any;
    edit(g);
    expect(validate(g)).toBe(false);
    expect(validate.errors![0]!.instancePath.startsWith(where)).toBe(true);
  });
});
