// Every section of docs/SPEC.md the sources and READMEs cite exists there, and every citation carries the docs/
// path, so a reader can find it.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..', '..');

function* sourceFiles(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (['node_modules', 'dist', '.turbo', 'fixtures', 'assets'].includes(entry.name)) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* sourceFiles(path);
    else if (/\.(ts|mts|mjs|md)$/.test(entry.name)) yield path;
  }
}

describe('docs/SPEC.md references', () => {
  const spec = readFileSync(join(root, 'docs', 'SPEC.md'), 'utf8');
  const sections = new Set([...spec.matchAll(/^#{2,3} (\d+(?:\.\d+)?)\.? /gm)].map((m) => m[1]!));
  const files = [join(root, 'README.md'), ...['packages', 'apps', 'scripts'].flatMap((d) => [...sourceFiles(join(root, d))])];

  it('has numbered sections', () => {
    expect([...sections]).toEqual(expect.arrayContaining(['1', '2', '2.1', '2.2', '2.3', '3', '4', '5', '6', '7']));
  });

  it('every citation names an existing section, always as docs/SPEC.md', () => {
    const cited: string[] = [];
    const problems: string[] = [];
    for (const file of files) {
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(/docs\/SPEC\.md §(\d+(?:\.\d+)?)(?:[–-](\d+))?/g)) {
        for (const n of [m[1]!, ...(m[2] ? [m[2]] : [])]) {
          cited.push(n);
          if (!sections.has(n)) problems.push(`${relative(root, file)}: §${n} is not a section of docs/SPEC.md`);
        }
      }
      for (const m of text.matchAll(/(?<!docs\/)SPEC(?:\.md)? §/g)) problems.push(`${relative(root, file)}: "${m[0]}" should cite docs/SPEC.md`);
    }
    expect(problems).toEqual([]);
    expect(cited.length).toBeGreaterThan(30);
  });
});
