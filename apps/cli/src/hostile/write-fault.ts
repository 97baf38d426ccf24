/**
 * A preload module (source text) that makes the file system run out of space after `DASS_FAULT_WRITE_BUDGET` bytes:
 * every FileHandle write, fs/promises writeFile and copyFile counts against the budget, writes what still fits (a
 * real full disk leaves partial files too), then fails with ENOSPC. No product code knows about it: it is loaded
 * with `node --import` in tests only, where mounting a small tmpfs is not possible.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export const WRITE_FAULT_SOURCE = `
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
let budget = Number(process.env.DASS_FAULT_WRITE_BUDGET);
if (!Number.isFinite(budget) || budget < 0) throw new Error('DASS_FAULT_WRITE_BUDGET: expected a byte count');
const enospc = (syscall, path) => Object.assign(new Error(\`ENOSPC: no space left on device, \${syscall}\`), { code: 'ENOSPC', errno: -28, syscall, path });
/** How many of n bytes may still be written; throws (after the caller wrote them) once the budget is gone. */
const take = (n) => { const fits = Math.min(n, budget); budget -= fits; return fits; };
const probe = await fs.promises.open(process.execPath, 'r');
const FileHandle = Object.getPrototypeOf(probe);
await probe.close();
const write = FileHandle.write;
FileHandle.write = async function (data, ...rest) {
  if (typeof data === 'string') data = Buffer.from(data, typeof rest[1] === 'string' ? rest[1] : 'utf8'), rest = [0, data.byteLength, rest[0]];
  const offset = rest[0] ?? 0;
  const length = rest[1] ?? data.byteLength - offset;
  const fits = take(length);
  if (fits > 0) await write.call(this, data, offset, fits, rest[2]);
  if (fits < length) throw enospc('write');
  return { bytesWritten: length, buffer: data };
};
const handleWriteFile = FileHandle.writeFile;
FileHandle.writeFile = async function (data, options) {
  const bytes = typeof data === 'string' ? Buffer.from(data) : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const fits = take(bytes.byteLength);
  await handleWriteFile.call(this, bytes.subarray(0, fits), options);
  if (fits < bytes.byteLength) throw enospc('write');
};
const writeFile = fs.promises.writeFile;
fs.promises.writeFile = async function (path, data, options) {
  const bytes = typeof data === 'string' ? Buffer.from(data) : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const fits = take(bytes.byteLength);
  await writeFile(path, bytes.subarray(0, fits), options);
  if (fits < bytes.byteLength) throw enospc('write', String(path));
};
const copyFile = fs.promises.copyFile;
fs.promises.copyFile = async function (src, dest, mode) {
  const size = (await fs.promises.stat(src)).size;
  const fits = take(size);
  if (fits === size) return copyFile(src, dest, mode);
  const handle = await fs.promises.open(src, 'r');
  const head = Buffer.alloc(fits);
  try { await handle.read(head, 0, fits, 0); } finally { await handle.close(); }
  await writeFile(dest, head);
  throw Object.assign(enospc('copyfile', String(src)), { dest: String(dest) });
};
syncBuiltinESMExports();
`;

/** Writes the preload into `dir` and returns its path. */
export async function writeFaultPreload(dir: string): Promise<string> {
  const path = join(dir, 'write-fault.mjs');
  await writeFile(path, WRITE_FAULT_SOURCE);
  return path;
}
