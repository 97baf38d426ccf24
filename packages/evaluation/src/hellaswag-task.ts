import { parseJsonLines, RowReader } from './task-rows.js';
import { answerChoice, type ZeroShotDoc, type ZeroShotTask } from './zero-shot-task.js';

/**
 * lm-eval-harness's HellaSwag `preprocess`: strip, " [title]" → ". ", drop the WikiHow "[header]"-style
 * bracket tags, collapse double spaces (one pass, as the harness's single `replace("  ", " ")`).
 */
export function preprocessHellaswag(text: string): string {
  return text
    .trim()
    .replaceAll(' [title]', '. ')
    .replace(/\[.*?\]/g, '')
    .replaceAll('  ', ' ');
}

/** Python's str.capitalize(): first character upper-cased, the rest lower-cased. */
export function pythonCapitalize(text: string): string {
  const [first = '', ...rest] = Array.from(text);
  return first.toUpperCase() + rest.join('').toLowerCase();
}

/** HellaSwag in the original rowanz format, prompt and endings as the harness's `process_docs` builds them. */
export const hellaswagTask: ZeroShotTask = {
  name: 'hellaswag',
  file: 'hellaswag/hellaswag_val_subset1000.jsonl',
  description: 'HellaSwag validation (1000-item subset, 4 endings); prompt "{activity_label}: {ctx_a} {Ctx_b}"',
  metrics: 'multiple_choice',
  accNorm: true,
  parse(text: string, file: string): ZeroShotDoc[] {
    return parseJsonLines(text, file).map(({ line, value }) => {
      const row = new RowReader(file, line, value);
      const label = row.string('activity_label');
      const ctxA = row.string('ctx_a');
      const ctxB = row.string('ctx_b');
      const endings = row.strings('endings', { min: 2 });
      const gold = row.index('label', endings.length);
      const context = preprocessHellaswag(`${label}: ${ctxA} ${pythonCapitalize(ctxB)}`);
      const choices = endings.map((e, i) => {
        const ending = preprocessHellaswag(e);
        if (ending === '') row.fail(`field "endings": ending ${i} is empty after preprocessing`);
        return answerChoice(context, ending);
      });
      return { choices, gold, line };
    });
  },
};
