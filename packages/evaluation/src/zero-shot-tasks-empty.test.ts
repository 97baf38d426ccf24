import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TaskFileError } from './task-file-error.js';
import { loadTaskDocs, zeroShotTasks } from './zero-shot-tasks.js';

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'dass-tasks-empty-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

async function taskDir(name: string, task: string, content: string): Promise<{ dir: string; file: string }> {
  const dir = join(tmp, name);
  const file = join(dir, zeroShotTasks[task]!.file);
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, content);
  return { dir, file };
}

function refusal(f: () => unknown): TaskFileError {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(TaskFileError);
    return err as TaskFileError;
  }
  throw new Error('expected a TaskFileError');
}

describe('loadTaskDocs: a task file that holds no items is a TaskFileError naming the file', () => {
  for (const task of Object.keys(zeroShotTasks)) {
    it(`${task}: empty, then only blank lines`, async () => {
      const empty = await taskDir(`${task}-empty`, task, '');
      const e = refusal(() => loadTaskDocs(zeroShotTasks[task]!, empty.dir));
      expect(e.message).toBe(`${empty.file}: holds no items (the file is empty)`);
      expect(e.line).toBeUndefined();
      const blank = await taskDir(`${task}-blank`, task, '\n  \n\t\r\n\n');
      expect(refusal(() => loadTaskDocs(zeroShotTasks[task]!, blank.dir)).message).toBe(`${blank.file}: holds no items (only blank lines)`);
    });
  }

  it('rte: a header line and nothing else', async () => {
    const { dir, file } = await taskDir('rte-header', 'rte', 'idx\tsentence1\tsentence2\tlabel\n\n');
    expect(refusal(() => loadTaskDocs(zeroShotTasks.rte!, dir)).message).toBe(`${file}: holds no items (only a header line)`);
  });

  it('a missing task file names the path it looked for', () => {
    const e = refusal(() => loadTaskDocs(zeroShotTasks.piqa!, join(tmp, 'nowhere')));
    expect(e.message).toBe(
      `${join(tmp, 'nowhere', 'piqa', 'piqa_validation.jsonl')}: task file of piqa not found (expected <tasksDir>/piqa/piqa_validation.jsonl)`,
    );
  });

  it('a problem on one line keeps the file:line form', () => {
    expect(new TaskFileError('f.jsonl', 3, 'not valid JSON').message).toBe('f.jsonl:3: not valid JSON');
    expect(new TaskFileError('f.jsonl', undefined, 'holds no items (the file is empty)').message).toBe('f.jsonl: holds no items (the file is empty)');
  });
});
