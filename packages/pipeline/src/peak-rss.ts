import { readFileSync } from 'node:fs';

/**
 * Peak resident memory of this process, in bytes. Linux's VmHWM (`/proc/self/status`) is the process's own
 * high-water mark; `process.resourceUsage().maxRSS` (KiB; the fallback elsewhere) starts at the spawning parent's
 * RSS on Linux, so it can overstate a child's peak. Self-contained (only `readFileSync` and `process`), so a probe
 * preloaded into another process can embed its source (the CLI's hostile tests do).
 */
export function peakRssBytes(): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
    if (m) return Number(m[1]) * 1024;
  } catch {
    // not Linux
  }
  return process.resourceUsage().maxRSS * 1024;
}
