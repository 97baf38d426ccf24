/** One scored option of a zero-shot item: the log-prob of `continuation` given `context` is its score. */
export interface ZeroShotChoice {
  context: string;
  continuation: string;
  /** acc_norm divides the score by this: the UTF-8 byte length of the answer text (the harness's choice string). */
  normBytes: number;
}

export interface ZeroShotDoc {
  choices: ZeroShotChoice[];
  /** Index of the right choice. */
  gold: number;
  /** 1-based line of the file it came from. */
  line: number;
}

export type ZeroShotMetrics =
  /** acc (+ acc_norm when `accNorm`): argmax over the choices' summed log-probs. */
  | 'multiple_choice'
  /** LAMBADA: acc = every continuation token is the greedy argmax; perplexity = exp(−mean summed log-prob). */
  | 'last_word';

export interface ZeroShotTask {
  name: string;
  /** Path of the data file under a tasks dir, e.g. `piqa/piqa_validation.jsonl`. */
  file: string;
  description: string;
  metrics: ZeroShotMetrics;
  /** Whether acc_norm is reported (as lm-eval-harness does for this task). */
  accNorm: boolean;
  /** Parses the file's text; `file` names it in errors. */
  parse(text: string, file: string): ZeroShotDoc[];
}

/** UTF-8 byte length of a string. */
export function utf8Bytes(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

/** The harness's target delimiter: a single space between the prompt and the answer. */
export function answerChoice(context: string, answer: string): ZeroShotChoice {
  return { context, continuation: ` ${answer}`, normBytes: utf8Bytes(answer) };
}
