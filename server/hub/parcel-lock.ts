// One writer per parcel at a time. A parcel's lines, tracking list, status and exceptions are
// read, changed and written back as a whole; the lock serialises the writers.
import type { Redis, RedisKeys } from '../core/redis.ts';
import { RedisLocks } from '../core/redis-lock.ts';

export class ParcelLocks {
  private readonly locks: RedisLocks;

  constructor(redis: Redis, keys: RedisKeys) {
    this.locks = new RedisLocks(redis, keys);
  }

  /** Runs `work` holding the parcel's lock; Unavailable (503, retry later) if it stays busy. */
  withParcel<T>(parcelNo: string, work: () => Promise<T>): Promise<T> {
    return this.locks.hold('parcel-lock', parcelNo, work, 'errors.parcelBusy');
  }

  /**
   * Runs `work` as the only allocator of this SKU's batches: what is left of a batch is read and
   * then taken, which two routing workers must not do at once.
   */
  withSkuAllocation<T>(skuId: string, work: () => Promise<T>): Promise<T> {
    return this.locks.hold('sku-allocation-lock', skuId, work, 'errors.parcelBusy');
  }
}
