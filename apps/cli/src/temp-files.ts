/** Synchronous removal of this process's own temporary siblings of an output, for an exit that cannot await. */
import { readdirSync, rmSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';

/**
 * Removes `<name>.tmp-<pid>-*` and `.<name>.tmp-<pid>-*` beside `out` (the naming of the pipeline's, the
 * safetensors writer's and the converter's temporaries). Only this process's pid matches, so a concurrent run's
 * files are left alone.
 */
export function removeOwnTemporaries(out: string): void {
  const target = resolve(out);
  const base = basename(target);
  const prefixes = [`${base}.tmp-${process.pid}-`, `.${base}.tmp-${process.pid}-`];
  try {
    for (const entry of readdirSync(dirname(target))) {
      if (prefixes.some((p) => entry.startsWith(p))) rmSync(join(dirname(target), entry), { recursive: true, force: true });
    }
  } catch {
    // best effort: the process is exiting
  }
}
