import { TaskFileError } from './task-file-error.js';
import { numberedLines } from './task-rows.js';
import { answerChoice, type ZeroShotDoc, type ZeroShotTask } from './zero-shot-task.js';

/**
 * GLUE RTE dev as a TSV with a header naming `sentence1`, `sentence2`, `label` (extra columns such as `idx` are
 * ignored); fields are raw (GLUE files are unquoted). Label 0 = entailment = " True", 1 = " False" (the harness's
 * glue/rte template: "{s1}\nQuestion: {s2} True or False?\nAnswer:").
 */
export const rteTask: ZeroShotTask = {
  name: 'rte',
  file: 'rte/rte_dev.tsv',
  description: 'GLUE RTE dev (True/False); prompt "{sentence1}\\nQuestion: {sentence2} True or False?\\nAnswer:"',
  metrics: 'multiple_choice',
  accNorm: false,
  parse(text: string, file: string): ZeroShotDoc[] {
    const [header, ...rows] = numberedLines(text);
    if (header === undefined) throw new TaskFileError(file, 1, 'empty file: expected a header "sentence1<TAB>sentence2<TAB>label"');
    const names = header.text.split('\t');
    const column = (name: string) => {
      const i = names.indexOf(name);
      if (i < 0) throw new TaskFileError(file, header.line, `header: no "${name}" column (found ${JSON.stringify(names)})`);
      return i;
    };
    const s1 = column('sentence1');
    const s2 = column('sentence2');
    const lab = column('label');
    return rows.map(({ line, text: src }) => {
      const cells = src.split('\t');
      if (cells.length !== names.length) {
        throw new TaskFileError(file, line, `expected ${names.length} tab-separated fields, got ${cells.length}`);
      }
      const label = cells[lab].trim();
      const gold = label === '0' || label === 'entailment' ? 0 : label === '1' || label === 'not_entailment' ? 1 : -1;
      if (gold < 0) throw new TaskFileError(file, line, `field "label": expected 0, 1, entailment or not_entailment, got ${JSON.stringify(cells[lab])}`);
      if (cells[s1].trim() === '' || cells[s2].trim() === '') throw new TaskFileError(file, line, 'empty sentence1 or sentence2');
      const context = `${cells[s1]}\nQuestion: ${cells[s2]} True or False?\nAnswer:`;
      return { choices: [answerChoice(context, 'True'), answerChoice(context, 'False')], gold, line };
    });
  },
};
