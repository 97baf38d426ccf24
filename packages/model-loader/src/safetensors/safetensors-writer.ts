/**
 * safetensors writers. Both are atomic: bytes go to `<path>.tmp-<pid>-<random>`, which is fsynced and renamed over
 * `path` only when complete; on failure or abort the temp file is removed, so `path` is either the old file or the
 * whole new one. The header follows the Python library's layout: `__metadata__` first, tensors in the given order
 * with consecutive offsets, padded with spaces to a multiple of 8 bytes so the data section is 8-byte aligned.
 */
import { open, rename, unlink, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ModelLoadError } from '../errors.js';
import { encodeBf16 } from './half-float.js';
import {
  encodeTensorData,
  planSafetensors,
  type Plan,
  type SafetensorsData,
  type SafetensorsEntry,
  type SafetensorsTensor,
  type SafetensorsWriter,
} from './safetensors-plan.js';
import { syncDirectory, tempPathFor } from '../write-atomic.js';

export { encodeTensorData, planSafetensors } from './safetensors-plan.js';
export type { SafetensorsData, SafetensorsEntry, SafetensorsTensor, SafetensorsWriter } from './safetensors-plan.js';

const WRITE_CHUNK = 1 << 30;
/** Values per chunk when float32 is encoded to BF16 on the way out (8 MiB of bytes). */
const ENCODE_CHUNK = 4 << 20;

function bad(path: string, problem: string): never {
  throw new ModelLoadError(path, 'BAD_VALUE', problem);
}

async function writeAll(handle: FileHandle, bytes: Uint8Array, position: number): Promise<void> {
  let done = 0;
  while (done < bytes.byteLength) {
    const { bytesWritten } = await handle.write(bytes, done, Math.min(WRITE_CHUNK, bytes.byteLength - done), position + done);
    done += bytesWritten;
  }
}

/** Opens a streaming writer: offsets come from the declared entries, so tensors may arrive in any order. */
export async function createSafetensorsWriter(
  path: string,
  entries: readonly SafetensorsEntry[],
  metadata?: Record<string, string>,
): Promise<SafetensorsWriter> {
  const plan = planSafetensors(path, entries, metadata);
  const tempPath = tempPathFor(path);
  let handle: FileHandle;
  try {
    handle = await open(tempPath, 'wx');
  } catch (e) {
    throw new ModelLoadError(path, 'IO', `cannot create ${tempPath}: ${(e as Error).message}`);
  }
  try {
    await writeAll(handle, plan.header, 0);
  } catch (e) {
    await handle.close().catch(() => undefined);
    await unlink(tempPath).catch(() => undefined);
    throw new ModelLoadError(path, 'IO', `cannot write ${tempPath}: ${(e as Error).message}`);
  }
  return new StreamingWriter(path, tempPath, handle, plan);
}

class StreamingWriter implements SafetensorsWriter {
  private state: 'open' | 'committed' | 'aborted' = 'open';
  private readonly claimed = new Set<string>();
  private readonly inflight = new Set<Promise<void>>();
  /** Encode buffers not in use (concurrent writes take one each). */
  private readonly scratchFree: Uint8Array[] = [];

  constructor(
    readonly path: string,
    readonly tempPath: string,
    private readonly handle: FileHandle,
    private readonly plan: Plan,
  ) {}

  async write(name: string, data: SafetensorsData): Promise<void> {
    if (this.state !== 'open') throw new ModelLoadError(this.path, 'BAD_VALUE', `write(${JSON.stringify(name)}): writer is already ${this.state}`);
    const t = this.plan.tensors.get(name);
    if (!t) throw new ModelLoadError(this.path, 'BAD_VALUE', `write: tensor ${JSON.stringify(name)} was not declared when the writer was created`);
    if (this.claimed.has(name)) throw new ModelLoadError(this.path, 'BAD_VALUE', `write: tensor ${JSON.stringify(name)} was already written`);
    // float32 → BF16 goes out in chunks through a small reused buffer (a tensor-sized one is fresh memory to fault in).
    const chunked = t.dtype === 'BF16' && data instanceof Float32Array && data.length === t.numel;
    const bytes = chunked ? undefined : encodeTensorData(this.path, name, t.dtype, t.numel, data);
    this.claimed.add(name);
    const job = bytes ? writeAll(this.handle, bytes, t.position) : this.writeBf16Chunked(data as Float32Array, t.position);
    this.inflight.add(job);
    try {
      await job;
    } catch (e) {
      this.claimed.delete(name);
      throw new ModelLoadError(this.path, 'IO', `writing tensor ${JSON.stringify(name)} to ${this.tempPath}: ${(e as Error).message}`);
    } finally {
      this.inflight.delete(job);
    }
  }

  /** Encodes float32 values to BF16 and writes them at `position`, ENCODE_CHUNK values at a time. */
  private async writeBf16Chunked(values: Float32Array, position: number): Promise<void> {
    const scratch = this.scratchFree.pop() ?? new Uint8Array(2 * ENCODE_CHUNK);
    try {
      for (let start = 0; start < values.length; start += ENCODE_CHUNK) {
        const part = values.subarray(start, Math.min(values.length, start + ENCODE_CHUNK));
        const bytes = encodeBf16(part, scratch.subarray(0, 2 * part.length));
        await writeAll(this.handle, bytes, position + 2 * start);
      }
    } finally {
      this.scratchFree.push(scratch);
    }
  }

  async commit(): Promise<void> {
    if (this.state !== 'open') throw new ModelLoadError(this.path, 'BAD_VALUE', `commit: writer is already ${this.state}`);
    await Promise.allSettled([...this.inflight]);
    const missing = [...this.plan.tensors.keys()].filter((n) => !this.claimed.has(n));
    if (missing.length > 0) {
      const shown = missing
        .slice(0, 5)
        .map((n) => JSON.stringify(n))
        .join(', ');
      throw new ModelLoadError(
        this.path,
        'BAD_VALUE',
        `commit: ${missing.length} declared tensor(s) never written: ${shown}${missing.length > 5 ? ', ...' : ''}`,
      );
    }
    try {
      // Holes would only come from zero-length tails; truncate pins the exact size either way.
      await this.handle.truncate(this.plan.fileSize);
      await this.handle.sync();
      await this.handle.close();
      this.state = 'committed';
      await rename(this.tempPath, this.path);
    } catch (e) {
      this.state = 'aborted';
      await this.handle.close().catch(() => undefined);
      await unlink(this.tempPath).catch(() => undefined);
      throw new ModelLoadError(this.path, 'IO', `cannot commit ${this.tempPath}: ${(e as Error).message}`);
    }
    await syncDirectory(dirname(this.path));
  }

  async abort(): Promise<void> {
    if (this.state === 'committed') return;
    const wasOpen = this.state === 'open';
    this.state = 'aborted';
    await Promise.allSettled([...this.inflight]);
    if (wasOpen) await this.handle.close().catch(() => undefined);
    await unlink(this.tempPath).catch(() => undefined);
  }
}

/** Writes a whole safetensors file at once (atomically). */
export async function writeSafetensors(path: string, tensors: readonly SafetensorsTensor[], metadata?: Record<string, string>): Promise<void> {
  if (!Array.isArray(tensors)) bad(String(path), `tensors: expected an array of {name, dtype, shape, data}, got ${typeof tensors}`);
  const writer = await createSafetensorsWriter(path, tensors, metadata);
  try {
    for (const t of tensors) await writer.write(t.name, t.data);
    await writer.commit();
  } catch (e) {
    await writer.abort();
    throw e;
  }
}
