import { Redis } from 'ioredis';
import type { Logger } from './logger.ts';
import { withTimeout } from './db.ts';

export type { Redis };

/** Key namespace: every key Cunbo writes starts with `<prefix>:`, so tests and demo data never meet. */
export class RedisKeys {
  readonly prefix: string;
  constructor(prefix: string) {
    this.prefix = prefix;
  }
  key(...parts: (string | number)[]): string {
    return [this.prefix, ...parts].join(':');
  }
}

/**
 * A connection that reconnects forever and fails commands fast while Redis is down,
 * so a request answers 503 instead of hanging.
 */
export function connectRedis(url: string, logger: Logger, name: string): Redis {
  const client = new Redis(url, {
    connectionName: `cunbo-${name}`,
    maxRetriesPerRequest: 1,
    enableOfflineQueue: true,
    // Commands issued in the same tick go out in one write: a rush sends thousands a second,
    // and each write to the socket costs a system call.
    enableAutoPipelining: true,
    retryStrategy: (times) => Math.min(times * 200, 2000),
  });
  let down = false;
  client.on('error', (error: Error) => {
    if (!down) logger.warn({ err: error.message, conn: name }, 'Redis connection error');
    down = true;
  });
  client.on('ready', () => {
    if (down) logger.info({ conn: name }, 'Redis reconnected');
    down = false;
  });
  return client;
}

/** BullMQ wants its own connections with no per-request retry limit. */
export function connectRedisForQueues(url: string, logger: Logger, name: string): Redis {
  const client = new Redis(url, {
    connectionName: `cunbo-${name}`,
    maxRetriesPerRequest: null,
    retryStrategy: (times) => Math.min(times * 200, 2000),
  });
  client.on('error', (error: Error) =>
    logger.debug({ err: error.message, conn: name }, 'Redis queue connection error'),
  );
  return client;
}

export async function pingRedisConnection(client: Redis, timeoutMs: number): Promise<boolean> {
  if (client.status !== 'ready') return false;
  return withTimeout(client.ping(), timeoutMs)
    .then((reply) => reply === 'PONG')
    .catch(() => false);
}

/** Deletes every key under a prefix (tests and `seed --reset`). */
export async function deleteKeysWithPrefix(client: Redis, prefix: string): Promise<number> {
  let deleted = 0;
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
    cursor = next;
    if (keys.length > 0) deleted += await client.unlink(...keys);
  } while (cursor !== '0');
  return deleted;
}
