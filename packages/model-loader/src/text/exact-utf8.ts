/**
 * Byte → string decoding that loses nothing. `new TextDecoder('utf-8')` drops a leading U+FEFF (byte-order mark)
 * unless `ignoreBOM: true` is given, and replaces invalid bytes with U+FFFD unless `fatal: true` is given; both
 * silently change what a file holds (issue 12: LLaMA-2 piece 30143 is the three bytes EF BB BF and read back as "").
 *
 * Policy, per kind of input (matching what the reference tools do):
 * - Strings a format stores as bytes (SentencePiece pieces, llama2.c pieces): decoded exactly; a BOM is a character.
 * - Text files (calibration / evaluation text, task files): decoded exactly, invalid UTF-8 is an error; a leading
 *   BOM stays U+FEFF, as Python's `open(path, encoding="utf-8")` keeps it (only `utf-8-sig` strips it).
 * - JSON files (config.json, model.safetensors.index.json, tokenizer.json, safetensors headers): invalid UTF-8 is an
 *   error, and so is a leading BOM, which Python's `json.loads` ("Unexpected UTF-8 BOM") and serde_json (transformers'
 *   tokenizers, safetensors) refuse too; JSON text must not start with one (RFC 8259 §8.1).
 */

const exact = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
/** For token output only: invalid sequences become U+FFFD, as sentencepiece's and llama.cpp's detokenizers do. */
const lenient = new TextDecoder('utf-8', { ignoreBOM: true });

/** UTF-8 bytes → string, exactly (a leading BOM kept as U+FEFF). Throws TypeError on malformed UTF-8. */
export function decodeUtf8Exact(bytes: Uint8Array): string {
  return exact.decode(bytes);
}

/**
 * UTF-8 bytes of a token sequence → string, keeping every U+FEFF; malformed sequences (e.g. half a character's byte
 * pieces) become U+FFFD, as sentencepiece `DecodeIds` does.
 */
export function decodeUtf8Lossy(bytes: Uint8Array): string {
  return lenient.decode(bytes);
}

/** Whether `bytes` starts with the UTF-8 byte-order mark EF BB BF. */
export function startsWithUtf8Bom(bytes: Uint8Array): boolean {
  return bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf;
}

/**
 * The text of a JSON file: exact UTF-8, no leading BOM. Returns the problem as a sentence instead of the text when
 * the bytes are not such text, so each caller can raise its own error type naming its file.
 */
export function decodeJsonText(bytes: Uint8Array): { text: string } | { problem: string } {
  if (startsWithUtf8Bom(bytes)) {
    return { problem: 'starts with a UTF-8 byte-order mark (EF BB BF), which JSON readers (Python json, serde_json) refuse; save it without the BOM' };
  }
  try {
    return { text: exact.decode(bytes) };
  } catch {
    return { problem: 'is not valid UTF-8 text' };
  }
}
