/**
 * Makes the file system of this process run out of space after a byte budget: every FileHandle write and
 * writeFile, fs/promises writeFile and copyFile counts against the budget, writes what still fits (a real full
 * disk leaves partial files too), then fails with ENOSPC. No product code knows about it: a test installs it
 * around one in-process `dass` run (`main`) and removes it afterwards, where mounting a small tmpfs is not possible.
 */
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';

type FileHandle = fs.promises.FileHandle;
type WriteArgs = [offset?: number, length?: number, position?: number | null];

const enospc = (syscall: string, path?: string) =>
  Object.assign(new Error(`ENOSPC: no space left on device, ${syscall}`), { code: 'ENOSPC', errno: -28, syscall, ...(path === undefined ? {} : { path }) });

const asBytes = (data: string | ArrayBufferView): Buffer =>
  typeof data === 'string' ? Buffer.from(data) : Buffer.from(data.buffer, data.byteOffset, data.byteLength);

let installed = false;

/**
 * Patches the file system so that at most `budget` more bytes can be written; returns the function that restores
 * it. One at a time: installing twice throws.
 */
export async function installWriteFault(budget: number): Promise<() => void> {
  if (!Number.isFinite(budget) || budget < 0) throw new RangeError(`budget: expected a byte count, got ${budget}`);
  if (installed) throw new Error('installWriteFault: already installed; call the restore function first');
  /** How many of n bytes may still be written; the caller throws (after writing them) when fewer than n fit. */
  const take = (n: number) => {
    const fits = Math.min(n, budget);
    budget -= fits;
    return fits;
  };
  const probe = await fs.promises.open(process.execPath, 'r');
  const handleProto = Object.getPrototypeOf(probe) as Record<'write' | 'writeFile', (...args: unknown[]) => Promise<unknown>>;
  await probe.close();
  const original = {
    write: handleProto.write,
    handleWriteFile: handleProto.writeFile,
    writeFile: fs.promises.writeFile,
    copyFile: fs.promises.copyFile,
  };

  handleProto.write = async function (this: FileHandle, data: unknown, ...rest: unknown[]) {
    let bytes = data as ArrayBufferView;
    let args = rest as WriteArgs;
    // write(string, position?, encoding?) → the buffer form.
    if (typeof data === 'string') {
      bytes = Buffer.from(data, typeof rest[1] === 'string' ? (rest[1] as BufferEncoding) : 'utf8');
      args = [0, bytes.byteLength, rest[0] as number | null | undefined];
    }
    const offset = args[0] ?? 0;
    const length = args[1] ?? bytes.byteLength - offset;
    const fits = take(length);
    if (fits > 0) await original.write.call(this, bytes, offset, fits, args[2]);
    if (fits < length) throw enospc('write');
    return { bytesWritten: length, buffer: bytes };
  };
  handleProto.writeFile = async function (this: FileHandle, data: unknown, options?: unknown) {
    const bytes = asBytes(data as string | ArrayBufferView);
    const fits = take(bytes.byteLength);
    await original.handleWriteFile.call(this, bytes.subarray(0, fits), options);
    if (fits < bytes.byteLength) throw enospc('write');
  };
  fs.promises.writeFile = async function (path: Parameters<typeof fs.promises.writeFile>[0], data: unknown, options?: unknown) {
    const bytes = asBytes(data as string | ArrayBufferView);
    const fits = take(bytes.byteLength);
    await original.writeFile(path, bytes.subarray(0, fits), options as Parameters<typeof fs.promises.writeFile>[2]);
    if (fits < bytes.byteLength) throw enospc('write', String(path));
  } as typeof fs.promises.writeFile;
  fs.promises.copyFile = async function (src: fs.PathLike, dest: fs.PathLike, mode?: number) {
    const size = (await fs.promises.stat(src)).size;
    const fits = take(size);
    if (fits === size) return original.copyFile(src, dest, mode);
    const handle = await fs.promises.open(src, 'r');
    const head = Buffer.alloc(fits);
    try {
      await handle.read(head, 0, fits, 0);
    } finally {
      await handle.close();
    }
    await original.writeFile(dest, head);
    throw Object.assign(enospc('copyfile', String(src)), { dest: String(dest) });
  };
  // ESM imports of node:fs and node:fs/promises are live bindings of these objects' properties.
  syncBuiltinESMExports();
  installed = true;

  return () => {
    handleProto.write = original.write;
    handleProto.writeFile = original.handleWriteFile;
    fs.promises.writeFile = original.writeFile;
    fs.promises.copyFile = original.copyFile;
    syncBuiltinESMExports();
    installed = false;
  };
}
