import type { WeightSource } from './types.js';

/**
 * One line for a user: which tensors of `source` the configured architecture ignores (the count and the first few
 * names; the full list is `source.unusedTensors`), or undefined when there are none.
 */
export function unusedTensorsWarning(source: Pick<WeightSource, 'path' | 'config' | 'unusedTensors'>, shown = 4): string | undefined {
  const unused = source.unusedTensors ?? [];
  if (unused.length === 0) return undefined;
  const names = unused.slice(0, shown).join(', ') + (unused.length > shown ? `, … (${unused.length - shown} more)` : '');
  return (
    `${source.path}: ${unused.length} tensor${unused.length === 1 ? '' : 's'} in the checkpoint ${unused.length === 1 ? 'is' : 'are'} not used by ` +
    `${source.config.architecture} as config.json configures it, so results ignore ${unused.length === 1 ? 'it' : 'them'} ` +
    `(a pruned copy keeps ${unused.length === 1 ? 'it' : 'them'} unchanged): ${names}`
  );
}
