import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TaskFileError } from './task-file-error.js';
import { defaultTasksDir, getZeroShotTask, loadTaskDocs, parseTaskList, zeroShotTasks } from './zero-shot-tasks.js';

// The real, full task files (not part of the repo): checked when present, skipped otherwise.
const sharedTasksDir = process.env.DASS_SHARED_TASKS ?? '/work/shared/assets/tasks';
const fullRows: Record<string, number> = {
  piqa: 1838,
  arc_easy: 2376,
  arc_challenge: 1172,
  boolq: 3270,
  openbookqa: 500,
  lambada: 5153,
  hellaswag: 1000,
  winogrande: 1267,
  rte: 277,
};

/** Replaces 1-based line `line` of `text`. */
function withLine(text: string, line: number, replacement: string): string {
  const lines = text.split('\n');
  lines[line - 1] = replacement;
  return lines.join('\n');
}

describe('zero-shot task registry', () => {
  it('holds the nine tasks by name', () => {
    expect(Object.keys(zeroShotTasks).sort()).toEqual(Object.keys(fullRows).sort());
    for (const [name, task] of Object.entries(zeroShotTasks)) expect(task.name).toBe(name);
  });

  it('parses --tasks lists', () => {
    expect(parseTaskList('piqa, arc_easy').map((t) => t.name)).toEqual(['piqa', 'arc_easy']);
    expect(parseTaskList('all')).toHaveLength(9);
    expect(() => parseTaskList('piqa,piqa')).toThrow('tasks: "piqa" is listed twice in "piqa,piqa"');
    expect(() => parseTaskList('piqa,mmlu')).toThrow(/task: expected one of .*, got "mmlu"/);
    expect(() => parseTaskList('')).toThrow('tasks: expected a comma-separated list of task names, got ""');
    expect(() => getZeroShotTask('toString')).toThrow(/got "toString"/);
  });
});

describe.each(Object.values(zeroShotTasks))('task $name', (task) => {
  const fixture = join(defaultTasksDir, task.file);
  const text = readFileSync(fixture, 'utf8');

  it('parses its bundled fixture (the first 40 items of the real file)', () => {
    const docs = loadTaskDocs(task);
    expect(docs).toHaveLength(40);
    for (const doc of docs) {
      expect(doc.gold).toBeGreaterThanOrEqual(0);
      expect(doc.gold).toBeLessThan(doc.choices.length);
      for (const c of doc.choices) {
        expect(c.continuation.startsWith(' ')).toBe(true);
        expect(c.normBytes).toBeGreaterThan(0);
      }
    }
    // Items keep their line numbers (rte's line 1 is the header).
    expect(docs[0].line).toBe(task.name === 'rte' ? 2 : 1);
  });

  it('rejects a line that is not valid, naming the file and line number', () => {
    const bad = task.name === 'rte' ? 'only one field' : '{"query": "x", ';
    expect(() => task.parse(withLine(text, 3, bad), fixture)).toThrow(TaskFileError);
    expect(() => task.parse(withLine(text, 3, bad), fixture)).toThrow(`${fixture}:3: `);
  });

  it('rejects a line with a wrong or missing field, naming the line and field', () => {
    const bad = task.name === 'rte' ? 'a\tb\tmaybe\t7' : '{"unexpected": 1}';
    expect(() => task.parse(withLine(text, 5, bad), 'x.jsonl')).toThrow(/^x\.jsonl:5: field "/);
  });

  it('refuses bytes that are not UTF-8 (no U+FFFD), naming the file and line', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dass-task-'));
    try {
      const lines = readFileSync(fixture).toString('latin1').split('\n');
      lines[2] = lines[2].replace(/[a-z]/, '\xe9'); // one Latin-1 é (byte E9) on line 3
      mkdirSync(dirname(join(dir, task.file)), { recursive: true });
      writeFileSync(join(dir, task.file), Buffer.from(lines.join('\n'), 'latin1'));
      expect(() => loadTaskDocs(task, dir)).toThrow(`${join(dir, task.file)}:3: not valid UTF-8 text`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.skipIf(!existsSync(join(sharedTasksDir, task.file)))('parses the full real file', () => {
    const docs = loadTaskDocs(task, sharedTasksDir);
    expect(docs).toHaveLength(fullRows[task.name]);
  });
});
