// A full disk for tests: `diskFull(['write'])` makes node:fs/promises' writeFile (and `['copyfile']` its copyFile)
// fail with ENOSPC as Node reports it (code, errno, syscall, path, dest) until the returned function restores them.
// It patches the module object and calls `syncBuiltinESMExports`, so named ESM imports (`import { writeFile } from
// 'node:fs/promises'`) see it too, with no module mocking: it works when test files share one module cache.
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';

/** The syscalls `diskFull` can fail: `write` (fs.promises.writeFile) and `copyfile` (fs.promises.copyFile). */
export type DiskFullSyscall = 'write' | 'copyfile';

let active = false;

function enospc(syscall: string, path: unknown, dest?: unknown): Error {
  return Object.assign(new Error(`ENOSPC: no space left on device, ${syscall}`), {
    code: 'ENOSPC',
    errno: -28,
    syscall,
    path: String(path),
    ...(dest ? { dest: String(dest) } : {}),
  });
}

/**
 * Fails the named syscalls with ENOSPC until the returned restore function runs (call it in `finally`). Throws on an
 * unknown syscall name, or while another `diskFull` is active.
 */
export function diskFull(syscalls: readonly DiskFullSyscall[]): () => void {
  for (const s of syscalls) if (s !== 'write' && s !== 'copyfile') throw new TypeError(`syscalls: expected "write" or "copyfile", got ${JSON.stringify(s)}`);
  const promises = fs.promises as { writeFile: unknown; copyFile: unknown };
  if (active) throw new Error('diskFull: already active; restore the previous one first');
  const original = { writeFile: fs.promises.writeFile, copyFile: fs.promises.copyFile };
  if (syscalls.includes('write')) promises.writeFile = (path: unknown) => Promise.reject(enospc('write', path));
  if (syscalls.includes('copyfile')) promises.copyFile = (src: unknown, dest: unknown) => Promise.reject(enospc('copyfile', src, dest));
  active = true;
  syncBuiltinESMExports();
  return () => {
    promises.writeFile = original.writeFile;
    promises.copyFile = original.copyFile;
    active = false;
    syncBuiltinESMExports();
  };
}
