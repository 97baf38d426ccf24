// Regenerates schemas/*.schema.json from the zod schemas: `pnpm --filter @dass/eval schemas`.
import { writeFileSync } from 'node:fs';
import { jsonSchemas } from '../src/json-schemas.js';

for (const [name, schema] of Object.entries(jsonSchemas())) {
  writeFileSync(new URL(`../schemas/${name}`, import.meta.url), JSON.stringify(schema, null, 2) + '\n');
}
