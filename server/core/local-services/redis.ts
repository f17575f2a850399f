import path from 'node:path';
import { Redis } from 'ioredis';
import type { Config } from '../config.ts';
import { PrerequisiteError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { findExecutable, isPortOpen, startServer, type ManagedProcess } from './processes.ts';

export interface RedisService {
  url: string;
  source: 'configured' | 'local' | 'spawned';
  process?: ManagedProcess;
}

const LOCAL_URL = 'redis://127.0.0.1:6379';

/** REDIS_URL, else the machine's Redis on 6379, else a redis-server we start ourselves. */
export async function resolveRedis(config: Config, logger: Logger): Promise<RedisService> {
  if (config.REDIS_URL) {
    if (!(await pingRedis(config.REDIS_URL))) {
      throw new PrerequisiteError(
        `Redis at REDIS_URL (${redact(config.REDIS_URL)}) does not answer: start it or fix REDIS_URL`,
      );
    }
    await assertNoEviction(config.REDIS_URL);
    return { url: config.REDIS_URL, source: 'configured' };
  }
  if (await pingRedis(LOCAL_URL)) {
    await assertNoEviction(LOCAL_URL);
    return { url: LOCAL_URL, source: 'local' };
  }

  const port = config.REDIS_FALLBACK_PORT;
  const url = `redis://127.0.0.1:${port}`;
  if (await pingRedis(url)) {
    await assertNoEviction(url);
    return { url, source: 'local' };
  }
  if (await isPortOpen(port)) {
    throw new PrerequisiteError(
      `port ${port} is taken by a program that is not Redis: free it or set REDIS_FALLBACK_PORT`,
    );
  }
  const server = findExecutable('redis-server', ['/usr/sbin', '/usr/local/bin']);
  if (!server) {
    throw new PrerequisiteError(
      'no Redis found: install redis-server (apt-get install redis-server) or set REDIS_URL',
    );
  }
  logger.info({ port }, 'starting a local redis-server');
  const process = await spawnRedis(server, port, path.join(config.DATA_DIR, 'logs', 'redis.log'));
  return { url, source: 'spawned', process };
}

export function spawnRedis(binary: string, port: number, logFile: string): Promise<ManagedProcess> {
  const url = `redis://127.0.0.1:${port}`;
  return startServer({
    name: 'redis-server',
    command: binary,
    args: [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--maxmemory-policy',
      'noeviction',
    ],
    logFile,
    ready: () => pingRedis(url),
  });
}

export async function pingRedis(url: string): Promise<boolean> {
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: 1000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableOfflineQueue: false,
  });
  client.on('error', () => {});
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

/** BullMQ loses jobs if Redis may evict keys: refuse to run on such a server. */
export async function assertNoEviction(url: string): Promise<void> {
  const client = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 1,
    retryStrategy: () => null,
  });
  client.on('error', () => {});
  try {
    await client.connect();
    const [, policy] = (await client.config('GET', 'maxmemory-policy')) as [string, string];
    if (policy !== 'noeviction') {
      throw new PrerequisiteError(
        `Redis at ${redact(url)} has maxmemory-policy=${policy}; queues need noeviction: run "redis-cli CONFIG SET maxmemory-policy noeviction" or use another Redis`,
      );
    }
  } catch (error) {
    if (error instanceof PrerequisiteError) throw error;
    // Managed Redis services may forbid CONFIG; trust them to be set up for queues.
  } finally {
    client.disconnect();
  }
}

export function redact(url: string): string {
  return url.replace(/\/\/([^@/]*)@/, '//***@');
}
