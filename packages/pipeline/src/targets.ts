import { DECODER_LINEARS, MLP_LINEARS } from '@dass/model-loader';
import type { LinearName } from '@dass/model-loader';
import { InvalidArgumentError } from '@dass/errors';

/** Which decoder linears are pruned: `mlp` (gate/up/down, as the DaSS authors prune for every method) or `all`. */
export const TARGET_SETS = { mlp: MLP_LINEARS, all: DECODER_LINEARS } as const satisfies Record<string, readonly LinearName[]>;
export type TargetSet = keyof typeof TARGET_SETS;

export function targetLinears(targets: string): readonly LinearName[] {
  const set = (TARGET_SETS as Record<string, readonly LinearName[]>)[targets];
  if (!set) throw new InvalidArgumentError('targets', `expected one of ${Object.keys(TARGET_SETS).join(', ')}, got ${JSON.stringify(targets)}`);
  return set;
}
