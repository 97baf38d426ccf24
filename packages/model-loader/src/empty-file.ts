/**
 * One wording for a file a user gave that holds nothing: every loader (config.json, index, tokenizers, texts, task
 * files, grids) refuses an empty or whitespace-only file with `<file>: is empty (0 bytes), expected …` or
 * `<file>: holds only whitespace, expected …` instead of a parser's own message about "unexpected end of input".
 */

// JSON's whitespace plus the rest of what a text editor shows as blank (JS \s: Unicode spaces, line separators, BOM).
const BLANK = /^\s*$/;

/**
 * Why `content` (a file's text, or its bytes decoded as UTF-8) is empty, or undefined when it holds anything.
 * `expected` completes the sentence ("a JSON config", "task items").
 */
export function emptyFileProblem(content: string | Uint8Array, expected: string): string | undefined {
  if (content.length === 0) return `is empty (0 bytes), expected ${expected}`;
  // Only short byte strings are decoded here: a blank file of many MB is not worth the check.
  const text = typeof content === 'string' ? content : content.length <= 1 << 20 ? new TextDecoder('utf-8').decode(content) : 'x';
  return BLANK.test(text) ? `holds only whitespace, expected ${expected}` : undefined;
}
