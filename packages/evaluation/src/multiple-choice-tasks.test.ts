import { describe, expect, it } from 'vitest';
import { arcEasyTask, boolqTask, openbookqaTask, piqaTask } from './multiple-choice-tasks.js';

const line = (row: unknown) => JSON.stringify(row);

describe('llm-foundry multiple-choice tasks, prompts rebuilt to the harness templates', () => {
  it('piqa: "Question: {goal}\\nAnswer:" + " {sol}"', () => {
    const [doc] = piqaTask.parse(line({ query: 'Question: How to dry a cup?\n', choices: ['Use a towel.', 'Use water.'], gold: 0 }), 'p');
    expect(doc.choices.map((c) => c.context)).toEqual(['Question: How to dry a cup?\nAnswer:', 'Question: How to dry a cup?\nAnswer:']);
    expect(doc.choices.map((c) => c.continuation)).toEqual([' Use a towel.', ' Use water.']);
    expect(doc.choices.map((c) => c.normBytes)).toEqual([12, 10]);
  });

  it('arc: "Question: {q}\\nAnswer:"; boolq: "Passage: …\\nQuestion: …?\\nAnswer:" with " no"/" yes"', () => {
    const [arc] = arcEasyTask.parse(line({ query: 'Question: Which is hot?', choices: ['sun', 'ice', 'snow', 'café'], gold: 0 }), 'a');
    expect(arc.choices[0].context).toBe('Question: Which is hot?\nAnswer:');
    expect(arc.choices[3]).toEqual({ context: 'Question: Which is hot?\nAnswer:', continuation: ' café', normBytes: 5 }); // UTF-8 bytes
    const [bq] = boolqTask.parse(line({ query: 'Passage: P.\nQuestion: is it?', choices: ['no', 'yes'], gold: 1 }), 'b');
    expect(bq.choices.map((c) => c.context + c.continuation)).toEqual([
      'Passage: P.\nQuestion: is it?\nAnswer: no',
      'Passage: P.\nQuestion: is it?\nAnswer: yes',
    ]);
    expect(bq.gold).toBe(1);
    expect(boolqTask.accNorm).toBe(false);
  });

  it('openbookqa: the question stem, then " {choice}"', () => {
    const [doc] = openbookqaTask.parse(line({ query: 'Predators eat', choices: ['lions', 'bunnies'], gold: 1 }), 'o');
    expect(doc.choices[1].context + doc.choices[1].continuation).toBe('Predators eat bunnies');
  });

  it('rejects a gold index out of range and an empty choice, with the line number', () => {
    const text = `${line({ query: 'Q', choices: ['a', 'b'], gold: 0 })}\n\n${line({ query: 'Q', choices: ['a', 'b'], gold: 2 })}\n`;
    expect(() => piqaTask.parse(text, 'f.jsonl')).toThrow('f.jsonl:3: field "gold": expected an integer in [0, 1], got 2');
    expect(() => piqaTask.parse(line({ query: 'Q', choices: ['a', ' '], gold: 0 }), 'f.jsonl')).toThrow('f.jsonl:1: field "choices": choice 1 is empty');
  });
});
