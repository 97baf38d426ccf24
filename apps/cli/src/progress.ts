/**
 * Progress and log lines on stderr. On a terminal: one self-overwriting `\r` line with a bar; when stderr is a
 * pipe or a file nothing is written at all, so logs of scripted runs hold only results and errors.
 */

export interface ProgressWriter {
  write(text: string): unknown;
  columns?: number;
}

export interface Progress {
  /** Shows `label` and, when `total` is given, a bar at `done / total`. Redraws at most ~12 times a second. */
  update(label: string, done?: number, total?: number): void;
  /** Prints a whole line (above the bar). */
  log(line: string): void;
  /** Erases the bar line. */
  clear(): void;
}

const BAR_WIDTH = 24;
const REDRAW_MS = 80;

export function formatBar(label: string, done?: number, total?: number, width = 100): string {
  let text = label;
  if (total !== undefined && total > 0 && done !== undefined) {
    const fraction = Math.min(1, Math.max(0, done / total));
    const filled = Math.round(fraction * BAR_WIDTH);
    text += ` [${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}] ${done}/${total}`;
  }
  return text.length > width - 1 ? text.slice(0, width - 2) + '…' : text;
}

export function createProgress(stream: ProgressWriter, enabled: boolean): Progress {
  if (!enabled) return { update() {}, log() {}, clear() {} };
  let shown = false;
  let last = 0;
  const clear = () => {
    if (shown) stream.write('\r\x1b[K');
    shown = false;
  };
  return {
    update(label, done, total) {
      const now = Date.now();
      const final = total !== undefined && done === total;
      if (shown && !final && now - last < REDRAW_MS) return;
      last = now;
      stream.write(`\r\x1b[K${formatBar(label, done, total, stream.columns || 100)}`);
      shown = true;
    },
    log(line) {
      clear();
      stream.write(line + '\n');
    },
    clear,
  };
}
