/**
 * Text sources for calibration and evaluation: a plain text file, WikiText-2 raw (the HF dataset's rows, joined the
 * way the Wanda/SparseGPT/DaSS `get_wikitext2` joins them: `"\n\n"` for evaluation (docs/SPEC.md §5), `" "` for
 * calibration), or documents (JSON-lines, or a JSON array
 * unless the name ends in .jsonl; gzip of either; each document an object with a `text` field, as in the C4 shards). Bytes are read the way Python's text mode reads
 * them (UTF-8, universal newlines), so token streams match the Python reference tools.
 */
import { sha256Hex } from '@dass/model-loader';
import { TextSourceError } from './sources-error.js';
import { InvalidArgumentError } from '@dass/errors';

/** The last path component (either separator), as path.basename without an extension argument. */
function basename(path: string): string {
  return path.slice(Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\')) + 1);
}

export const TEXT_SOURCE_FORMATS = ['auto', 'text', 'wikitext', 'jsonl'] as const;
export type TextSourceFormat = (typeof TEXT_SOURCE_FORMATS)[number];
/** The format a source was read as (`auto` resolved). */
export type ResolvedTextSourceFormat = Exclude<TextSourceFormat, 'auto'>;

interface LoadedFrom {
  /** The path given. */
  path: string;
  /** sha256 (hex) of the file's bytes as stored (before any gunzip), for calibration metadata. */
  sha256: string;
  format: ResolvedTextSourceFormat;
}

/** One continuous text (plain or WikiText): tokenized once as a whole. */
export interface TextSourceText extends LoadedFrom {
  kind: 'text';
  /** The text as evaluation reads it (WikiText: rows joined with `"\n\n"`, docs/SPEC.md §5). */
  text: string;
  /**
   * WikiText only: the HF dataset's rows (see wikitextRows). Calibration joins them with `" "`, as the reference
   * loaders join the train split (`" ".join(traindata['text'])`); `sampleCalibration` does so itself.
   */
  wikitextRows?: string[];
}

/** Separate documents (C4-style): each tokenized alone. */
export interface TextSourceDocuments extends LoadedFrom {
  kind: 'documents';
  docs: string[];
}

export type TextSource = TextSourceText | TextSourceDocuments;

const GZIP_MAGIC_0 = 0x1f;
const GZIP_MAGIC_1 = 0x8b;

// Python's str.isspace() set (what `line.strip()` removes), which differs from JS \s at \x1c-\x1f, \x85 and \ufeff.
// eslint-disable-next-line no-control-regex -- \x1c-\x1f are the point: Python counts them as whitespace.
const PYTHON_WHITESPACE_ONLY = /^[\t\n\v\f\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*$/;

/** Which format `auto` picks from the file name: .jsonl/.json(.gz) → documents, `wiki.*.raw` → wikitext, else text. */
export function resolveTextSourceFormat(path: string, format: TextSourceFormat = 'auto'): ResolvedTextSourceFormat {
  if (!(TEXT_SOURCE_FORMATS as readonly string[]).includes(format)) {
    throw new InvalidArgumentError('format', `expected one of ${TEXT_SOURCE_FORMATS.join(', ')}, got ${JSON.stringify(format)}`);
  }
  if (format !== 'auto') return format;
  const name = basename(path).toLowerCase();
  if (/\.(jsonl|json)(\.gz)?$/.test(name)) return 'jsonl';
  if (/^wiki\..*\.raw$/.test(name)) return 'wikitext';
  return 'text';
}

/** Python text-mode newline translation: `\r\n` and lone `\r` become `\n`. */
export function universalNewlines(text: string): string {
  return text.includes('\r') ? text.replace(/\r\n?/g, '\n') : text;
}

/** How the reference loaders (Wanda/SparseGPT/DaSS `get_wikitext2`) join WikiText rows: test `"\n\n"`, train `" "`. */
export const WIKITEXT_EVALUATION_JOIN = '\n\n';
export const WIKITEXT_CALIBRATION_JOIN = ' ';

/**
 * WikiText-2 raw → the HF `wikitext-2-raw-v1` rows (docs/SPEC.md §5): the dataset script reads the file in Python text mode
 * and yields each line with its `\n` (`for row in f: yield row if row.strip() else ""`), so a whitespace-only line
 * becomes `""`. Expects `\n` line ends (see universalNewlines).
 */
export function wikitextRows(raw: string): string[] {
  const rows: string[] = [];
  let start = 0;
  while (start < raw.length) {
    const nl = raw.indexOf('\n', start);
    const end = nl < 0 ? raw.length : nl + 1;
    const line = raw.slice(start, end);
    rows.push(PYTHON_WHITESPACE_ONLY.test(line) ? '' : line);
    start = end;
  }
  return rows;
}

/**
 * WikiText-2 raw → one string: its rows (wikitextRows) joined with `separator`, by default the evaluation join
 * `"\n\n"` (docs/SPEC.md §5); calibration uses `" "` (WIKITEXT_CALIBRATION_JOIN).
 */
export function joinWikitextRows(raw: string, separator: string = WIKITEXT_EVALUATION_JOIN): string {
  return wikitextRows(raw).join(separator);
}

/** Decompresses gzip bytes (Node: zlib's gunzipSync); throws on a corrupt stream. */
export type Gunzip = (bytes: Uint8Array) => Uint8Array;

/**
 * A text source from the bytes of a file named `path` (see TextSource): the parsing `loadTextSource` does after
 * reading, shared with browsers (an uploaded or pasted text). `gunzip` unpacks gzip input; without one (browsers),
 * gzip input is a TextSourceError (`BAD_GZIP`). Errors name `path` and, for documents, the line.
 */
export function textSourceFromBytes(path: string, stored: Uint8Array, format: TextSourceFormat = 'auto', gunzip?: Gunzip): TextSource {
  const resolved = resolveTextSourceFormat(path, format);
  if (stored.length === 0) throw new TextSourceError(path, 'EMPTY', 'is empty (0 bytes)');
  const sha256 = sha256Hex(stored);
  const bytes = maybeGunzip(path, stored, gunzip);
  if (resolved === 'jsonl') {
    return { kind: 'documents', docs: parseDocuments(path, bytes), path, sha256, format: resolved };
  }
  const text = universalNewlines(decodeUtf8(path, bytes, 0));
  // Python's str.isspace() set: what the reference loaders' strip() would leave nothing of.
  if (PYTHON_WHITESPACE_ONLY.test(text)) throw new TextSourceError(path, 'EMPTY', 'holds no text (only whitespace)');
  if (resolved !== 'wikitext') return { kind: 'text', text, path, sha256, format: resolved };
  const rows = wikitextRows(text);
  return { kind: 'text', text: rows.join(WIKITEXT_EVALUATION_JOIN), wikitextRows: rows, path, sha256, format: resolved };
}

function maybeGunzip(path: string, bytes: Uint8Array, gunzip: Gunzip | undefined): Uint8Array {
  if (bytes.length < 2 || bytes[0] !== GZIP_MAGIC_0 || bytes[1] !== GZIP_MAGIC_1) return bytes;
  if (!gunzip) throw new TextSourceError(path, 'BAD_GZIP', 'is gzip-compressed; this build reads uncompressed text only (unpack it first)');
  let out: Uint8Array;
  try {
    out = gunzip(bytes);
  } catch (err) {
    throw new TextSourceError(path, 'BAD_GZIP', `starts like gzip but does not decompress: ${(err as Error).message}`);
  }
  if (out.length === 0) throw new TextSourceError(path, 'EMPTY', 'decompresses to 0 bytes');
  return out;
}

// Exact: fatal (bad bytes are an error, never U+FFFD) and ignoreBOM (a leading U+FEFF is kept as a character, as
// Python's open(path, encoding="utf-8") keeps it, so token streams match the reference loaders).
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const BOM_JSON_PROBLEM = 'starts with a UTF-8 byte-order mark, which JSON readers (Python json) refuse; save the file without it';

/** Strict UTF-8 decode; NUL bytes or invalid sequences mean the file is not text. `offset` locates `bytes` in the file. */
function decodeUtf8(path: string, bytes: Uint8Array, offset: number, where = ''): string {
  const nul = bytes.indexOf(0);
  if (nul >= 0) {
    throw new TextSourceError(path, 'BINARY', `${where}binary data, not text (NUL byte at byte offset ${offset + nul})`);
  }
  try {
    return utf8.decode(bytes);
  } catch (err) {
    // The fatal decoder throws TypeError on bad bytes; anything else (a string past V8's length limit) is size.
    if (err instanceof TypeError) {
      throw new TextSourceError(path, 'BINARY', `${where}not valid UTF-8 text (binary file or another encoding?)`);
    }
    throw new TextSourceError(path, 'IO', `${where}${bytes.length} bytes are too large to hold as one string: ${(err as Error).message}`);
  }
}

function parseDocuments(path: string, bytes: Uint8Array): string[] {
  let first = 0;
  while (first < bytes.length && (bytes[first] === 0x20 || bytes[first] === 0x09 || bytes[first] === 0x0a || bytes[first] === 0x0d)) {
    first++;
  }
  if (first === bytes.length) throw new TextSourceError(path, 'EMPTY', 'holds no documents (only whitespace)');
  // A JSON array of documents is accepted too, except where the name promises JSON-lines.
  const isArray = bytes[first] === 0x5b /* [ */ && !/\.jsonl(\.gz)?$/i.test(path);
  const docs = isArray ? parseJsonArray(path, bytes) : parseJsonLines(path, bytes);
  if (docs.length === 0) throw new TextSourceError(path, 'EMPTY', 'holds no documents');
  return docs;
}

function documentText(path: string, value: unknown, where: string): string {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || typeof (value as { text?: unknown }).text !== 'string') {
    const got = Array.isArray(value) ? 'an array' : value === null ? 'null' : typeof value === 'object' ? 'an object without a string "text"' : typeof value;
    throw new TextSourceError(path, 'BAD_DOCUMENT', `${where}: expected an object with a string "text" field, got ${got}`);
  }
  return (value as { text: string }).text;
}

// Line by line over the bytes, so a large shard never becomes one giant string.
function parseJsonLines(path: string, bytes: Uint8Array): string[] {
  const docs: string[] = [];
  let start = 0;
  for (let lineNo = 1; start < bytes.length; lineNo++) {
    const nl = bytes.indexOf(0x0a, start);
    const end = nl < 0 ? bytes.length : nl;
    const where = `line ${lineNo}`;
    const line = decodeUtf8(path, bytes.subarray(start, end), start, `${where}: `);
    start = end + 1;
    if (line.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (err) {
      if (line.startsWith('\uFEFF')) throw new TextSourceError(path, 'BAD_JSON', `${where}: ${BOM_JSON_PROBLEM}`);
      throw new TextSourceError(path, 'BAD_JSON', `${where}: invalid JSON (${(err as Error).message})`);
    }
    docs.push(documentText(path, value, where));
  }
  return docs;
}

function parseJsonArray(path: string, bytes: Uint8Array): string[] {
  let value: unknown;
  try {
    value = JSON.parse(decodeUtf8(path, bytes, 0));
  } catch (err) {
    if (err instanceof TextSourceError) throw err;
    if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) throw new TextSourceError(path, 'BAD_JSON', BOM_JSON_PROBLEM);
    throw new TextSourceError(path, 'BAD_JSON', `invalid JSON array (${(err as Error).message})`);
  }
  if (!Array.isArray(value)) throw new TextSourceError(path, 'BAD_JSON', 'expected a JSON array of documents');
  return value.map((item, i) => documentText(path, item, `document ${i}`));
}
