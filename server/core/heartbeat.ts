// The workers' heartbeat record: some worker writes it every few seconds while queues are being
// processed (workers/heartbeat.ts); /readyz reads its age. Both sides use this one key.
import type { Redis } from 'ioredis';
import type { RedisKeys } from './redis.ts';

export function heartbeatKey(keys: RedisKeys): string {
  return keys.key('workers', 'last-heartbeat');
}

/** Milliseconds since a worker last processed the heartbeat, or null if none ever did. */
export async function heartbeatAgeMs(redis: Redis, keys: RedisKeys): Promise<number | null> {
  const raw = await redis.get(heartbeatKey(keys));
  if (!raw) return null;
  return Date.now() - (JSON.parse(raw) as { at: number }).at;
}
