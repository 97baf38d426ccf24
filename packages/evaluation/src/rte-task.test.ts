import { describe, expect, it } from 'vitest';
import { rteTask } from './rte-task.js';

describe('RTE (GLUE TSV)', () => {
  it('builds "{s1}\\nQuestion: {s2} True or False?\\nAnswer:" with " True" (label 0) and " False" (label 1)', () => {
    const docs = rteTask.parse('sentence1\tsentence2\tlabel\tidx\r\nA dog ran "fast".\tAn animal ran.\t0\t0\r\nIt rained.\tIt was dry.\t1\t1\r\n', 'r');
    expect(docs.map((d) => d.gold)).toEqual([0, 1]);
    expect(docs[0].choices.map((c) => c.context + c.continuation)).toEqual([
      'A dog ran "fast".\nQuestion: An animal ran. True or False?\nAnswer: True',
      'A dog ran "fast".\nQuestion: An animal ran. True or False?\nAnswer: False',
    ]);
    expect(docs[1].line).toBe(3);
  });

  it('finds columns by the header and rejects a missing column', () => {
    const docs = rteTask.parse('label\tsentence2\tsentence1\nnot_entailment\tB\tA\n', 'r');
    expect(docs[0].choices[0].context).toBe('A\nQuestion: B True or False?\nAnswer:');
    expect(docs[0].gold).toBe(1);
    expect(() => rteTask.parse('sentence1\tlabel\nA\t0\n', 'r.tsv')).toThrow('r.tsv:1: header: no "sentence2" column');
  });

  it('rejects a short row and a bad label with their line numbers', () => {
    expect(() => rteTask.parse('sentence1\tsentence2\tlabel\nA\tB\t0\nA\tB\n', 'r.tsv')).toThrow('r.tsv:3: expected 3 tab-separated fields, got 2');
    expect(() => rteTask.parse('sentence1\tsentence2\tlabel\nA\tB\t2\n', 'r.tsv')).toThrow(
      'r.tsv:2: field "label": expected 0, 1, entailment or not_entailment, got "2"',
    );
  });
});
