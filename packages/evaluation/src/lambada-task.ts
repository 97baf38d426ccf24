import { parseJsonLines, RowReader } from './task-rows.js';
import { answerChoice, type ZeroShotDoc, type ZeroShotTask } from './zero-shot-task.js';

/** LAMBADA (OpenAI detokenized): the passage, then " {last word}" to predict. */
export const lambadaTask: ZeroShotTask = {
  name: 'lambada',
  file: 'lambada/lambada_openai_test.jsonl',
  description: 'LAMBADA OpenAI test: last-word greedy accuracy and perplexity of the last word',
  metrics: 'last_word',
  accNorm: false,
  parse(text: string, file: string): ZeroShotDoc[] {
    return parseJsonLines(text, file).map(({ line, value }) => {
      const row = new RowReader(file, line, value);
      const context = row.string('context', { nonEmpty: true });
      const word = row.string('continuation', { nonEmpty: true }).trim();
      return { choices: [answerChoice(context, word)], gold: 0, line };
    });
  },
};
