// Every few seconds some worker records that queues are being processed. If no worker
// runs, orders would never expire and paid orders never reach the hub: /readyz reports it.
import { Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { heartbeatKey } from '../server/core/heartbeat.ts';
import type { RedisKeys } from '../server/core/redis.ts';

export const HEARTBEAT_QUEUE = 'heartbeat';
export const HEARTBEAT_EVERY_MS = 5000;

export async function scheduleHeartbeat(queue: Queue): Promise<void> {
  await queue.upsertJobScheduler('heartbeat', { every: HEARTBEAT_EVERY_MS }, { name: 'beat' });
}

export function heartbeatWorker(opts: {
  connection: Redis;
  prefix: string;
  keys: RedisKeys;
  redis: Redis;
  workerId: string;
}): Worker {
  return new Worker(
    HEARTBEAT_QUEUE,
    async () => {
      await opts.redis.set(
        heartbeatKey(opts.keys),
        JSON.stringify({ at: Date.now(), worker: opts.workerId }),
      );
    },
    { connection: opts.connection, prefix: opts.prefix, concurrency: 1 },
  );
}
