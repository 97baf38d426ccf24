import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DASS_ERROR_CODES, DassError, InvalidArgumentError, type DassErrorCode } from '@dass/errors';
import { ModelLoadError, OutputPathError } from '@dass/model-loader';
import { UserInputError } from '@dass/pipeline';
import { TextSourceError } from '@dass/calibration';
import { TaskFileError } from '@dass/evaluation';
import { CODE_EXIT, EXIT_INTERNAL, EXIT_SIGINT, EXIT_USER, FIELD_FLAGS, InterruptedError, UsageError, flagOf, oneLine, reportError } from './cli-errors.js';

function fsError(code: string, path: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: something, open '${path}'`), { code, path, syscall: 'open', errno: -2 });
}

describe('reportError', () => {
  it("treats the packages' typed input errors as user errors: exit 2, one line, no stack", () => {
    const cases: [Error, string][] = [
      [new UsageError('--nsamples: expected an integer >= 1, got "0"'), 'dass: error: --nsamples: expected an integer >= 1, got "0"'],
      [
        new UserInputError((name) => `out.bin already exists; pass ${name('force')} to replace it`, { code: 'DASS_OUTPUT_PATH', field: 'out' }),
        'dass: error: out.bin already exists; pass --force to replace it',
      ],
      [new ModelLoadError('/m/config.json', 'NOT_FOUND', 'config.json is missing'), 'dass: error: /m/config.json: config.json is missing'],
      [new TextSourceError('a.txt', 'EMPTY', 'is empty (0 bytes)'), 'dass: error: a.txt: is empty (0 bytes)'],
      [new TaskFileError('piqa.jsonl', 3, 'bad JSON'), 'dass: error: piqa.jsonl:3: bad JSON'],
    ];
    for (const [err, text] of cases) expect(reportError(err)).toEqual({ exitCode: EXIT_USER, text });
  });

  it('maps every @dass/errors code to its exit code', () => {
    expect(Object.keys(CODE_EXIT).sort()).toEqual(Object.keys(DASS_ERROR_CODES).sort());
    for (const code of Object.keys(DASS_ERROR_CODES) as DassErrorCode[]) {
      expect(reportError(new DassError(code, `/x/file.bin: a problem of kind ${code}`))).toEqual({
        exitCode: EXIT_USER,
        text: `dass: error: /x/file.bin: a problem of kind ${code}`,
      });
    }
  });

  it('shows the option fields a library names as the flags that set them', () => {
    for (const [field, flag] of Object.entries(FIELD_FLAGS)) {
      expect(flagOf(field)).toBe(flag);
      expect(reportError(new InvalidArgumentError(field, 'expected something else, got "x"')).text).toBe(
        `dass: error: ${flag}: expected something else, got "x"`,
      );
    }
    // method options declared by the registered methods and updates, and fields no flag sets (shown as they are)
    expect(flagOf('percdamp')).toBe('--percdamp');
    expect(flagOf('alpha')).toBe('--alpha');
    expect(flagOf('inputIds')).toBe('inputIds');
    const seqlen = new InvalidArgumentError('seqlen', (name) => `expected a positive integer, got 0 (see ${name('nsamples')})`);
    expect(seqlen.message).toBe('seqlen: expected a positive integer, got 0 (see nsamples)');
    expect(reportError(seqlen)).toEqual({ exitCode: EXIT_USER, text: 'dass: error: --seqlen: expected a positive integer, got 0 (see --nsamples)' });
    expect(reportError(new InvalidArgumentError('layerRatios', (name) => `or ${name('partialGroups')}`, { shown: 'owl' })).text).toBe(
      'dass: error: --layer-ratios owl: or --partial-groups',
    );
    const inside = new OutputPathError('outDir', '/m/out', (name) => `lies inside the input ${name('model')} /m; choose another path`);
    expect(reportError(inside)).toEqual({ exitCode: EXIT_USER, text: 'dass: error: --out /m/out lies inside the input --model /m; choose another path' });
  });

  it('treats plain RangeError/TypeError as internal, whatever their message says', () => {
    // Before the error contract these were told apart by a message regex; now only a DassError is the user's.
    expect(reportError(new RangeError('sparsity: expected a ratio in [0, 1) or "N:M", got "1.5"')).exitCode).toBe(EXIT_INTERNAL);
    expect(reportError(Object.assign(new Error('x'), { name: 'ModelLoadError', code: 'DASS_NOT_FOUND' })).exitCode).toBe(EXIT_INTERNAL);
    // Made by the engine, i.e. a bug of ours:
    let engine: unknown;
    try {
      void (undefined as unknown as { x: number }).x;
    } catch (err) {
      engine = err;
    }
    expect(engine).toBeInstanceOf(TypeError);
    expect(reportError(engine).exitCode).toBe(EXIT_INTERNAL);
    expect(reportError(new RangeError('Invalid typed array length: -4')).exitCode).toBe(EXIT_INTERNAL);
    const nodeError = Object.assign(new TypeError('The "path" argument must be of type string. Received undefined'), { code: 'ERR_INVALID_ARG_TYPE' });
    expect(reportError(nodeError).exitCode).toBe(EXIT_INTERNAL);
    expect(reportError(new Error('boom')).exitCode).toBe(EXIT_INTERNAL);
  });

  describe('an error from a second copy of @dass/errors', () => {
    let dir: string;
    let copy: typeof import('@dass/errors');
    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'dass-cli-errors-copy-'));
      const source = join(import.meta.dirname, '..', '..', '..', 'packages', 'errors', 'src', 'dass-error.ts');
      await copyFile(source, join(dir, 'dass-error.ts'));
      copy = (await import(/* @vite-ignore */ pathToFileURL(join(dir, 'dass-error.ts')).href)) as typeof import('@dass/errors');
    });
    afterAll(() => rm(dir, { recursive: true, force: true }));

    it('is not instanceof ours, yet maps to its exit code and flags', () => {
      const theirs = new copy.InvalidArgumentError('nsamples', 'expected a positive integer, got 0');
      expect(theirs).not.toBeInstanceOf(DassError);
      expect(reportError(theirs)).toEqual({ exitCode: EXIT_USER, text: 'dass: error: --nsamples: expected a positive integer, got 0' });
      expect(reportError(new copy.DassError('DASS_NOT_FOUND', '/m: no such model')).exitCode).toBe(EXIT_USER);
    });
  });

  it('treats a file-system error on a path the user gave (or inside it) as a user error', () => {
    expect(reportError(fsError('ENOENT', '/data/wiki.raw'), { userPaths: ['/data/wiki.raw'] })).toEqual({
      exitCode: EXIT_USER,
      text: 'dass: error: /data/wiki.raw: no such file or directory',
    });
    expect(reportError(fsError('EACCES', '/models/m/model.safetensors'), { userPaths: ['/models/m/'] }).exitCode).toBe(EXIT_USER);
    // Not one of the user's paths: our bug (e.g. a missing bundled asset).
    expect(reportError(fsError('ENOENT', '/opt/dass/assets/x.bin'), { userPaths: ['/data/wiki.raw', '/opt/dass/assets/x'] }).exitCode).toBe(EXIT_INTERNAL);
  });

  it('prints the stack of an internal error only in debug mode, and always on one line otherwise', () => {
    const err = new Error('first line\nsecond line');
    const plain = reportError(err);
    expect(plain.text).toBe('dass: internal error: first line second line (set DASS_DEBUG=1 for the stack)');
    expect(plain.text.includes('\n')).toBe(false);
    const debug = reportError(err, { debug: true });
    expect(debug.text.split('\n')[0]).toBe('dass: internal error: first line second line');
    expect(debug.text).toContain('cli-errors.test.ts');
  });

  it('maps an interruption to 130', () => {
    expect(reportError(new InterruptedError())).toEqual({ exitCode: EXIT_SIGINT, text: 'dass: interrupted' });
  });
});

describe('oneLine', () => {
  it('joins yargs-style multi-line messages', () => {
    expect(oneLine('Invalid values:\n  Argument: targets, Given: "x", Choices: "mlp", "all"\n')).toBe(
      'Invalid values: Argument: targets, Given: "x", Choices: "mlp", "all"',
    );
  });
});
