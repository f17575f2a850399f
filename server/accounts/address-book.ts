// The buyer's address book. A live buy needs the default address of whoever won units, hundreds
// of times a second in a rush: it is read through a Redis cache that every change goes through,
// so no buy waits on MongoDB for it and no web process keeps an old address.
import type { Redis } from 'ioredis';
import type { RedisKeys } from '../core/redis.ts';
import type { Address } from '../orders/address.schema.ts';
import { UserModel } from './user.model.ts';

const CACHE_TTL_S = 24 * 3600;
const NONE = 'none';
const KEEP = 10;

export class AddressBook {
  private readonly redis: Redis;
  private readonly keys: RedisKeys;

  constructor(redis: Redis, keys: RedisKeys) {
    this.redis = redis;
    this.keys = keys;
  }

  private cacheKey(userId: string): string {
    return this.keys.key('address', userId);
  }

  /** The buyer's default address (the first in the book), or undefined if the book is empty. */
  async defaultAddress(userId: string): Promise<Address | undefined> {
    const cached = await this.redis.get(this.cacheKey(userId));
    if (cached !== null) return cached === NONE ? undefined : (JSON.parse(cached) as Address);
    const user = await UserModel.findById(userId, { addresses: 1 }).lean();
    const address = user?.addresses?.[0];
    await this.redis.set(
      this.cacheKey(userId),
      address ? JSON.stringify(address) : NONE,
      'EX',
      CACHE_TTL_S,
    );
    return address ?? undefined;
  }

  /** The whole book, the default first (the checkout and the live room's address sheet). */
  async list(userId: string): Promise<Address[]> {
    const user = await UserModel.findById(userId, { addresses: 1 }).lean();
    return user?.addresses ?? [];
  }

  /** Caches a default address read elsewhere (at sign-in the user's record is already loaded). */
  async prime(userId: string, address: Address | undefined): Promise<void> {
    const plain =
      address && 'toObject' in address ? (address as { toObject(): Address }).toObject() : address;
    await this.redis.set(
      this.cacheKey(userId),
      plain ? JSON.stringify(plain) : NONE,
      'EX',
      CACHE_TTL_S,
    );
  }

  /** Makes `address` the default, keeping up to ten others; the cache follows. */
  async remember(userId: string, address: Address): Promise<void> {
    const user = await UserModel.findById(userId);
    if (!user) return;
    const others = user.addresses.filter(
      (a) => !(a.detail === address.detail && a.phone === address.phone),
    );
    user.set('addresses', [address, ...others].slice(0, KEEP));
    await user.save();
    await this.forget(userId);
  }

  /** Drops the cached default; the next read takes it from MongoDB. */
  async forget(userId: string): Promise<void> {
    await this.redis.del(this.cacheKey(userId));
  }
}
