import type { EncodeOptions, Tokenizer } from '@dass/model-loader';

/**
 * Tokenizers for tests whose output is obvious by inspection. `LongestMatchTokenizer` greedily takes the longest
 * vocabulary piece at each point (so pieces can merge across a context/continuation boundary);
 * `charTokenizer` is the special case with one token per character.
 */
export class LongestMatchTokenizer implements Tokenizer {
  readonly kind = 'hf-json' as const;
  readonly bosId = 1;
  readonly eosId = 2;
  readonly sha256 = 'test';
  private readonly ids = new Map<string, number>();
  private readonly longest: number;

  /** `pieces` get ids 3, 4, …; 0 = <unk>, 1 = BOS, 2 = EOS. */
  constructor(private readonly pieces: readonly string[]) {
    pieces.forEach((p, i) => this.ids.set(p, i + 3));
    this.longest = Math.max(...pieces.map((p) => p.length));
  }

  get vocabSize(): number {
    return this.pieces.length + 3;
  }

  encode(text: string, options: EncodeOptions = {}): number[] {
    const out: number[] = options.bos === false ? [] : [this.bosId];
    for (let i = 0; i < text.length;) {
      let len = Math.min(this.longest, text.length - i);
      while (len > 0 && !this.ids.has(text.slice(i, i + len))) len--;
      if (len === 0) throw new Error(`test tokenizer: no piece for ${JSON.stringify(text[i])}`);
      out.push(this.ids.get(text.slice(i, i + len))!);
      i += len;
    }
    if (options.eos) out.push(this.eosId);
    return out;
  }

  decode(ids: readonly number[]): string {
    return ids
      .filter((id) => id > 2)
      .map((id) => this.pieces[id - 3])
      .join('');
  }
}

/** One token per printable ASCII character (id = code − 32 + 3), plus "\n". */
export function charTokenizer(): LongestMatchTokenizer {
  const pieces = ['\n'];
  for (let c = 32; c < 127; c++) pieces.push(String.fromCharCode(c));
  return new LongestMatchTokenizer(pieces);
}
