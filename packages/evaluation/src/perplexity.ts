import type { Tokenizer } from '@dass/model-loader';
import { assertLanguageModel, assertTokenIds, type LanguageModel } from './language-model.js';
import { InvalidArgumentError } from '@dass/errors';

export interface PerplexityProgress {
  /** Windows scored so far. */
  done: number;
  /** Windows to score. */
  total: number;
}

export interface PerplexityOptions {
  /** Window length in tokens (2 .. model.config.maxPositionEmbeddings). */
  seqlen: number;
  /** Score at most this many windows (the first ones). Default: all. */
  maxWindows?: number;
  /** Windows per model call (default 1). Any batch size gives the same numbers. */
  batchSize?: number;
  /**
   * Sliding-window variant (Hugging Face "Perplexity of fixed-length models"), 1 <= stride < seqlen.
   * Windows start at 0, stride, 2·stride, …; window k covers ids[k·stride, min(k·stride + seqlen, n)) and the last
   * window is the first one that reaches the end of the ids. Window 0 counts all of its targets; every later
   * window counts only the targets at positions [end of the previous window, its own end), i.e. the last `stride`
   * (fewer at the very end) tokens, each predicted with the overlap as extra context. So every token but the first
   * is counted exactly once and ppl = exp(Σ NLL / number of targets), a token-weighted mean (as HF's current recipe).
   * Omit for the papers' protocol: non-overlapping windows, ppl = exp(mean over windows of the window mean NLL).
   */
  stride?: number;
  onProgress?: (progress: PerplexityProgress) => void;
}

export interface PerplexityResult {
  ppl: number;
  /** Windows scored. */
  windows: number;
  /** Tokens fed to the model (sum of window lengths). */
  tokens: number;
  /** Next-token targets counted in the mean. */
  targets: number;
  seqlen: number;
  stride?: number;
  /** ln(ppl): the mean of the window means (protocol) or the token-weighted mean NLL (stride). */
  meanNll: number;
  seconds: number;
  tokensPerSecond: number;
}

interface Window {
  begin: number;
  end: number;
  /** First position (absolute) whose prediction is counted; targets are positions [countFrom, end). */
  countFrom: number;
}

function assertPositiveInteger(value: unknown, name: string, min = 1): asserts value is number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw new InvalidArgumentError(name, `expected an integer >= ${min}, got ${String(value)}`);
  }
}

function planWindows(n: number, seqlen: number, stride: number | undefined, maxWindows: number): Window[] {
  const windows: Window[] = [];
  if (stride === undefined) {
    const count = Math.min(Math.floor(n / seqlen), maxWindows);
    for (let k = 0; k < count; k++) windows.push({ begin: k * seqlen, end: (k + 1) * seqlen, countFrom: k * seqlen + 1 });
    return windows;
  }
  let prevEnd = 0;
  for (let begin = 0; windows.length < maxWindows; begin += stride) {
    const end = Math.min(begin + seqlen, n);
    windows.push({ begin, end, countFrom: Math.max(prevEnd, begin + 1) });
    prevEnd = end;
    if (end === n) break;
  }
  return windows;
}

/**
 * Perplexity of `ids` (already tokenized, BOS first) with the DaSS/Wanda/SparseGPT protocol (docs/SPEC.md §5):
 * floor(n / seqlen) non-overlapping windows, each window's mean NLL over its seqlen−1 next-token targets,
 * ppl = exp(mean of the window means). See `stride` for the sliding-window variant.
 */
export async function evaluatePerplexity(model: LanguageModel, ids: Int32Array | readonly number[], options: PerplexityOptions): Promise<PerplexityResult> {
  assertLanguageModel(model);
  if (!(ids instanceof Int32Array) && !Array.isArray(ids)) {
    throw new InvalidArgumentError('ids', `expected an Int32Array or number[], got ${Object.prototype.toString.call(ids)}`);
  }
  if (options == null || typeof options !== 'object') throw new InvalidArgumentError('options', `expected an object, got ${String(options)}`);
  const { seqlen, maxWindows = Number.POSITIVE_INFINITY, batchSize = 1, stride, onProgress } = options;
  assertPositiveInteger(seqlen, 'seqlen', 2);
  const maxPos = model.config.maxPositionEmbeddings;
  if (seqlen > maxPos) throw new InvalidArgumentError('seqlen', `the model takes at most ${maxPos} positions, got ${seqlen}`);
  if (maxWindows !== Number.POSITIVE_INFINITY) assertPositiveInteger(maxWindows, 'maxWindows');
  assertPositiveInteger(batchSize, 'batchSize');
  if (stride !== undefined) {
    assertPositiveInteger(stride, 'stride');
    if (stride >= seqlen) {
      throw new InvalidArgumentError(
        'stride',
        `expected an integer in [1, seqlen-1] = [1, ${seqlen - 1}], got ${stride} (omit it for non-overlapping windows)`,
      );
    }
  }
  if (onProgress !== undefined && typeof onProgress !== 'function') {
    throw new InvalidArgumentError('onProgress', `expected a function, got ${typeof onProgress}`);
  }
  const tokenIds = ids instanceof Int32Array ? ids : Int32Array.from(ids);
  assertTokenIds(tokenIds, model.config.vocabSize);
  const n = tokenIds.length;
  if (n < seqlen) {
    throw new InvalidArgumentError('ids', `found ${n} tokens, perplexity at seqlen ${seqlen} needs at least ${seqlen}`);
  }

  const started = performance.now();
  const windows = planWindows(n, seqlen, stride, maxWindows);
  let sumWindowMeans = 0; // protocol
  let sumNll = 0; // stride: token-weighted
  let targets = 0;
  let tokens = 0;
  onProgress?.({ done: 0, total: windows.length });
  for (let first = 0; first < windows.length; first += batchSize) {
    const group = windows.slice(first, first + batchSize);
    // Right-pad to the longest window of the group (only a sliding run's last window is shorter); padding sits
    // after every counted position, so causal attention keeps it from changing any counted NLL.
    const len = Math.max(...group.map((w) => w.end - w.begin));
    const batchIds = new Int32Array(group.length * len);
    group.forEach((w, b) => batchIds.set(tokenIds.subarray(w.begin, w.end), b * len));
    const nll = await model.tokenNll(batchIds, group.length, len);
    if (!(nll instanceof Float32Array) || nll.length !== group.length * (len - 1)) {
      throw new Error(`model.tokenNll: expected a Float32Array of ${group.length * (len - 1)} NLLs, got ${nll?.length}`);
    }
    group.forEach((w, b) => {
      let windowSum = 0;
      // The target at absolute position p is predicted at row index p - begin - 1.
      for (let p = w.countFrom; p < w.end; p++) windowSum += nll[b * (len - 1) + (p - w.begin - 1)];
      const count = w.end - w.countFrom;
      sumWindowMeans += windowSum / count;
      sumNll += windowSum;
      targets += count;
      tokens += w.end - w.begin;
    });
    onProgress?.({ done: Math.min(first + batchSize, windows.length), total: windows.length });
  }
  const meanNll = stride === undefined ? sumWindowMeans / windows.length : sumNll / targets;
  if (!Number.isFinite(meanNll)) throw new Error(`perplexity: the mean NLL is ${meanNll} (the model returned non-finite NLLs)`);
  const seconds = (performance.now() - started) / 1000;
  return {
    ppl: Math.exp(meanNll),
    windows: windows.length,
    tokens,
    targets,
    seqlen,
    ...(stride === undefined ? {} : { stride }),
    meanNll,
    seconds,
    tokensPerSecond: seconds > 0 ? tokens / seconds : Number.POSITIVE_INFINITY,
  };
}

/** Tokenizes `text` once (BOS first, as the papers' code does) and runs `evaluatePerplexity`. */
export async function perplexityOfText(model: LanguageModel, tokenizer: Tokenizer, text: string, options: PerplexityOptions): Promise<PerplexityResult> {
  if (tokenizer == null || typeof tokenizer.encode !== 'function') {
    throw new InvalidArgumentError('tokenizer', `expected a Tokenizer with encode(), got ${String(tokenizer)}`);
  }
  if (typeof text !== 'string') throw new InvalidArgumentError('text', `expected a string, got ${typeof text}`);
  const ids = tokenizer.encode(text, { bos: true, eos: false });
  const seqlen = options?.seqlen;
  if (Number.isInteger(seqlen) && ids.length < seqlen) {
    throw new InvalidArgumentError('text', `found ${ids.length} tokens (BOS included), perplexity at seqlen ${seqlen} needs at least ${seqlen}`);
  }
  return evaluatePerplexity(model, Int32Array.from(ids), options);
}
