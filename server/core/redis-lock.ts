// A short Redis lock for read-change-write on one document. Conditional updates are no arbiter
// on FerretDB v1 (see DESIGN.md), so writers that must not interleave take this lock first,
// across every web and worker process.
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Unavailable } from './errors.ts';
import { loadLuaScripts } from './lua-scripts.ts';
import type { Redis, RedisKeys } from './redis.ts';

/** Longer than any one guarded update takes; only matters if a holder dies mid-update. */
const LOCK_TTL_MS = 15_000;
const WAIT_STEP_MS = 25;
const MAX_WAIT_MS = 5_000;

type LockRedis = Redis & {
  releaseLock(numKeys: number, key: string, token: string): Promise<number>;
};

export class RedisLocks {
  private readonly redis: LockRedis;
  private readonly keys: RedisKeys;

  constructor(redis: Redis, keys: RedisKeys) {
    loadLuaScripts(redis, new URL('.', import.meta.url), { releaseLock: 'redis-lock-release.lua' });
    this.redis = redis as LockRedis;
    this.keys = keys;
  }

  /**
   * Runs `work` holding the lock `<kind>:<id>`; Unavailable with `busyCode` (503, try again) if
   * another holder keeps it longer than a few seconds.
   */
  async hold<T>(kind: string, id: string, work: () => Promise<T>, busyCode: string): Promise<T> {
    const key = this.keys.key(kind, id);
    const token = randomBytes(12).toString('base64url');
    const deadline = Date.now() + MAX_WAIT_MS;
    while ((await this.redis.set(key, token, 'PX', LOCK_TTL_MS, 'NX')) !== 'OK') {
      if (Date.now() > deadline) throw new Unavailable(busyCode, { lock: key });
      await sleep(WAIT_STEP_MS);
    }
    try {
      return await work();
    } finally {
      await this.redis.releaseLock(1, key, token).catch(() => 0);
    }
  }
}
