/** One generated bad input for the `dass` command and what the CLI must answer. */

export interface HostileExpectation {
  /** 2 for a user error (bad argument or input file). */
  exitCode: number;
  /** Substrings of the single `dass: error: …` line: the file (or flag) at fault and the words naming the problem. */
  messageIncludes: string[];
}

export interface HostileCase {
  /** kebab-case, unique in the corpus; also the name of the case's folder. */
  id: string;
  description: string;
  /** Absolute paths of the files this case created (the bad inputs); the run must leave them byte-identical. */
  files: string[];
  /** Arguments to `dass` (without the program name); absolute paths. */
  argv: string[];
  expect: HostileExpectation;
}

/** Checks a corpus is well-formed: ids unique and kebab-case, every case expecting at least two message parts. */
export function checkCorpus(cases: readonly HostileCase[]): void {
  const seen = new Set<string>();
  for (const c of cases) {
    if (!/^[a-z0-9]+(?:-[a-z0-9]+)*$/.test(c.id)) throw new RangeError(`cases: id ${JSON.stringify(c.id)} is not kebab-case`);
    if (seen.has(c.id)) throw new RangeError(`cases: id ${JSON.stringify(c.id)} appears twice`);
    seen.add(c.id);
    if (c.expect.messageIncludes.length < 2) throw new RangeError(`cases: ${c.id} must expect a file (or flag) and problem words in its message`);
  }
}
