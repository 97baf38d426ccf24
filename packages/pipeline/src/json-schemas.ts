import { z } from 'zod';
import { RunManifestSchema } from './run-manifest-schema.js';

/**
 * The JSON Schema (2020-12) of `run.json`, generated from `RunManifestSchema` as the file is on disk (`io: 'input'`:
 * a measured number may be null). `schemas/run-manifest.schema.json` is this, committed; a test keeps it current.
 */
export function runManifestJsonSchema(): Record<string, unknown> {
  return { ...z.toJSONSchema(RunManifestSchema, { io: 'input', target: 'draft-2020-12' }), title: 'DaSS.ts run manifest (run.json)' };
}
