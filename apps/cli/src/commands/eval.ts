/** `dass eval <ppl|zeroshot>`: the evaluation command group. */
import type { Argv } from 'yargs';
import type { SelectCommand } from '../command-context.js';
import { evalPplCommand } from './eval-ppl.js';
import { evalZeroshotCommand } from './eval-zeroshot.js';

export function evalCommand(y: Argv, select: SelectCommand): Argv {
  return y.command('eval', 'Evaluate a model: perplexity (ppl) or zero-shot tasks (zeroshot)', (c) =>
    evalZeroshotCommand(evalPplCommand(c, select), select).demandCommand(1, 'eval: name what to evaluate: ppl or zeroshot'),
  );
}
