import { randomInt } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { RedisKeys } from '../core/redis.ts';

const SERIALS_A_DAY = 100_000_000;
/** Coprime with 10^8 (odd, not a multiple of 5): `serial × SPREAD mod 10^8` is a bijection. */
const SPREAD = 73_856_093;
/** Serials a process takes from Redis at once. */
const BLOCK = 500;
const COUNTER_TTL_S = 2 * 24 * 3600;

/** CB + yymmdd (UTC) + 8 digits: readable over the phone. */
function format(date: string, serial: number): string {
  const digits = (serial % SERIALS_A_DAY) * SPREAD + 12_345_679;
  return `CB${date}${String(digits % SERIALS_A_DAY).padStart(8, '0')}`;
}

function dayOf(now: Date): string {
  return now.toISOString().slice(2, 10).replaceAll('-', '');
}

/** An order number with 8 random digits, for fixtures and when Redis cannot be asked. */
export function newOrderNo(now = new Date()): string {
  return format(dayOf(now), randomInt(0, SERIALS_A_DAY));
}

/**
 * Order numbers that do not collide. Random digits would: a 20,000-order day draws two equal
 * numbers out of 10^8 about twice, and each clash costs its whole write batch on FerretDB (it
 * falls back to one insert per document). Each process takes blocks of the day's serials from
 * one Redis counter and spreads them over the 8 digits, so numbers are unique within a day and
 * do not read as a sales count. A counter lost with a Redis wipe restarts at a random serial;
 * the unique index and placeOrder's retry cover the rare repeat after that.
 */
export class OrderNumbers {
  private readonly redis: Redis;
  private readonly keys: RedisKeys;
  private block = { date: '', next: 0, end: 0 };
  private refill: Promise<void> | undefined;

  constructor(redis: Redis, keys: RedisKeys) {
    this.redis = redis;
    this.keys = keys;
  }

  async next(now = new Date()): Promise<string> {
    const date = dayOf(now);
    while (this.block.date !== date || this.block.next >= this.block.end) {
      this.refill ??= this.take(date).finally(() => (this.refill = undefined));
      try {
        await this.refill;
      } catch {
        return newOrderNo(now); // Redis unreachable: random digits, the unique index guards
      }
    }
    return format(date, this.block.next++);
  }

  private async take(date: string): Promise<void> {
    const key = this.keys.key('{orders}', 'serial', date);
    const answers = await this.redis
      .multi()
      .set(key, randomInt(0, SERIALS_A_DAY - 1_000_000), 'EX', COUNTER_TTL_S, 'NX')
      .incrby(key, BLOCK)
      .exec();
    const [error, last] = answers?.[1] ?? [new Error('no answer')];
    if (error) throw error;
    this.block = { date, next: Number(last) - BLOCK, end: Number(last) };
  }
}
