import { parseJsonLines, RowReader } from './task-rows.js';
import { answerChoice, type ZeroShotDoc, type ZeroShotTask } from './zero-shot-task.js';

/**
 * Tasks in llm-foundry's multiple-choice format `{query, choices, gold}`. The prompt is rebuilt to the
 * lm-eval-harness template where the file allows it: llm-foundry's query is the harness's prompt minus the
 * "\nAnswer:" line (piqa's query already ends in "\n"), and the answer follows after one space (" {choice}").
 */
function llmFoundryTask(name: string, file: string, description: string, accNorm: boolean, prompt: (query: string) => string): ZeroShotTask {
  return {
    name,
    file,
    description,
    metrics: 'multiple_choice',
    accNorm,
    parse(text: string, fileName: string): ZeroShotDoc[] {
      return parseJsonLines(text, fileName).map(({ line, value }) => {
        const row = new RowReader(fileName, line, value);
        const query = row.string('query', { nonEmpty: true });
        const choices = row.strings('choices', { min: 2 });
        choices.forEach((c, i) => {
          if (c.trim() === '') row.fail(`field "choices": choice ${i} is empty`);
        });
        const gold = row.index('gold', choices.length);
        const context = prompt(query);
        return { choices: choices.map((c) => answerChoice(context, c)), gold, line };
      });
    },
  };
}

/** "Question: {goal}\nAnswer:" (the file's query is "Question: {goal}\n"). */
const answerLine = (query: string) => (query.endsWith('\n') ? `${query}Answer:` : `${query}\nAnswer:`);

export const piqaTask = llmFoundryTask(
  'piqa',
  'piqa/piqa_validation.jsonl',
  'PIQA validation (physical commonsense, 2 choices); prompt "Question: {goal}\\nAnswer:"',
  true,
  answerLine,
);

export const arcEasyTask = llmFoundryTask(
  'arc_easy',
  'arc_easy/arc_easy_test.jsonl',
  'ARC-Easy test (4 choices); prompt "Question: {question}\\nAnswer:"',
  true,
  answerLine,
);

export const arcChallengeTask = llmFoundryTask(
  'arc_challenge',
  'arc_challenge/arc_challenge_test.jsonl',
  'ARC-Challenge test (4 choices); prompt "Question: {question}\\nAnswer:"',
  true,
  answerLine,
);

export const boolqTask = llmFoundryTask(
  'boolq',
  'boolq/boolq_dev.jsonl',
  'BoolQ dev (choices no/yes); prompt "Passage: {passage}\\nQuestion: {question}?\\nAnswer:"',
  false,
  answerLine,
);

export const openbookqaTask = llmFoundryTask(
  'openbookqa',
  'openbookqa/openbookqa_test.jsonl',
  'OpenBookQA test (4 choices, no fact); prompt = the question stem',
  true,
  (query) => query,
);
