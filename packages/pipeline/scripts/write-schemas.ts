// Regenerates schemas/*.schema.json from the zod schemas: `pnpm --filter @dass/pipeline schemas`.
import { writeFileSync } from 'node:fs';
import { runManifestJsonSchema } from '../src/json-schemas.js';

writeFileSync(new URL('../schemas/run-manifest.schema.json', import.meta.url), JSON.stringify(runManifestJsonSchema(), null, 2) + '\n');
