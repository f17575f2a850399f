// Live offers in Redis: what is open, what is left, who took how much, the waitlist.
// Every key carries the {stock} hash tag so one script can also touch the SKU counter.
import { readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';
import type { RedisKeys } from '../core/redis.ts';
import type { LiveReserveOutcome } from '../orders/order-service.ts';
import type { StockReservations } from '../orders/stock-reservations.ts';

const lua = (name: string) => readFileSync(new URL(`./${name}.lua`, import.meta.url), 'utf8');

type LiveRedis = Redis & {
  liveBuy(numKeys: number, ...args: (string | number)[]): Promise<string[]>;
  liveReturn(numKeys: number, ...args: (string | number)[]): Promise<string[]>;
  liveHoldExpire(numKeys: number, ...args: (string | number)[]): Promise<string[]>;
  liveSetAllotment(numKeys: number, ...args: (string | number)[]): Promise<string[]>;
  liveCreateOffer(numKeys: number, ...args: (string | number)[]): Promise<number>;
};

const SET_ALLOTMENT = `
-- KEYS[1] offer hash; ARGV[1] new allotment. Units already out (sold or held) stay out:
-- the allotment can never go below them. Returns {'ok', remaining} | {'below', out}
local allotment = tonumber(redis.call('HGET', KEYS[1], 'allotment') or '0')
local remaining = tonumber(redis.call('HGET', KEYS[1], 'remaining') or '0')
local out = allotment - remaining
local wanted = tonumber(ARGV[1])
if wanted < out then return {'below', tostring(out)} end
redis.call('HSET', KEYS[1], 'allotment', wanted, 'remaining', wanted - out)
return {'ok', tostring(wanted - out)}
`;

const CREATE_OFFER = `
-- KEYS[1] offer hash, KEYS[2] per-buyer hash; ARGV: allotment, sold, limit, then buyer/qty pairs.
-- Creates the offer's counters from MongoDB when missing (first use, or after a Redis wipe).
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
local allotment = tonumber(ARGV[1])
local sold = tonumber(ARGV[2])
redis.call('HSET', KEYS[1], 'allotment', allotment, 'remaining', math.max(0, allotment - sold), 'sold', sold, 'limit', ARGV[3], 'state', 'closed')
for i = 4, #ARGV, 2 do redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 1]) end
return 1
`;

export const HOLD_SECONDS = 120;
const PLACEMENT_TTL_S = 24 * 3600;

export interface OfferCounters {
  state: string;
  remaining: number;
  sold: number;
  allotment: number;
  opensAt?: number;
  closesAt?: number;
}

export class LiveStock {
  private readonly redis: LiveRedis;
  private readonly keys: RedisKeys;
  private readonly stock: StockReservations;

  constructor(redis: Redis, keys: RedisKeys, stock: StockReservations) {
    const scripts = {
      liveBuy: lua('live-buy'),
      liveReturn: lua('live-return'),
      liveHoldExpire: lua('live-hold-expire'),
      liveSetAllotment: SET_ALLOTMENT,
      liveCreateOffer: CREATE_OFFER,
    };
    for (const [name, source] of Object.entries(scripts))
      if (!(name in redis)) redis.defineCommand(name, { lua: source });
    this.redis = redis as LiveRedis;
    this.keys = keys;
    this.stock = stock;
  }

  offerKey(sessionId: string, offerId: string, ...rest: string[]): string {
    return this.keys.key('{stock}', 'live', sessionId, offerId, ...rest);
  }

  holdPrefix(sessionId: string, offerId: string): string {
    return `${this.offerKey(sessionId, offerId, 'hold')}:`;
  }

  async exists(sessionId: string, offerId: string): Promise<boolean> {
    return (await this.redis.exists(this.offerKey(sessionId, offerId))) === 1;
  }

  async create(
    sessionId: string,
    offerId: string,
    allotment: number,
    sold: number,
    limit: number,
    buyers: Map<string, number>,
  ) {
    await this.redis.liveCreateOffer(
      2,
      this.offerKey(sessionId, offerId),
      this.offerKey(sessionId, offerId, 'buyers'),
      allotment,
      sold,
      limit,
      ...[...buyers].flat(),
    );
  }

  async setWindow(
    sessionId: string,
    offerId: string,
    state: 'open' | 'closed',
    opensAt?: number,
    closesAt?: number,
  ) {
    await this.redis.hset(
      this.offerKey(sessionId, offerId),
      'state',
      state,
      'opens_at',
      opensAt ?? '',
      'closes_at',
      closesAt ?? '',
    );
  }

  async setLimit(sessionId: string, offerId: string, limit: number) {
    await this.redis.hset(this.offerKey(sessionId, offerId), 'limit', limit);
  }

  async setAllotment(
    sessionId: string,
    offerId: string,
    allotment: number,
  ): Promise<{ ok: true } | { ok: false; out: number }> {
    const [kind, value] = await this.redis.liveSetAllotment(
      1,
      this.offerKey(sessionId, offerId),
      allotment,
    );
    return kind === 'ok' ? { ok: true } : { ok: false, out: Number(value) };
  }

  async counters(sessionId: string, offerId: string): Promise<OfferCounters | undefined> {
    const h = await this.redis.hgetall(this.offerKey(sessionId, offerId));
    if (!h.state) return undefined;
    return {
      state: h.state,
      remaining: Number(h.remaining),
      sold: Number(h.sold),
      allotment: Number(h.allotment),
      ...(h.opens_at ? { opensAt: Number(h.opens_at) } : {}),
      ...(h.closes_at ? { closesAt: Number(h.closes_at) } : {}),
    };
  }

  /** The one decision of a live buy (live-buy.lua); missing SKU counters are rebuilt first. */
  async buy(
    sessionId: string,
    offerId: string,
    buyerId: string,
    idempotencyKey: string,
    orderNo: string,
    skuId: string,
    quantity: number,
  ): Promise<LiveReserveOutcome | { kind: 'missing_offer' }> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const keys = [
        this.keys.key('{stock}', 'placement', idempotencyKey),
        this.offerKey(sessionId, offerId),
        this.offerKey(sessionId, offerId, 'buyers'),
        this.stock.counterKey(skuId),
        `${this.holdPrefix(sessionId, offerId)}${buyerId}`,
      ];
      const [kind, a] = await this.redis.liveBuy(
        keys.length,
        ...keys,
        orderNo,
        PLACEMENT_TTL_S,
        buyerId,
        quantity,
        Date.now(),
      );
      if (kind === 'ok') return { kind: 'reserved', lines: [{ skuId, quantity, epoch: a! }] };
      if (kind === 'duplicate') return { kind: 'duplicate', orderNo: a! };
      if (kind === 'closed') return { kind: 'closed' };
      if (kind === 'limit') return { kind: 'limit', left: Math.max(0, Number(a)) };
      if (kind === 'sold_out') return { kind: 'sold_out', skuId, available: 0 };
      if (a === 'offer') return { kind: 'missing_offer' };
      await this.stock.rebuild(skuId);
    }
    throw new Error('live counters kept disappearing');
  }

  /** Units of an expired/cancelled live order: to the first waitlisted buyer, or back on sale. */
  async giveBack(
    sessionId: string,
    offerId: string,
    orderNo: string,
    buyerId: string,
    quantity: number,
  ): Promise<{ heldFor?: string }> {
    const [kind, who] = await this.redis.liveReturn(
      4,
      this.keys.key('{stock}', 'live-returned', orderNo),
      this.offerKey(sessionId, offerId),
      this.offerKey(sessionId, offerId, 'buyers'),
      this.offerKey(sessionId, offerId, 'waitlist'),
      buyerId,
      quantity,
      this.holdPrefix(sessionId, offerId),
      HOLD_SECONDS,
      7 * 24 * 3600,
    );
    if (kind === 'held') {
      await this.redis.srem(this.offerKey(sessionId, offerId, 'waitset'), who!);
      return { heldFor: who! };
    }
    return {};
  }

  async expireHold(
    sessionId: string,
    offerId: string,
    buyerId: string,
  ): Promise<{ heldFor?: string }> {
    const [kind, who] = await this.redis.liveHoldExpire(
      3,
      `${this.holdPrefix(sessionId, offerId)}${buyerId}`,
      this.offerKey(sessionId, offerId),
      this.offerKey(sessionId, offerId, 'waitlist'),
      this.holdPrefix(sessionId, offerId),
      HOLD_SECONDS,
    );
    return kind === 'held' ? { heldFor: who! } : {};
  }

  async hold(sessionId: string, offerId: string, buyerId: string): Promise<number> {
    return Number((await this.redis.get(`${this.holdPrefix(sessionId, offerId)}${buyerId}`)) ?? 0);
  }

  /** Joins the waitlist once; returns the buyer's place (1 = next). */
  async joinWaitlist(sessionId: string, offerId: string, buyerId: string): Promise<number> {
    const added = await this.redis.sadd(this.offerKey(sessionId, offerId, 'waitset'), buyerId);
    if (added === 1) await this.redis.rpush(this.offerKey(sessionId, offerId, 'waitlist'), buyerId);
    const list = await this.redis.lrange(this.offerKey(sessionId, offerId, 'waitlist'), 0, -1);
    return list.indexOf(buyerId) + 1;
  }
}
