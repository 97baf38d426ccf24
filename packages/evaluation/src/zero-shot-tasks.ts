import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { arcChallengeTask, arcEasyTask, boolqTask, openbookqaTask, piqaTask } from './multiple-choice-tasks.js';
import { hellaswagTask } from './hellaswag-task.js';
import { winograndeTask } from './winogrande-task.js';
import { lambadaTask } from './lambada-task.js';
import { rteTask } from './rte-task.js';
import { TaskFileError } from './task-file-error.js';
import type { ZeroShotDoc, ZeroShotTask } from './zero-shot-task.js';
import { decodeUtf8Exact } from '@dass/model-loader';
import { InvalidArgumentError } from '@dass/errors';

/** Every zero-shot task, keyed by the name `--tasks` takes. */
export const zeroShotTasks: Readonly<Record<string, ZeroShotTask>> = Object.freeze(
  Object.fromEntries(
    [boolqTask, rteTask, hellaswagTask, winograndeTask, arcEasyTask, arcChallengeTask, openbookqaTask, piqaTask, lambadaTask].map((t) => [t.name, t]),
  ),
);

/** The bundled task files (the first rows of each real file); pass the full files' dir for real numbers. */
export const defaultTasksDir: string = fileURLToPath(new URL('../fixtures/tasks/', import.meta.url));

export function getZeroShotTask(name: string): ZeroShotTask {
  const task = typeof name === 'string' && Object.hasOwn(zeroShotTasks, name) ? zeroShotTasks[name] : undefined;
  if (task === undefined) {
    throw new InvalidArgumentError('task', `expected one of ${Object.keys(zeroShotTasks).join(', ')}, got ${JSON.stringify(name)}`);
  }
  return task;
}

/** Parses a `--tasks piqa,arc_easy` list (`all` = every task), rejecting unknown and duplicate names. */
export function parseTaskList(list: string): ZeroShotTask[] {
  if (typeof list !== 'string' || list.trim() === '')
    throw new InvalidArgumentError('tasks', `expected a comma-separated list of task names, got ${JSON.stringify(list)}`);
  const names = list
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (names.length === 1 && names[0] === 'all') return Object.values(zeroShotTasks);
  const seen = new Set<string>();
  return names.map((name) => {
    if (seen.has(name)) throw new InvalidArgumentError('tasks', `"${name}" is listed twice in ${JSON.stringify(list)}`);
    seen.add(name);
    return getZeroShotTask(name);
  });
}

/**
 * A task file's text, decoded exactly: bytes that are not UTF-8 are an error (not U+FFFD), and a leading BOM stays
 * U+FEFF (Python's `open(..., encoding="utf-8")`, through which lm-eval's data loaders read, keeps it too).
 */
function readTaskText(file: string): string {
  const bytes = readFileSync(file);
  try {
    return decodeUtf8Exact(bytes);
  } catch {
    // Name the first line that does not decode (a UTF-8 sequence never spans a \n byte).
    let line = 1;
    for (let start = 0; start <= bytes.length; line++) {
      const nl = bytes.indexOf(0x0a, start);
      const end = nl < 0 ? bytes.length : nl;
      try {
        decodeUtf8Exact(bytes.subarray(start, end));
      } catch {
        break;
      }
      start = end + 1;
    }
    throw new TaskFileError(file, line, 'not valid UTF-8 text (another encoding?)');
  }
}

/** Reads and parses a task's file from `tasksDir` (`<tasksDir>/<task.file>`). */
export function loadTaskDocs(task: ZeroShotTask, tasksDir: string = defaultTasksDir): ZeroShotDoc[] {
  if (typeof tasksDir !== 'string' || tasksDir === '') throw new InvalidArgumentError('tasksDir', `expected a directory path, got ${JSON.stringify(tasksDir)}`);
  const file = join(tasksDir, task.file);
  if (!existsSync(file))
    throw new TaskFileError(file, undefined, `task file of ${task.name} not found (expected <tasksDir>/${task.file})`, {
      code: 'DASS_NOT_FOUND',
      field: 'tasksDir',
    });
  const text = readTaskText(file);
  if (text.trim() === '') throw new TaskFileError(file, undefined, `holds no items (${text.length === 0 ? 'the file is empty' : 'only blank lines'})`);
  const docs = task.parse(text, file);
  if (docs.length === 0) throw new TaskFileError(file, undefined, 'holds no items (only a header line)');
  return docs;
}
