import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { removeStaleTemporaries } from './stale-temporaries.js';

it('removes temporaries whose writer is gone and keeps live ones and real files', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'dass-stale-'));
  try {
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!; // exited by the time spawnSync returns
    await writeFile(join(dir, `a.bin.tmp-${dead}-0a1b2c3d`), 'x');
    await mkdir(join(dir, `b.tmp-${dead}-deadbeef`));
    await writeFile(join(dir, `b.tmp-${dead}-deadbeef`, 'model.safetensors'), 'x');
    await writeFile(join(dir, `c.bin.tmp-${process.pid}-00ff00ff`), 'x');
    await writeFile(join(dir, 'finished.bin'), 'x');
    expect((await removeStaleTemporaries(dir)).sort()).toEqual([`a.bin.tmp-${dead}-0a1b2c3d`, `b.tmp-${dead}-deadbeef`]);
    expect((await readdir(dir)).sort()).toEqual([`c.bin.tmp-${process.pid}-00ff00ff`, 'finished.bin']);
    expect(await removeStaleTemporaries(join(dir, 'missing'))).toEqual([]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
