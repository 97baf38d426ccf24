import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runManifestJsonSchema } from './json-schemas.js';
import { parseRunManifest } from './run-manifest.js';

describe('committed JSON Schema files', () => {
  it('schemas/run-manifest.schema.json is generated from RunManifestSchema (else: pnpm --filter @dass/pipeline schemas)', () => {
    const committed = JSON.parse(readFileSync(new URL('../schemas/run-manifest.schema.json', import.meta.url), 'utf8'));
    expect(committed).toEqual(runManifestJsonSchema());
  });
});

describe('parseRunManifest errors', () => {
  it('name the file, the key path, what was expected and what was there', () => {
    expect(() => parseRunManifest({ kind: 'dass-ts/prune-run', version: 2 }, 'out/run.json')).toThrow('out/run.json: version: expected 1, got 2');
    expect(() => parseRunManifest([], 'run.json')).toThrow('run.json: (top level): expected an object, got an array of 0');
    expect(() => parseRunManifest({ kind: 'x' }, 'run.json')).toThrow('run.json: kind: expected "dass-ts/prune-run", got "x"');
  });
});
