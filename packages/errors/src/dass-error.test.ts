import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DASS_ERROR_CODES, DassError, InvalidArgumentError, describeError, hasMarker, setMarker } from './index.js';

type Module = typeof import('./dass-error.js');

describe('DassError', () => {
  it('carries its code, field and message; describe() renames the fields it names', () => {
    const err = new InvalidArgumentError('seqlen', (name) => `expected a positive integer, got 0 (or lower ${name('nsamples')})`);
    expect(err).toBeInstanceOf(Error);
    expect(err).toMatchObject({ name: 'InvalidArgumentError', code: 'DASS_INVALID_ARGUMENT', field: 'seqlen' });
    expect(err.message).toBe('seqlen: expected a positive integer, got 0 (or lower nsamples)');
    expect(err.problem).toBe('expected a positive integer, got 0 (or lower nsamples)');
    expect(err.describe((f) => `--${f}`)).toBe('--seqlen: expected a positive integer, got 0 (or lower --nsamples)');
    expect(describeError(err, (f) => f.toUpperCase())).toBe('SEQLEN: expected a positive integer, got 0 (or lower NSAMPLES)');
    expect(describeError(new RangeError('plain'), (f) => f.toUpperCase())).toBe('plain');
  });

  it('keeps the cause and does not show the message composer', () => {
    const cause = new Error('EACCES');
    const err = new DassError('DASS_IO', '/x: cannot write', { cause });
    expect(err.cause).toBe(cause);
    expect(err.field).toBeUndefined();
    expect(Object.keys(err)).not.toContain('text');
    expect(JSON.parse(JSON.stringify(err))).toEqual({ name: 'DassError', code: 'DASS_IO' });
  });

  it('documents every code', () => {
    for (const [code, meaning] of Object.entries(DASS_ERROR_CODES)) {
      expect(code).toMatch(/^DASS_[A-Z_]+$/);
      expect(meaning.length).toBeGreaterThan(10);
    }
  });

  it('isInstance is true for its own errors and false for look-alikes', () => {
    expect(DassError.isInstance(new DassError('DASS_NOT_FOUND', 'x'))).toBe(true);
    expect(DassError.isInstance(new InvalidArgumentError('a', 'b'))).toBe(true);
    expect(InvalidArgumentError.isInstance(new InvalidArgumentError('a', 'b'))).toBe(true);
    expect(InvalidArgumentError.isInstance(new DassError('DASS_INVALID_ARGUMENT', 'x'))).toBe(false);
    for (const other of [new RangeError('seqlen: x'), Object.assign(new Error('x'), { code: 'DASS_IO', name: 'DassError' }), null, undefined, 'DassError', 3]) {
      expect(DassError.isInstance(other)).toBe(false);
    }
  });

  it('a subclass marks itself with its own marker', () => {
    const marker = Symbol.for('dass.error.TestError');
    class TestError extends DassError {
      constructor() {
        super('DASS_FILE_FORMAT', 'f: bad');
        setMarker(this, marker);
      }
      static override isInstance(e: unknown): e is TestError {
        return hasMarker(e, marker);
      }
    }
    expect(TestError.isInstance(new TestError())).toBe(true);
    expect(DassError.isInstance(new TestError())).toBe(true);
    expect(TestError.isInstance(new DassError('DASS_FILE_FORMAT', 'x'))).toBe(false);
  });

  describe('across two copies of the package', () => {
    let dir: string;
    let copy: Module;
    beforeAll(async () => {
      // A second copy of the module, loaded from another file: its classes are different objects from ours.
      dir = await mkdtemp(join(tmpdir(), 'dass-errors-copy-'));
      await copyFile(new URL('./dass-error.ts', import.meta.url), join(dir, 'dass-error.ts'));
      copy = (await import(/* @vite-ignore */ pathToFileURL(join(dir, 'dass-error.ts')).href)) as Module;
    });
    afterAll(() => rm(dir, { recursive: true, force: true }));

    it('is a different class, so instanceof fails both ways', () => {
      expect(copy.DassError).not.toBe(DassError);
      expect(new copy.DassError('DASS_IO', 'x')).not.toBeInstanceOf(DassError);
      expect(new DassError('DASS_IO', 'x')).not.toBeInstanceOf(copy.DassError);
    });

    it('isInstance holds both ways, for the base class and for subclasses', () => {
      const theirs = new copy.InvalidArgumentError('sparsity', 'expected a ratio in [0, 1), got 1.5');
      expect(DassError.isInstance(theirs)).toBe(true);
      expect(InvalidArgumentError.isInstance(theirs)).toBe(true);
      expect(copy.DassError.isInstance(new InvalidArgumentError('seqlen', 'x'))).toBe(true);
      expect(copy.InvalidArgumentError.isInstance(new InvalidArgumentError('seqlen', 'x'))).toBe(true);
      expect(InvalidArgumentError.isInstance(new copy.DassError('DASS_IO', 'x'))).toBe(false);
      expect(describeError(theirs, (f) => `--${f}`)).toBe('--sparsity: expected a ratio in [0, 1), got 1.5');
    });
  });
});

describe('InvalidArgumentError', () => {
  it('shows the value after the field and re-raises its problem under another namer', () => {
    const err = new InvalidArgumentError('sparsity', (name) => `64 columns are not divisible by 3; set ${name('partialGroups')} to dense`, { shown: '2:3' });
    expect(err.message).toBe('sparsity 2:3: 64 columns are not divisible by 3; set partialGroups to dense');
    expect(err.describe((f) => `--${f.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`)).toBe(
      '--sparsity 2:3: 64 columns are not divisible by 3; set --partial-groups to dense',
    );
    expect(err.describeProblem((f) => `<${f}>`)).toBe('64 columns are not divisible by 3; set <partialGroups> to dense');
  });
});
