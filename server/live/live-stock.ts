// Live offers in Redis: what is open, what is left, who took how much, the waitlist.
// Every key carries the {stock} hash tag so one script can also touch the SKU counter.
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { loadLuaScripts } from '../core/lua-scripts.ts';
import type { RedisKeys } from '../core/redis.ts';
import type {
  ReservedLine,
  ReserveOutcome,
  StockReservations,
} from '../stock/stock-reservations.ts';

export type LiveReserveOutcome =
  | { kind: 'reserved'; lines: ReservedLine[]; offerEpoch: string }
  | Exclude<ReserveOutcome, { kind: 'reserved' }>
  | { kind: 'closed' }
  | { kind: 'limit'; left: number }
  | { kind: 'missing_offer' };

type LiveRedis = Redis & {
  liveBuy(numKeys: number, ...args: (string | number)[]): Promise<string[]>;
  liveReturn(numKeys: number, ...args: (string | number)[]): Promise<string[]>;
  liveHoldExpire(numKeys: number, ...args: (string | number)[]): Promise<string[]>;
  liveSetAllotment(numKeys: number, ...args: (string | number)[]): Promise<string[]>;
  liveCreateOffer(numKeys: number, ...args: (string | number)[]): Promise<number>;
};

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
    loadLuaScripts(redis, new URL('.', import.meta.url), {
      liveBuy: 'live-buy.lua',
      liveReturn: 'live-return.lua',
      liveHoldExpire: 'live-hold-expire.lua',
      liveSetAllotment: 'live-set-allotment.lua',
      liveCreateOffer: 'live-create-offer.lua',
    });
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
  ): Promise<boolean> {
    const created = await this.redis.liveCreateOffer(
      2,
      this.offerKey(sessionId, offerId),
      this.offerKey(sessionId, offerId, 'buyers'),
      allotment,
      sold,
      limit,
      randomBytes(6).toString('hex'),
      ...[...buyers].flat(),
    );
    return created === 1;
  }

  /** Creates the SKU counters the offers sell from, where missing. */
  async ensureSkuCounters(skuIds: string[]): Promise<void> {
    await this.stock.available(skuIds);
  }

  /** Remembers the placement keys of orders already in MongoDB (after a Redis wipe). */
  async rememberPlacements(orders: { idempotencyKey: string; orderNo: string }[]): Promise<void> {
    for (let i = 0; i < orders.length; i += 500) {
      const pipeline = this.redis.pipeline();
      for (const o of orders.slice(i, i + 500))
        pipeline.set(
          this.stock.placementKey(o.idempotencyKey),
          o.orderNo,
          'EX',
          PLACEMENT_TTL_S,
          'NX',
        );
      await pipeline.exec();
    }
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
    /** A rehearsal's own keys, in place of the SKU's stock and the placement's real ones. */
    rehearsal?: { stock: string; inflight: string; placement: string },
  ): Promise<LiveReserveOutcome> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const keys = [
        rehearsal?.placement ?? this.stock.placementKey(idempotencyKey),
        this.offerKey(sessionId, offerId),
        this.offerKey(sessionId, offerId, 'buyers'),
        rehearsal?.stock ?? this.stock.counterKey(skuId),
        `${this.holdPrefix(sessionId, offerId)}${buyerId}`,
        rehearsal?.inflight ?? this.stock.inflightKey(),
      ];
      const [kind, a, , offerEpoch] = await this.redis.liveBuy(
        keys.length,
        ...keys,
        orderNo,
        PLACEMENT_TTL_S,
        buyerId,
        quantity,
        Date.now(),
      );
      if (kind === 'ok')
        return {
          kind: 'reserved',
          lines: [{ skuId, quantity, epoch: a! }],
          offerEpoch: offerEpoch!,
        };
      if (kind === 'duplicate') return { kind: 'duplicate', orderNo: a! };
      if (kind === 'closed') return { kind: 'closed' };
      if (kind === 'limit') return { kind: 'limit', left: Math.max(0, Number(a)) };
      if (kind === 'sold_out') return { kind: 'sold_out', skuId, available: 0 };
      if (a === 'offer') return { kind: 'missing_offer' };
      if (rehearsal) throw new Error('the rehearsal stock is missing');
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
    offerEpoch: string,
    returnedKey = this.keys.key('{stock}', 'live-returned', orderNo),
  ): Promise<{ heldFor?: string }> {
    const [kind, who] = await this.redis.liveReturn(
      5,
      returnedKey,
      this.offerKey(sessionId, offerId),
      this.offerKey(sessionId, offerId, 'buyers'),
      this.offerKey(sessionId, offerId, 'waitlist'),
      this.offerKey(sessionId, offerId, 'waitset'),
      buyerId,
      quantity,
      this.holdPrefix(sessionId, offerId),
      HOLD_SECONDS,
      7 * 24 * 3600,
      offerEpoch,
    );
    return kind === 'held' ? { heldFor: who! } : {};
  }

  async expireHold(
    sessionId: string,
    offerId: string,
    buyerId: string,
  ): Promise<{ heldFor?: string }> {
    const [kind, who] = await this.redis.liveHoldExpire(
      4,
      `${this.holdPrefix(sessionId, offerId)}${buyerId}`,
      this.offerKey(sessionId, offerId),
      this.offerKey(sessionId, offerId, 'waitlist'),
      this.offerKey(sessionId, offerId, 'waitset'),
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
