// One writer per parcel at a time. A parcel's tracking list, status and exceptions are read,
// changed and written back as a whole; conditional updates are no arbiter on FerretDB v1, so a
// short Redis lock serialises the writers (across every web and worker process).
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { Unavailable } from '../core/errors.ts';
import type { Redis, RedisKeys } from '../core/redis.ts';

const RELEASE_LUA = readFileSync(new URL('./parcel-lock-release.lua', import.meta.url), 'utf8');
/** Longer than any one parcel update takes; only matters if a holder dies mid-update. */
const LOCK_TTL_MS = 15_000;
const WAIT_STEP_MS = 25;
const MAX_WAIT_MS = 5_000;

type LockRedis = Redis & {
  releaseParcelLock(numKeys: number, key: string, token: string): Promise<number>;
};

export class ParcelLocks {
  private readonly redis: LockRedis;
  private readonly keys: RedisKeys;

  constructor(redis: Redis, keys: RedisKeys) {
    if (!('releaseParcelLock' in redis)) {
      redis.defineCommand('releaseParcelLock', { lua: RELEASE_LUA });
    }
    this.redis = redis as LockRedis;
    this.keys = keys;
  }

  /** Runs `work` holding the parcel's lock; Unavailable (503, retry later) if it stays busy. */
  withParcel<T>(parcelNo: string, work: () => Promise<T>): Promise<T> {
    return this.hold(this.keys.key('parcel-lock', parcelNo), work);
  }

  /**
   * Runs `work` as the only allocator of this SKU's batches: what is left of a batch is read and
   * then taken, which two routing workers must not do at once.
   */
  withSkuAllocation<T>(skuId: string, work: () => Promise<T>): Promise<T> {
    return this.hold(this.keys.key('sku-allocation-lock', skuId), work);
  }

  private async hold<T>(key: string, work: () => Promise<T>): Promise<T> {
    const token = randomBytes(12).toString('base64url');
    const deadline = Date.now() + MAX_WAIT_MS;
    while ((await this.redis.set(key, token, 'PX', LOCK_TTL_MS, 'NX')) !== 'OK') {
      if (Date.now() > deadline) throw new Unavailable('errors.parcelBusy', { lock: key });
      await sleep(WAIT_STEP_MS);
    }
    try {
      return await work();
    } finally {
      await this.redis.releaseParcelLock(1, key, token).catch(() => 0);
    }
  }
}
