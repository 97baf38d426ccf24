import { Redis } from 'ioredis';
import type { RedisOptions } from 'ioredis';
import { UserInputError } from '@dass/pipeline';

/** Environment variables that carry the queue's credentials, so they need not appear in a URL, a command line or a manifest. */
export const QUEUE_USERNAME_ENV = 'DASS_QUEUE_USERNAME';
export const QUEUE_PASSWORD_ENV = 'DASS_QUEUE_PASSWORD';

/** A parsed `redis://[user[:password]@]host[:port][/db]` (or `rediss://` for TLS) queue address. */
export interface QueueTarget {
  tls: boolean;
  host: string;
  port: number;
  db: number;
  username?: string;
  password?: string;
  /** The URL without credentials: `redis://host:port/db`. Safe to print and to write into launchers. */
  redacted: string;
  /** Whether credentials were given (in the URL or the environment). */
  hasCredentials: boolean;
}

/** `redis://user:secret@host:6379/0` → `redis://***@host:6379/0`: what messages may show of a URL someone typed. */
export function redactQueueUrl(url: string): string {
  return String(url).replace(/^([a-z][a-z0-9+.-]*:\/\/)[^@/?#]*@/i, '$1***@');
}

/**
 * Parses a queue URL. Credentials come from the URL or, when it has none, from `DASS_QUEUE_USERNAME` /
 * `DASS_QUEUE_PASSWORD` in `env`. Errors are UserInputErrors naming `--queue` and the redacted URL.
 */
export function parseQueueUrl(url: string, env: NodeJS.ProcessEnv = process.env): QueueTarget {
  const shown = redactQueueUrl(url);
  const bad = (why: string): never => {
    throw new UserInputError(`--queue ${shown}: ${why} (expected redis://[user[:password]@]host[:port][/db])`);
  };
  if (typeof url !== 'string' || url.trim() === '') bad('empty');
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return bad('not a URL');
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') bad(`unsupported scheme "${u.protocol.replace(/:$/, '')}"`);
  if (u.hostname === '') bad('no host');
  if (u.search !== '' || u.hash !== '') bad('query strings and fragments are not supported');
  const port = u.port === '' ? 6379 : Number(u.port);
  if (!Number.isInteger(port) || port < 1 || port > 65535) bad(`bad port "${u.port}"`);
  const dbText = u.pathname.replace(/^\//, '');
  if (dbText !== '' && !/^\d{1,5}$/.test(dbText)) bad(`the path must be a database number, got "/${dbText}"`);
  const db = dbText === '' ? 0 : Number(dbText);
  const username = u.username !== '' ? decodeURIComponent(u.username) : env[QUEUE_USERNAME_ENV] || undefined;
  const password = u.password !== '' ? decodeURIComponent(u.password) : env[QUEUE_PASSWORD_ENV] || undefined;
  const host = u.hostname.replace(/^\[(.*)\]$/, '$1');
  const hostPart = host.includes(':') ? `[${host}]` : host;
  return {
    tls: u.protocol === 'rediss:',
    host,
    port,
    db,
    ...(username ? { username } : {}),
    ...(password ? { password } : {}),
    redacted: `${u.protocol}//${hostPart}:${port}/${db}`,
    hasCredentials: Boolean(username || password),
  };
}

/** ioredis options for a target (BullMQ's own connections add `maxRetriesPerRequest: null`). */
export function redisOptions(target: QueueTarget): RedisOptions {
  return {
    host: target.host,
    port: target.port,
    db: target.db,
    ...(target.username ? { username: target.username } : {}),
    ...(target.password ? { password: target.password } : {}),
    ...(target.tls ? { tls: {} } : {}),
  };
}

/**
 * Connects once with no retries, checks the server answers PING and is Redis ≥ 5 (BullMQ's minimum), and returns the
 * open client. Throws a UserInputError `--queue redis://host:port/db: Redis unreachable (ECONNREFUSED)` otherwise.
 */
export async function connectQueue(target: QueueTarget, timeoutMs = 5000): Promise<Redis> {
  const client = new Redis({
    ...redisOptions(target),
    lazyConnect: true,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  let lastError: Error | undefined;
  client.on('error', (err: Error) => {
    lastError = err;
  });
  try {
    await client.connect();
    await client.ping();
    const info = await client.info('server');
    const version = /redis_version:(\d+)/.exec(info)?.[1];
    if (version !== undefined && Number(version) < 5) {
      throw new UserInputError(`--queue ${target.redacted}: Redis ${/redis_version:(\S+)/.exec(info)?.[1]} is too old (BullMQ needs 5 or later)`);
    }
    return client;
  } catch (err) {
    client.disconnect();
    if (err instanceof UserInputError) throw err;
    const e = (lastError ?? err) as NodeJS.ErrnoException;
    const why = e.code ?? e.message ?? String(e);
    // Never echo the server's words verbatim if they could carry what we sent; ioredis messages do not.
    throw new UserInputError(`--queue ${target.redacted}: Redis unreachable (${String(why).split('\n')[0]})`);
  }
}
