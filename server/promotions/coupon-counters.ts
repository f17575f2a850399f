// A coupon's counters in Redis, where every claim and every use is decided: the free slots
// (1…N), and each claimant's slot or the order using it. Put back from MongoDB whenever they are
// missing (a drop on another process, a Redis wipe). See docs/promotions.md.
import type { Redis } from 'ioredis';
import { loadLuaScripts } from '../core/lua-scripts.ts';
import type { RedisKeys } from '../core/redis.ts';
import { CouponClaimModel, type Coupon } from './coupon.model.ts';

type CouponRedis = Redis & {
  couponClaim(numKeys: number, ...args: string[]): Promise<string[]>;
  couponUnclaim(numKeys: number, ...args: string[]): Promise<number>;
  couponUse(numKeys: number, ...args: string[]): Promise<string[]>;
  couponRelease(numKeys: number, ...args: string[]): Promise<number>;
  couponLoad(numKeys: number, ...args: (string | number)[]): Promise<number>;
};

/** Counters outlive the longest use window (72 h after a session) by a few days. */
const COUNTER_TTL_S = 8 * 24 * 3600;

export type ClaimOutcome =
  { kind: 'ok'; slot: string } | { kind: 'closed' } | { kind: 'already' } | { kind: 'gone' };

export type UseOutcome =
  { kind: 'ok' } | { kind: 'used'; orderNo: string } | { kind: 'not_claimed' };

/** The slot number of a claim's `slot` field (`<couponId>#<n>`). */
export const slotNumber = (slot: string) => slot.split('#')[1] ?? '0';

export class CouponCounters {
  private readonly redis: CouponRedis;
  private readonly keys: RedisKeys;
  /** Loads in flight, by coupon: callers at the same moment share one. */
  private readonly loads = new Map<string, Promise<void>>();

  constructor(redis: Redis, keys: RedisKeys) {
    loadLuaScripts(redis, new URL('.', import.meta.url), {
      couponClaim: 'coupon-claim.lua',
      couponUnclaim: 'coupon-unclaim.lua',
      couponUse: 'coupon-use.lua',
      couponRelease: 'coupon-release.lua',
      couponLoad: 'coupon-load.lua',
    });
    this.redis = redis as CouponRedis;
    this.keys = keys;
  }

  private keysOf(couponId: string): [state: string, free: string, claims: string] {
    const tag = `{coupon:${couponId}}`;
    return [this.keys.key(tag, 'state'), this.keys.key(tag, 'free'), this.keys.key(tag, 'claims')];
  }

  /** Takes a free slot for the buyer (coupon-claim.lua). */
  async claim(coupon: Coupon, buyerId: string): Promise<ClaimOutcome> {
    const keys = this.keysOf(coupon.couponId);
    let [outcome, slot] = await this.redis.couponClaim(3, ...keys, buyerId);
    if (outcome === 'missing') {
      await this.ensure(coupon);
      [outcome, slot] = await this.redis.couponClaim(3, ...keys, buyerId);
    }
    if (outcome === 'ok') return { kind: 'ok', slot: slot! };
    if (outcome === 'closed' || outcome === 'already') return { kind: outcome };
    return { kind: 'gone' };
  }

  /** Undoes a claim MongoDB refused; the slot is free again only if `freeAgain`. */
  async unclaim(couponId: string, buyerId: string, slot: string, freeAgain: boolean) {
    const [, free, claims] = this.keysOf(couponId);
    await this.redis.couponUnclaim(2, free, claims, buyerId, slot, freeAgain ? '1' : '0');
  }

  /** Gives the buyer's claim to the order (coupon-use.lua). */
  async use(coupon: Coupon, buyerId: string, orderNo: string): Promise<UseOutcome> {
    const [, , claims] = this.keysOf(coupon.couponId);
    let [outcome, other] = await this.redis.couponUse(1, claims, buyerId, orderNo);
    if (outcome === 'not_claimed') {
      // Counters lost (a Redis wipe) and not yet reloaded: MongoDB has the claim.
      await this.ensure(coupon);
      [outcome, other] = await this.redis.couponUse(1, claims, buyerId, orderNo);
    }
    if (outcome === 'ok') return { kind: 'ok' };
    if (outcome === 'used') return { kind: 'used', orderNo: other! };
    return { kind: 'not_claimed' };
  }

  /** The claim comes back from the order, if that order holds it (coupon-release.lua). */
  async release(couponId: string, buyerId: string, orderNo: string, slot: string) {
    const [, , claims] = this.keysOf(couponId);
    await this.redis.couponRelease(1, claims, buyerId, orderNo, slotNumber(slot));
  }

  /** No more claims (the session ended). */
  async close(coupon: Coupon) {
    // Loaded first: a bare state key would stop the counters from ever being loaded again.
    await this.ensure(coupon);
    const [state] = this.keysOf(coupon.couponId);
    await this.redis.hset(state, 'state', 'closed');
  }

  /** Free slots left, and what the buyer holds: a claim, a claim an order uses, or nothing. */
  async look(coupon: Coupon, buyerId?: string) {
    await this.ensure(coupon);
    const [, free, claims] = this.keysOf(coupon.couponId);
    const [remaining, mine] = await Promise.all([
      this.redis.llen(free),
      buyerId ? this.redis.hget(claims, buyerId) : Promise.resolve(null),
    ]);
    const held = mine
      ? mine.startsWith('u:')
        ? ('used' as const)
        : ('claimed' as const)
      : undefined;
    return { remaining, held };
  }

  /** Puts a coupon's counters in Redis from MongoDB if they are not there; one load at a time. */
  ensure(coupon: Coupon): Promise<void> {
    const inFlight = this.loads.get(coupon.couponId);
    if (inFlight) return inFlight;
    const load = (async () => {
      const keys = this.keysOf(coupon.couponId);
      if ((await this.redis.exists(keys[0])) === 1) return;
      const claims = await CouponClaimModel.find(
        { couponId: coupon.couponId },
        { slot: 1, buyerId: 1, usedBy: 1 },
      ).lean();
      const taken = new Set(claims.map((c) => slotNumber(c.slot)));
      const free = [];
      for (let n = 1; n <= coupon.total; n++) if (!taken.has(String(n))) free.push(String(n));
      const pairs = claims.flatMap((c) => [
        String(c.buyerId),
        c.usedBy ? `u:${c.usedBy}` : slotNumber(c.slot),
      ]);
      await this.redis.couponLoad(
        3,
        ...keys,
        coupon.useUntil ? 'closed' : 'open',
        COUNTER_TTL_S,
        free.length,
        ...free,
        ...pairs,
      );
    })().finally(() => this.loads.delete(coupon.couponId));
    this.loads.set(coupon.couponId, load);
    return load;
  }
}
