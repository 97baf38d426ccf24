import { loadTextSource, type TextSourceFormat, type ResolvedTextSourceFormat } from '@dass/calibration';
import { InvalidArgumentError } from '@dass/errors';

export interface EvalText {
  /** The string perplexity tokenizes once (BOS first). */
  text: string;
  path: string;
  sha256: string;
  format: ResolvedTextSourceFormat;
  /** Documents joined (JSON-lines sources only). */
  documents?: number;
}

/**
 * Reads an evaluation text with calibration's `loadTextSource` (plain text as is; WikiText-2 raw joined as docs/SPEC.md §5
 * says; JSON-lines `text` documents). Documents are joined with a single space, as the Wanda/SparseGPT C4 evaluation
 * does (`' '.join(valdata[:1100]['text'])`); `maxDocuments` keeps the first ones (1100 in that protocol).
 */
export async function loadEvalText(
  path: string,
  { format = 'auto', maxDocuments }: { format?: TextSourceFormat; maxDocuments?: number } = {},
): Promise<EvalText> {
  if (maxDocuments !== undefined && (!Number.isInteger(maxDocuments) || maxDocuments < 1)) {
    throw new InvalidArgumentError('maxDocuments', `expected an integer >= 1, got ${String(maxDocuments)}`);
  }
  const source = await loadTextSource(path, format);
  const { sha256, format: resolved } = source;
  if (source.kind === 'text') return { text: source.text, path, sha256, format: resolved };
  const docs = maxDocuments === undefined ? source.docs : source.docs.slice(0, maxDocuments);
  return { text: docs.join(' '), path, sha256, format: resolved, documents: docs.length };
}
