// The cart lives in Redis: a guest's under a long-lived cookie id (so it survives an expired
// session), a buyer's under their user id; signing in merges the first into the second.
import type { Redis } from 'ioredis';
import { z } from 'zod';
import { NotFound } from '../core/errors.ts';
import type { RedisKeys } from '../core/redis.ts';
import { parseInput, wholeNumber } from '../core/validation.ts';
import { objectIdSchema, quantitySchema } from './order-input.ts';
import { isSkuOnSale } from '../catalogue/catalogue-reads.ts';

export type CartOwner = { userId: string } | { guestId: string };

const CART_TTL_S = 30 * 24 * 3600;
const MAX_LINES = 30;

const setLineInput = z.object({
  skuId: objectIdSchema,
  quantity: wholeNumber('validation.quantity', {
    min: 0,
    max: 99,
    maxCode: 'validation.quantityMax',
  }),
});
const addLineInput = z.object({ skuId: objectIdSchema, quantity: quantitySchema });

export class CartService {
  private readonly redis: Redis;
  private readonly keys: RedisKeys;
  constructor(redis: Redis, keys: RedisKeys) {
    this.redis = redis;
    this.keys = keys;
  }

  private key(owner: CartOwner): string {
    return 'userId' in owner
      ? this.keys.key('cart', 'user', owner.userId)
      : this.keys.key('cart', 'guest', owner.guestId);
  }

  async lines(owner: CartOwner): Promise<{ skuId: string; quantity: number }[]> {
    const raw = await this.redis.hgetall(this.key(owner));
    return Object.entries(raw).map(([skuId, quantity]) => ({ skuId, quantity: Number(quantity) }));
  }

  async add(owner: CartOwner, raw: unknown): Promise<void> {
    const input = parseInput(addLineInput, raw);
    if (!(await isSkuOnSale(input.skuId))) throw new NotFound('errors.skuNotFound');
    const key = this.key(owner);
    const total = await this.redis.hincrby(key, input.skuId, input.quantity);
    if (total > 99) await this.redis.hset(key, input.skuId, 99);
    if ((await this.redis.hlen(key)) > MAX_LINES) {
      await this.redis.hdel(key, input.skuId);
      throw new NotFound('errors.cartFull');
    }
    await this.redis.expire(key, CART_TTL_S);
  }

  /** Quantity 0 removes the line. */
  async set(owner: CartOwner, raw: unknown): Promise<void> {
    const input = parseInput(setLineInput, raw);
    const key = this.key(owner);
    if (input.quantity === 0) await this.redis.hdel(key, input.skuId);
    else await this.redis.hset(key, input.skuId, input.quantity);
    await this.redis.expire(key, CART_TTL_S);
  }

  async remove(owner: CartOwner, skuIds: string[]): Promise<void> {
    if (skuIds.length > 0) await this.redis.hdel(this.key(owner), ...skuIds);
  }

  /** Moves a guest's cart into the buyer's at sign-in (quantities add up, capped at 99). */
  async merge(guestId: string, userId: string): Promise<void> {
    const from = { guestId };
    const to = { userId };
    for (const line of await this.lines(from)) {
      const total = await this.redis.hincrby(this.key(to), line.skuId, line.quantity);
      if (total > 99) await this.redis.hset(this.key(to), line.skuId, 99);
    }
    await this.redis.del(this.key(from));
    await this.redis.expire(this.key(to), CART_TTL_S);
  }
}
