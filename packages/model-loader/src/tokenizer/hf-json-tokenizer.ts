/**
 * A Hugging Face `tokenizer.json` (plus optional `tokenizer_config.json`), run by @huggingface/tokenizers.
 * The library encodes the text; BOS/EOS are added here so their handling is the same for every tokenizer kind.
 */
import { sha256Hex } from '../text/sha256.js';
import { Tokenizer as HfTokenizer } from '@huggingface/tokenizers';
import { ModelLoadError } from '../errors.js';
import type { EncodeOptions, Tokenizer } from '../types.js';
import { checkTokenIds } from './check-token-ids.js';
import { decodeJsonText } from '../text/exact-utf8.js';
import { InvalidArgumentError } from '@dass/errors';

export interface HfJsonTokenizerOptions {
  /** Name used in error messages (the tokenizer.json path). */
  file?: string;
  /** sha256 to report (fromBytes: of the tokenizer.json bytes; default here: of JSON.stringify(tokenizerJson)). */
  sha256?: string;
}

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A special-token entry of tokenizer_config.json: a string or an AddedToken dict `{content, ...}`. */
function tokenContent(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (isObject(v) && typeof v.content === 'string') return v.content;
  return undefined;
}

/** The special token a TemplateProcessing post-processor puts before `$A` (how HF adds BOS without a config). */
function templateBosToken(postProcessor: unknown): string | undefined {
  if (!isObject(postProcessor)) return undefined;
  if (postProcessor.type === 'Sequence' && Array.isArray(postProcessor.processors)) {
    for (const p of postProcessor.processors) {
      const t = templateBosToken(p);
      if (t !== undefined) return t;
    }
    return undefined;
  }
  if (postProcessor.type !== 'TemplateProcessing' || !Array.isArray(postProcessor.single)) return undefined;
  const first: unknown = postProcessor.single[0];
  if (!isObject(first) || !isObject(first.SpecialToken) || typeof first.SpecialToken.id !== 'string') return undefined;
  const special = isObject(postProcessor.special_tokens) ? postProcessor.special_tokens[first.SpecialToken.id] : undefined;
  if (isObject(special) && Array.isArray(special.tokens) && typeof special.tokens[0] === 'string') return special.tokens[0];
  return first.SpecialToken.id;
}

/**
 * @huggingface/tokenizers 0.2.0's ByteFallback decoder turns byte tokens into text with a default `TextDecoder`,
 * which drops a leading U+FEFF (`<0xEF><0xBB><0xBF>` decodes to ""); the Rust tokenizers keep it
 * (`String::from_utf8_lossy`). Every decoder in the chain that holds such a TextDecoder gets one with `ignoreBOM`.
 */
function keepByteOrderMarks(decoder: unknown, depth = 0): void {
  // The library's decoders are callable objects (typeof 'function').
  if (decoder === null || (typeof decoder !== 'object' && typeof decoder !== 'function') || depth > 8) return;
  const d = decoder as { text_decoder?: unknown; decoders?: unknown };
  if (d.text_decoder instanceof TextDecoder && !d.text_decoder.ignoreBOM) {
    d.text_decoder = new TextDecoder(d.text_decoder.encoding, { fatal: d.text_decoder.fatal, ignoreBOM: true });
  }
  if (Array.isArray(d.decoders)) for (const inner of d.decoders) keepByteOrderMarks(inner, depth + 1);
}

export class HfJsonTokenizer implements Tokenizer {
  readonly kind = 'hf-json' as const;
  readonly vocabSize: number;
  /** -1 when the tokenizer has no BOS token (e.g. Qwen2); then `bos` adds nothing, as in HF. */
  readonly bosId: number;
  /** -1 when the tokenizer has no EOS token. */
  readonly eosId: number;
  /** Whether encode() adds BOS when `bos` is not given (tokenizer_config add_bos_token, else: has a BOS). */
  readonly addBosByDefault: boolean;
  readonly addEosByDefault: boolean;
  private readonly cleanUpSpaces: boolean;

  private constructor(
    private readonly tokenizer: HfTokenizer,
    config: Json,
    tokenizerJson: Json,
    readonly sha256: string,
    private readonly file: string,
  ) {
    let maxId = -1;
    for (const id of tokenizer.get_vocab(true).values()) if (id > maxId) maxId = id;
    this.vocabSize = maxId + 1;
    const idOfSpecial = (name: string, token: string | undefined): number => {
      if (token === undefined) return -1;
      const id = tokenizer.token_to_id(token);
      if (id === undefined) {
        throw new ModelLoadError(file, 'BAD_TOKENIZER', `${name} ${JSON.stringify(token)} is not in the vocabulary`);
      }
      return id;
    };
    this.bosId = idOfSpecial('bos_token', 'bos_token' in config ? tokenContent(config.bos_token) : templateBosToken(tokenizerJson.post_processor));
    this.eosId = idOfSpecial('eos_token', tokenContent(config.eos_token));
    this.addBosByDefault = typeof config.add_bos_token === 'boolean' ? config.add_bos_token : this.bosId >= 0;
    this.addEosByDefault = config.add_eos_token === true;
    this.cleanUpSpaces = config.clean_up_tokenization_spaces === true;
  }

  /** From parsed JSON. Throws ModelLoadError 'BAD_TOKENIZER' when the library rejects it. */
  static fromJson(tokenizerJson: unknown, tokenizerConfig: unknown = {}, options: HfJsonTokenizerOptions = {}): HfJsonTokenizer {
    const file = options.file ?? '<tokenizer.json>';
    if (!isObject(tokenizerJson)) throw new ModelLoadError(file, 'BAD_TOKENIZER', 'tokenizer.json is not a JSON object');
    if (!isObject(tokenizerJson.model)) {
      throw new ModelLoadError(file, 'BAD_TOKENIZER', 'tokenizer.json has no "model" object (not a tokenizers file?)');
    }
    if (tokenizerConfig === null || tokenizerConfig === undefined) tokenizerConfig = {};
    if (!isObject(tokenizerConfig)) throw new ModelLoadError(file, 'BAD_TOKENIZER', 'tokenizer_config.json is not a JSON object');
    // The library requires these keys to exist; tokenizers always writes them, hand-made files may not.
    const json: Json = {
      normalizer: null,
      pre_tokenizer: null,
      post_processor: null,
      decoder: null,
      added_tokens: [],
      ...tokenizerJson,
    };
    const sha256 = options.sha256 ?? sha256Hex(JSON.stringify(tokenizerJson));
    let tokenizer: HfTokenizer;
    try {
      tokenizer = new HfTokenizer(json, tokenizerConfig);
    } catch (e) {
      throw new ModelLoadError(file, 'BAD_TOKENIZER', `@huggingface/tokenizers rejected it: ${(e as Error).message}`);
    }
    keepByteOrderMarks((tokenizer as unknown as { decoder?: unknown }).decoder);
    return new HfJsonTokenizer(tokenizer, tokenizerConfig, json, sha256, file);
  }

  /** From file bytes; sha256 is that of the tokenizer.json bytes. Malformed JSON is ModelLoadError 'BAD_JSON'. */
  static fromBytes(tokenizerJson: Uint8Array, tokenizerConfig?: Uint8Array, options: { file?: string; configFile?: string } = {}): HfJsonTokenizer {
    const file = options.file ?? '<tokenizer.json>';
    const parse = (bytes: Uint8Array, name: string): unknown => {
      if (!(bytes instanceof Uint8Array)) throw new InvalidArgumentError(name, `expected a Uint8Array, got ${typeof bytes}`);
      const where = name === 'tokenizerJson' ? file : (options.configFile ?? '<tokenizer_config.json>');
      const decoded = decodeJsonText(bytes);
      if ('problem' in decoded) throw new ModelLoadError(where, 'BAD_JSON', decoded.problem);
      try {
        return JSON.parse(decoded.text);
      } catch (e) {
        throw new ModelLoadError(where, 'BAD_JSON', `not valid JSON: ${(e as Error).message}`);
      }
    };
    const json = parse(tokenizerJson, 'tokenizerJson');
    const config = tokenizerConfig === undefined ? {} : parse(tokenizerConfig, 'tokenizerConfig');
    const sha256 = sha256Hex(tokenizerJson);
    return HfJsonTokenizer.fromJson(json, config, { file, sha256 });
  }

  encode(text: string, options: EncodeOptions = {}): number[] {
    if (typeof text !== 'string') throw new InvalidArgumentError('text', `expected a string, got ${typeof text}`);
    const encoding = text.length === 0 ? undefined : this.tokenizer.encode(text, { add_special_tokens: false });
    const ids = encoding ? encoding.ids.slice() : [];
    const missing = ids.findIndex((id: number | undefined) => !Number.isInteger(id));
    if (missing >= 0) {
      // A model without an unk token (e.g. WordLevel) yields no id for a word outside its vocabulary.
      const piece = encoding!.tokens[missing];
      throw new ModelLoadError(
        this.file,
        'BAD_TOKENIZER',
        `has no id for ${JSON.stringify(piece)} (token ${missing} of the text) and no unknown-token fallback`,
      );
    }
    if ((options.bos ?? this.addBosByDefault) && this.bosId >= 0) ids.unshift(this.bosId);
    if ((options.eos ?? this.addEosByDefault) && this.eosId >= 0) ids.push(this.eosId);
    return ids;
  }

  /** The library's decoder over the ids with BOS/EOS dropped (other special tokens are kept). */
  decode(ids: readonly number[]): string {
    checkTokenIds(ids, this.vocabSize, 'ids');
    const kept = ids.filter((id) => id !== this.bosId && id !== this.eosId);
    if (kept.length === 0) return '';
    return this.tokenizer.decode(kept, { skip_special_tokens: false, clean_up_tokenization_spaces: this.cleanUpSpaces });
  }

  /** The token string of `id` as the vocabulary holds it (e.g. `▁the`, `Ġthe`). */
  token(id: number): string {
    checkTokenIds([id], this.vocabSize, 'id');
    return this.tokenizer.id_to_token(id) ?? '';
  }
}
