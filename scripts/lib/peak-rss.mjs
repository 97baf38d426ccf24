import { readFileSync } from 'node:fs';

/**
 * This process's peak resident set size in bytes. On Linux it is VmHWM from /proc/self/status: the high-water mark
 * of this program's own address space. `process.resourceUsage().maxRSS` (the fallback elsewhere) is not: Linux carries
 * it across fork and exec, so a child spawned by a large parent starts with the parent's RSS as its "peak".
 */
export function peakRssBytes() {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
    if (m) return Number(m[1]) * 1024;
  } catch {
    // not Linux
  }
  return process.resourceUsage().maxRSS * 1024;
}
