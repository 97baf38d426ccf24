// A switchable full disk for tests: `withDiskFull(realFsPromises)` returns node:fs/promises whose writeFile/copyFile
// fail with ENOSPC (as Node reports it: code, syscall, path, dest) while `diskFull.syscalls` names them.
// Use from a test: vi.mock('node:fs/promises', async (orig) => (await import('@dass/model-loader/test')).withDiskFull(await orig())).
import type * as FsPromises from 'node:fs/promises';

export const diskFull = { syscalls: new Set<string>() };

function enospc(syscall: string, path: unknown, dest?: unknown): Error {
  return Object.assign(new Error(`ENOSPC: no space left on device, ${syscall}`), {
    code: 'ENOSPC',
    errno: -28,
    syscall,
    path: String(path),
    ...(dest ? { dest: String(dest) } : {}),
  });
}

export function withDiskFull(real: typeof FsPromises): typeof FsPromises {
  return {
    ...real,
    writeFile: ((path: string, ...rest: unknown[]) =>
      diskFull.syscalls.has('write')
        ? Promise.reject(enospc('write', path))
        : (real.writeFile as (...a: unknown[]) => Promise<void>)(path, ...rest)) as typeof real.writeFile,
    copyFile: ((src: string, dest: string, mode?: number) =>
      diskFull.syscalls.has('copyfile') ? Promise.reject(enospc('copyfile', src, dest)) : real.copyFile(src, dest, mode)) as typeof real.copyFile,
  };
}
