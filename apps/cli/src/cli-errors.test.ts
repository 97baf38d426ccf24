import { describe, expect, it } from 'vitest';
import { ModelLoadError } from '@dass/model-loader';
import { UserInputError } from '@dass/pipeline';
import { TextSourceError } from '@dass/calibration';
import { TaskFileError } from '@dass/evaluation';
import { EXIT_INTERNAL, EXIT_SIGINT, EXIT_USER, InterruptedError, UsageError, oneLine, reportError } from './cli-errors.js';

function fsError(code: string, path: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: something, open '${path}'`), { code, path, syscall: 'open', errno: -2 });
}

describe('reportError', () => {
  it('treats the packages\' typed input errors as user errors: exit 2, one line, no stack', () => {
    const cases: [Error, string][] = [
      [new UsageError('--nsamples: expected an integer >= 1, got "0"'), 'dass: error: --nsamples: expected an integer >= 1, got "0"'],
      [new UserInputError('out.bin already exists; pass --force to replace it'), 'dass: error: out.bin already exists; pass --force to replace it'],
      [new ModelLoadError('/m/config.json', 'NOT_FOUND', 'config.json is missing'), 'dass: error: /m/config.json: config.json is missing'],
      [new TextSourceError('a.txt', 'EMPTY', 'is empty (0 bytes)'), 'dass: error: a.txt: is empty (0 bytes)'],
      [new TaskFileError('piqa.jsonl', 3, 'bad JSON'), 'dass: error: piqa.jsonl:3: bad JSON'],
    ];
    for (const [err, text] of cases) expect(reportError(err)).toEqual({ exitCode: EXIT_USER, text });
  });

  it('treats argument-validation RangeError/TypeError as user errors, engine-made ones as internal', () => {
    expect(reportError(new RangeError('sparsity: expected a ratio in [0, 1) or "N:M", got "1.5"')).exitCode).toBe(EXIT_USER);
    expect(reportError(new RangeError('model.layers.0.gate_proj [172, 64]: output dimension 172 is not divisible by M=8')).exitCode).toBe(EXIT_USER);
    expect(reportError(new TypeError('tokenizer: expected a Tokenizer with encode(), got undefined')).exitCode).toBe(EXIT_USER);
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
    expect(oneLine('Invalid values:\n  Argument: targets, Given: "x", Choices: "mlp", "all"\n')).toBe('Invalid values: Argument: targets, Given: "x", Choices: "mlp", "all"');
  });
});
