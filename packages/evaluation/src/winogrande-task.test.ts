import { describe, expect, it } from 'vitest';
import { winograndeTask } from './winogrande-task.js';

describe('WinoGrande (partial scoring)', () => {
  it('pairs each filled-in context with the shared continuation after one space', () => {
    const row = {
      context_options: ['Sarah was better than Maria so Sarah', 'Sarah was better than Maria so Maria'],
      continuation: 'got the easier cases.',
      gold: 1,
    };
    const [doc] = winograndeTask.parse(JSON.stringify(row), 'w');
    expect(doc.choices.map((c) => c.context + c.continuation)).toEqual([
      'Sarah was better than Maria so Sarah got the easier cases.',
      'Sarah was better than Maria so Maria got the easier cases.',
    ]);
    expect(doc.gold).toBe(1);
  });

  it('rejects a gold outside the options', () => {
    expect(() => winograndeTask.parse(JSON.stringify({ context_options: ['a', 'b'], continuation: 'c', gold: 2 }), 'w.jsonl')).toThrow(
      'w.jsonl:1: field "gold": expected an integer in [0, 1], got 2',
    );
  });
});
