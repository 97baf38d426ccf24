import { z } from 'zod';
import { CellRecordSchema } from './cell-record.js';
import { gridFileSchema } from './grid-schema.js';

/**
 * JSON Schema (2020-12) files generated from the zod schemas, for people writing grids by hand and for readers of
 * the results in other languages (`schemas/*.schema.json`, committed; `pnpm --filter @dass/eval schemas` rewrites
 * them and a test keeps them current). They describe the files as written (`io: 'input'`: defaults may be left
 * out). The grid schema lists the built-in methods, updates and tasks' rules as the registries hold them when it is
 * generated; option values and sparsity strings are checked by `validateGrid` itself.
 */
export function jsonSchemas(): Record<string, Record<string, unknown>> {
  const generate = (schema: z.ZodType, title: string) => ({ ...z.toJSONSchema(schema, { io: 'input', target: 'draft-2020-12' }), title });
  return {
    'grid.schema.json': generate(gridFileSchema(), 'dass-repro grid file'),
    'cell-record.schema.json': generate(CellRecordSchema, 'dass-repro cell record (cells/<id>.json)'),
  };
}
