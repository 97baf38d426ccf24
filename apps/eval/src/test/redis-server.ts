// Test helper: a throw-away redis-server on 127.0.0.1, a free port and a temp dir, stopped by the test.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestRedis {
  port: number;
  /** `redis://127.0.0.1:<port>/0` */
  url: string;
  stop(): Promise<void>;
}

/** Set DASS_SKIP_REDIS=1 to skip the queue tests where Debian's redis-server cannot be installed. */
export const skipRedis = process.env.DASS_SKIP_REDIS === '1';

/** A port nobody listens on now (the OS's pick), on the loopback address. */
export function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => done(port));
    });
  });
}

function answers(port: number): Promise<boolean> {
  return new Promise((done) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    let reply = '';
    const finish = (ok: boolean) => {
      socket.destroy();
      done(ok);
    };
    socket.setTimeout(500, () => finish(false));
    socket.once('error', () => finish(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (d) => {
      reply += d.toString();
      if (reply.includes('\r\n')) finish(reply.startsWith('+PONG'));
    });
  });
}

function exited(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((done) => {
    const t = setTimeout(() => done(false), ms);
    child.once('exit', () => {
      clearTimeout(t);
      done(true);
    });
  });
}

/** Starts redis-server (no persistence) and waits (at most 10 s) until it answers PING. */
export async function startTestRedis(): Promise<TestRedis> {
  const dir = await mkdtemp(join(tmpdir(), 'dass-redis-'));
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const args = [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--dir',
      dir,
      '--save',
      '',
      '--appendonly',
      'no',
      '--daemonize',
      'no',
      '--loglevel',
      'warning',
    ];
    const child = spawn('redis-server', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (d) => void (stderr += d));
    const spawnError = new Promise<Error>((done) => child.once('error', done));
    for (let i = 0; i < 100; i++) {
      const failed = await Promise.race([spawnError, new Promise<undefined>((r) => setTimeout(() => r(undefined), 100))]);
      if (failed) {
        await rm(dir, { recursive: true, force: true });
        throw new Error(`redis-server could not be started (${failed.message}): apt-get install -y redis-server, or DASS_SKIP_REDIS=1 to skip`);
      }
      if (child.exitCode !== null) break;
      if (await answers(port)) {
        return {
          port,
          url: `redis://127.0.0.1:${port}/0`,
          stop: async () => {
            child.kill('SIGTERM');
            if (!(await exited(child, 5000))) child.kill('SIGKILL');
            await exited(child, 5000);
            await rm(dir, { recursive: true, force: true });
          },
        };
      }
    }
    child.kill('SIGKILL');
    await exited(child, 5000);
    if (attempt === 2) {
      await rm(dir, { recursive: true, force: true });
      throw new Error(`redis-server did not answer on 127.0.0.1:${port}: ${stderr.trim()}`);
    }
  }
  throw new Error('unreachable');
}
