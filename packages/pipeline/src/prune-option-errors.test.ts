// runPrune's option checks name PruneOptions fields (never CLI flags) and carry the DASS_INVALID_ARGUMENT code, so a
// library caller reads about `seqlen` and the CLI can show `--seqlen`.
import { DassError, InvalidArgumentError } from '@dass/errors';
import { describe, expect, it } from 'vitest';
import { validatePruneOptions, type PruneOptions } from './run-prune.js';

const base: PruneOptions = { model: 'm', calib: 'c.txt', out: 'o', method: 'wanda', sparsity: '0.5' };

describe('validatePruneOptions errors', () => {
  const cases: [Partial<PruneOptions>, string, string][] = [
    [{ method: 'nope' }, 'method', 'method: unknown pruning method "nope"; registered: '],
    [{ update: 'ols' }, 'update', 'update: unknown weight update "ols"'],
    [
      { method: 'sparsegpt', update: 'obs' },
      'update',
      'update obs: sparsegpt chooses its mask inside its own step (it updates weights itself); update needs a method that scores',
    ],
    [{ sparsity: '1.5' }, 'sparsity', 'sparsity: '],
    [{ alpha: 1 }, 'alpha', 'alpha: wanda takes no options'],
    [{ method: 'dass', alpha: -1 }, 'alpha', 'alpha: expected a finite number >= 0, got -1'],
    [{ layerRatios: 'owls' }, 'layerRatios', 'layerRatios: expected one of uniform, owl, got "owls"'],
    [
      { layerRatios: 'owl', sparsity: '2:4' },
      'layerRatios',
      'layerRatios owl: OWL gives each layer its own unstructured ratio, but sparsity 2:4 fixes N of every M weights',
    ],
    [{ owlM: 0 }, 'owlM', 'owlM: expected a number > 0, got 0'],
    [{ owlLambda: 0.5 }, 'owlLambda', 'owlLambda: expected a number in [0, 0.5), got 0.5'],
    [{ targets: 'attention' }, 'targets', 'targets: expected one of '],
    [{ partialGroups: 'drop' as never }, 'partialGroups', 'partialGroups: expected error or dense, got "drop"'],
    [{ outFormat: 'gguf' as never }, 'outFormat', 'outFormat: expected one of same, hf, llama2c, got "gguf"'],
    [{ seed: 0.5 }, 'seed', 'seed: expected an integer, got 0.5'],
    [{ backend: 'metal' as never }, 'backend', 'backend: expected one of auto, '],
    [{ model: '' }, 'model', 'model: required'],
    [{ calib: '' }, 'calib', 'calib: required'],
    [{ out: '' }, 'out', 'out: required'],
    [{ nsamples: 0 }, 'nsamples', 'nsamples: expected a positive integer, got 0'],
    [{ seqlen: 2.5 }, 'seqlen', 'seqlen: expected a positive integer, got 2.5'],
    [{ threads: 0 }, 'threads', 'threads: expected a positive integer, got 0'],
  ];
  for (const [bad, field, start] of cases) {
    it(`${JSON.stringify(bad)}: field ${field}, no flag in the message`, () => {
      let err: unknown;
      try {
        validatePruneOptions({ ...base, ...bad });
      } catch (e) {
        err = e;
      }
      expect(DassError.isInstance(err)).toBe(true);
      expect(InvalidArgumentError.isInstance(err)).toBe(true);
      expect(err).toMatchObject({ code: 'DASS_INVALID_ARGUMENT', field });
      const message = (err as Error).message;
      expect(message.startsWith(start), message).toBe(true);
      expect(message).not.toMatch(/--[a-z]/);
      // what an application shows: every field the message names, renamed
      expect((err as DassError).describe((f) => `<${f}>`).startsWith(`<${field}>`)).toBe(true);
    });
  }
});
