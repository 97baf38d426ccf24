import { describe, expect, it } from 'vitest';
import { lambadaTask } from './lambada-task.js';

describe('LAMBADA', () => {
  it('predicts " {last word}" after the passage', () => {
    const [doc] = lambadaTask.parse(JSON.stringify({ context: 'I look at him. I do not care about', continuation: 'signs' }), 'l');
    expect(doc.choices).toEqual([{ context: 'I look at him. I do not care about', continuation: ' signs', normBytes: 5 }]);
    expect(doc.gold).toBe(0);
  });

  it('rejects an empty word with its line', () => {
    expect(() => lambadaTask.parse(`{"context": "a", "continuation": "b"}\n{"context": "a", "continuation": ""}`, 'l.jsonl')).toThrow(
      'l.jsonl:2: field "continuation": expected a non-empty string, got ""',
    );
  });
});
