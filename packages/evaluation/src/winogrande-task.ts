import { parseJsonLines, RowReader } from './task-rows.js';
import { utf8Bytes, type ZeroShotDoc, type ZeroShotTask } from './zero-shot-task.js';

/**
 * WinoGrande with partial scoring (the harness's and llm-foundry's): each option fills the blank in the context,
 * and the shared continuation after the blank is scored under each filled-in context.
 */
export const winograndeTask: ZeroShotTask = {
  name: 'winogrande',
  file: 'winogrande/winogrande_xl_dev.jsonl',
  description: 'WinoGrande (xl) dev, partial scoring: the continuation after the blank under each filled-in context',
  metrics: 'multiple_choice',
  accNorm: false,
  parse(text: string, file: string): ZeroShotDoc[] {
    return parseJsonLines(text, file).map(({ line, value }) => {
      const row = new RowReader(file, line, value);
      const options = row.strings('context_options', { min: 2 });
      const continuation = row.string('continuation', { nonEmpty: true }).trim();
      const gold = row.index('gold', options.length);
      const choices = options.map((context) => ({ context, continuation: ` ${continuation}`, normBytes: utf8Bytes(continuation) }));
      return { choices, gold, line };
    });
  },
};
