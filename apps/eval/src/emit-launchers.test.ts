import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { emitMain, kubernetesJob, slurmScript } from './emit-launchers.js';

async function emit(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await emitMain(argv, { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t) });
  return { code, stdout, stderr };
}

describe('dass-repro --emit', () => {
  it('slurm: an sbatch array script of workers (snapshot)', async () => {
    const text = slurmScript({
      queue: 'redis://queue.lab:6379/1',
      workers: 6,
      cpus: 16,
      memory: '96G',
      time: '2-00:00:00',
      partition: 'gpu',
      gpus: 1,
      root: '/scratch/dass',
    });
    await expect(text).toMatchFileSnapshot('./__snapshots__/workers.sbatch');
    expect(text).toContain('#SBATCH --array=0-5');
    expect(text).toContain('--queue redis://queue.lab:6379/1');
  });

  it('k8s: an Indexed Job manifest of workers (snapshot)', async () => {
    const text = kubernetesJob({
      queue: 'redis://alice:s3cret@redis.dass.svc:6379/0',
      workers: 3,
      cpus: 8,
      memory: '64G',
      image: 'registry.lab/dass-ts:0.1.0',
      gpus: 1,
    });
    await expect(text).toMatchFileSnapshot('./__snapshots__/workers-job.yaml');
    expect(text).toContain('completionMode: Indexed');
    expect(text).toContain('completions: 3');
  });

  it('never writes the queue credentials; the workers read them from the environment or a Secret', async () => {
    const url = 'redis://alice:s3cret@queue.lab:6379/0';
    for (const kind of ['slurm', 'k8s']) {
      const r = await emit('--emit', kind, '--queue', url);
      expect(r.code).toBe(0);
      expect(r.stdout).not.toContain('s3cret');
      expect(r.stdout).not.toContain('alice');
      expect(r.stdout).toContain('redis://queue.lab:6379/0');
      expect(r.stdout).toContain('DASS_QUEUE_PASSWORD');
      expect(r.stderr).not.toContain('s3cret');
      expect(r.stderr).toContain('credentials were left out');
    }
    const k8s = (await emit('--emit', 'k8s', '--queue', url)).stdout;
    expect(k8s).toMatch(/secretKeyRef:\n\s+name: dass-repro-queue\n\s+key: password\n\s+optional: false/);
  });

  it('bad options: exit 2 and one line', async () => {
    for (const argv of [
      ['--emit', 'slurm'],
      ['--emit', 'pbs', '--queue', 'redis://q'],
      ['--emit', 'k8s', '--queue', 'http://q'],
      ['--emit', 'slurm', '--queue', 'redis://q', '--workers', '0'],
      ['--emit', 'k8s', '--queue', 'redis://q', '--name', 'Bad_Name'],
    ]) {
      const r = await emit(...argv);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.stderr.trim().split('\n'), argv.join(' ')).toHaveLength(1);
      expect(r.stdout).toBe('');
    }
  });
});

describe('dass-repro command line: queue flags', () => {
  async function cli(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    const { main } = await import('./cli.js');
    let stdout = '';
    let stderr = '';
    const code = await main(argv, { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t), cwd: tmpdir() });
    return { code, stdout, stderr };
  }

  it('help shows --queue, --emit and the worker command', async () => {
    const top = await cli('--help');
    expect(top.stdout).toContain('--queue');
    expect(top.stdout).toContain('--emit slurm');
    const worker = await cli('worker', '--help');
    expect(worker.code).toBe(0);
    for (const flag of ['--queue', '--concurrency', '--threads', '--root', '--idle-exit']) expect(worker.stdout).toContain(flag);
    expect(worker.stdout).not.toContain('--lock-ms');
  });

  it('bad queue flags: exit 2, one line, credentials not shown, nothing written', async () => {
    const out = join(tmpdir(), `dass-never-${process.pid}`);
    for (const argv of [
      ['--grid', 'tiny', '--out', out, '--queue', 'http://alice:s3cret@q'],
      ['--grid', 'tiny', '--out', out, '--queue', 'redis://q', '--jobs', '2'],
      ['worker'],
      ['worker', '--queue', 'redis://alice:s3cret@q/x'],
      ['worker', '--queue', 'redis://q', '--concurrency', 'two'],
      ['worker', '--queue', 'redis://q', '--bogus'],
    ]) {
      const r = await cli(...argv);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.stderr.trim().split('\n'), argv.join(' ')).toHaveLength(1);
      expect(r.stderr).not.toContain('s3cret');
    }
    expect(existsSync(out)).toBe(false);
  });
});
