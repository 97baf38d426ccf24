import type { Tokenizer } from '@dass/model-loader';
import { assertLanguageModel, type LanguageModel } from './language-model.js';
import { encodePair, type EncodedPair } from './encode-pair.js';
import { scoreContinuations } from './continuation-scores.js';
import type { ContinuationScore } from './continuation-scores.js';
import { mean, meanStderr } from './mean-stderr.js';
import { defaultTasksDir, getZeroShotTask, loadTaskDocs } from './zero-shot-tasks.js';
import type { ZeroShotDoc, ZeroShotTask } from './zero-shot-task.js';
import { InvalidArgumentError } from '@dass/errors';

export interface ZeroShotProgress {
  task: string;
  done: number;
  total: number;
}

export interface ZeroShotOptions {
  /** Directory holding `<task>/<file>` (default: the bundled fixture subsets). */
  tasksDir?: string;
  /** Score only the first `limit` items. */
  limit?: number;
  /**
   * Token budget (rows × padded length) of one model call: consecutive items are scored together, so a model that
   * streams its layers from disk reads them once per batch, not once per item (default 8192).
   */
  batchTokens?: number;
  onProgress?: (progress: ZeroShotProgress) => void;
}

export interface ZeroShotResult {
  task: string;
  /** Items scored. */
  n: number;
  acc: number;
  /** lm-eval-harness `mean_stderr` of acc. */
  accStderr: number;
  accNorm?: number;
  accNormStderr?: number;
  /** LAMBADA: exp(−mean over items of the last word's summed log-prob), the harness's `perplexity`. */
  perplexity?: number;
  /** Items whose context was cut from the left to fit the model. */
  truncatedItems: number;
  file: string;
  seconds: number;
}

/** Which choice an item picks: argmax of the summed log-probs (first index on ties, as numpy's argmax). */
function argmax(values: readonly number[]): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
  return best;
}

export interface ZeroShotDocScore {
  acc: number;
  accNorm: number;
  logLikelihood: number;
  truncated: boolean;
}

function judge(task: ZeroShotTask, doc: ZeroShotDoc, scores: readonly ContinuationScore[]): ZeroShotDocScore {
  const lls = scores.map((s) => s.logLikelihood);
  const truncated = scores.some((s) => s.truncated > 0);
  if (task.metrics === 'last_word') return { acc: scores[0].greedy ? 1 : 0, accNorm: Number.NaN, logLikelihood: lls[0], truncated };
  const normed = lls.map((ll, i) => ll / doc.choices[i].normBytes);
  return {
    acc: argmax(lls) === doc.gold ? 1 : 0,
    accNorm: argmax(normed) === doc.gold ? 1 : 0,
    logLikelihood: lls[doc.gold],
    truncated,
  };
}

/** Scores several items in one padded model call: acc/acc_norm hits (multiple choice) or greedy hit + log-likelihood (last word). */
export async function scoreZeroShotDocs(
  model: LanguageModel,
  tokenizer: Tokenizer,
  task: ZeroShotTask,
  docs: readonly ZeroShotDoc[],
): Promise<ZeroShotDocScore[]> {
  return scoreEncodedDocs(
    model,
    task,
    docs.map((doc) => encodeDoc(tokenizer, doc)),
  );
}

interface EncodedDoc {
  doc: ZeroShotDoc;
  /** One per choice. */
  pairs: EncodedPair[];
}

function encodeDoc(tokenizer: Tokenizer, doc: ZeroShotDoc): EncodedDoc {
  return { doc, pairs: doc.choices.map((c) => encodePair(tokenizer, c.context, c.continuation)) };
}

async function scoreEncodedDocs(model: LanguageModel, task: ZeroShotTask, encoded: readonly EncodedDoc[]): Promise<ZeroShotDocScore[]> {
  const scores = await scoreContinuations(
    model,
    encoded.flatMap((e) => e.pairs),
    { greedy: task.metrics === 'last_word' },
  );
  let next = 0;
  return encoded.map(({ doc, pairs }) => {
    const own = scores.slice(next, next + pairs.length);
    next += pairs.length;
    return judge(task, doc, own);
  });
}

/** Scores one item (see `scoreZeroShotDocs`). */
export async function scoreZeroShotDoc(model: LanguageModel, tokenizer: Tokenizer, task: ZeroShotTask, doc: ZeroShotDoc): Promise<ZeroShotDocScore> {
  return (await scoreZeroShotDocs(model, tokenizer, task, [doc]))[0];
}

/** Splits encoded items into consecutive batches whose rows × longest row stay within `budget` tokens (at least one item each). */
function batchDocs(encoded: readonly EncodedDoc[], budget: number): EncodedDoc[][] {
  const batches: EncodedDoc[][] = [];
  let current: EncodedDoc[] = [];
  let rows = 0;
  let longest = 0;
  for (const item of encoded) {
    // Untruncated row lengths (context + continuation tokens) bound the padded size.
    const docLongest = Math.max(...item.pairs.map((p) => p.contextIds.length + p.continuationIds.length));
    const nextLongest = Math.max(longest, docLongest);
    if (current.length > 0 && (rows + item.pairs.length) * nextLongest > budget) {
      batches.push(current);
      current = [];
      rows = 0;
      longest = 0;
    }
    current.push(item);
    rows += item.pairs.length;
    longest = Math.max(longest, docLongest);
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

/**
 * Zero-shot accuracy with lm-eval-harness semantics (docs/SPEC.md §5): per choice the summed log-prob of the continuation
 * tokens given the context (`encodePair` tokenization, BOS first); acc = argmax of the sums, acc_norm = argmax of
 * the sums divided by the answer's UTF-8 byte length; per-task mean and the harness's standard error.
 */
export async function evaluateZeroShot(model: LanguageModel, tokenizer: Tokenizer, taskName: string, options: ZeroShotOptions = {}): Promise<ZeroShotResult> {
  assertLanguageModel(model);
  if (tokenizer == null || typeof tokenizer.encode !== 'function') {
    throw new InvalidArgumentError('tokenizer', `expected a Tokenizer with encode(), got ${String(tokenizer)}`);
  }
  const { tasksDir = defaultTasksDir, limit, onProgress, batchTokens = 8192 } = options;
  if (!Number.isInteger(batchTokens) || batchTokens < 1) throw new InvalidArgumentError('batchTokens', `expected an integer >= 1, got ${String(batchTokens)}`);
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 1)) {
    throw new InvalidArgumentError('limit', `expected an integer >= 1, got ${String(limit)}`);
  }
  const task = getZeroShotTask(taskName);
  if (task.metrics === 'last_word' && typeof model.tokenNllAndArgmax !== 'function') {
    throw new InvalidArgumentError(task.name, `greedy last-word accuracy needs model.tokenNllAndArgmax(), which this model lacks`);
  }
  const started = performance.now();
  const allDocs = loadTaskDocs(task, tasksDir);
  const docs = limit === undefined ? allDocs : allDocs.slice(0, limit);
  const acc: number[] = [];
  const accNorm: number[] = [];
  const lls: number[] = [];
  let truncatedItems = 0;
  onProgress?.({ task: task.name, done: 0, total: docs.length });
  // Each choice is tokenized once: the same encoding sizes the batches and is scored.
  const encoded = docs.map((doc) => encodeDoc(tokenizer, doc));
  for (const batch of batchDocs(encoded, batchTokens)) {
    for (const s of await scoreEncodedDocs(model, task, batch)) {
      acc.push(s.acc);
      accNorm.push(s.accNorm);
      lls.push(s.logLikelihood);
      if (s.truncated) truncatedItems++;
    }
    onProgress?.({ task: task.name, done: acc.length, total: docs.length });
  }
  return {
    task: task.name,
    n: docs.length,
    acc: mean(acc),
    accStderr: meanStderr(acc),
    ...(task.accNorm ? { accNorm: mean(accNorm), accNormStderr: meanStderr(accNorm) } : {}),
    ...(task.metrics === 'last_word' ? { perplexity: Math.exp(-mean(lls)) } : {}),
    truncatedItems,
    file: `${tasksDir.replace(/\/$/, '')}/${task.file}`,
    seconds: (performance.now() - started) / 1000,
  };
}
