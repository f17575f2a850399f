// Live coupons: the streamer drops N of them in a session; buyers claim one each, first come,
// first served, decided in Redis like a buy; a claimed coupon goes on one unpaid order of the
// shop, which the buyer then pays at the discounted total. See docs/promotions.md.
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Actor } from '../accounts/actor.ts';
import { Conflict, Invalid, NotFound, SoldOut, Unauthenticated } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';
import { formatFen } from '../core/http/views.ts';
import { loadLuaScripts } from '../core/lua-scripts.ts';
import type { Realtime } from '../core/realtime.ts';
import { RedisLocks } from '../core/redis-lock.ts';
import type { RedisKeys } from '../core/redis.ts';
import { rooms } from '../core/rooms.ts';
import { TtlCache } from '../core/ttl-cache.ts';
import type { Order } from '../orders/order-reads.ts';
import { CouponClaimModel, CouponModel, type Coupon } from './coupon.model.ts';
import { couponLabel, discountFen, useCouponInput, type DropCouponInput } from './coupon-terms.ts';
import { parseInput } from '../core/validation.ts';

type CouponRedis = Redis & {
  couponClaim(numKeys: number, ...args: string[]): Promise<string[]>;
  couponUnclaim(numKeys: number, ...args: string[]): Promise<number>;
  couponUse(numKeys: number, ...args: string[]): Promise<string[]>;
  couponRelease(numKeys: number, ...args: string[]): Promise<number>;
  couponLoad(numKeys: number, ...args: (string | number)[]): Promise<number>;
};

/** What the coupons need from the order side (OrderService). */
export interface CouponOrders {
  payableOrder(actor: Actor | undefined, orderNo: string, tooLate: string): Promise<Order>;
  setDiscount(
    actor: Actor | undefined,
    orderNo: string,
    change: { couponId: string; discountFen: number } | null,
    beforeChange: (order: Order) => Promise<void>,
  ): Promise<Order>;
}

export interface CouponsDeps {
  redis: Redis;
  keys: RedisKeys;
  logger: Logger;
  realtime: Realtime;
  orders: CouponOrders;
  /** Cancels the PaymentIntent made for an order's old total (PaymentService). */
  withdrawOpenIntent(orderNo: string): Promise<void>;
}

/** The session a coupon belongs to, as the live domain knows it. */
export interface CouponSession {
  id: string;
  shopId: string;
  live: boolean;
}

/** Counters outlive the longest use window (72 h after a session) by a few days. */
const COUNTER_TTL_S = 8 * 24 * 3600;
/** Remaining counts are pushed to the room at most this often per coupon. */
const ROOM_PUSH_MS = 500;
const isDuplicateKey = (error: unknown) => (error as { code?: number }).code === 11000;

export interface CouponView {
  couponId: string;
  label: { code: string; params: Record<string, number> };
  total: number;
  remaining: number;
  /** For a signed-in buyer: claimed (and whether an order uses it). */
  mine?: 'claimed' | 'used';
}

export class Coupons {
  private readonly deps: CouponsDeps;
  private readonly redis: CouponRedis;
  private readonly locks: RedisLocks;
  private readonly coupons = new TtlCache<Coupon | null>(2000, 1000);
  /** Loads in flight, by coupon: callers at the same moment share one. */
  private readonly loads = new Map<string, Promise<void>>();
  private readonly pushes = new Map<string, NodeJS.Timeout>();

  constructor(deps: CouponsDeps) {
    loadLuaScripts(deps.redis, new URL('.', import.meta.url), {
      couponClaim: 'coupon-claim.lua',
      couponUnclaim: 'coupon-unclaim.lua',
      couponUse: 'coupon-use.lua',
      couponRelease: 'coupon-release.lua',
      couponLoad: 'coupon-load.lua',
    });
    this.deps = deps;
    this.redis = deps.redis as CouponRedis;
    this.locks = new RedisLocks(deps.redis, deps.keys);
  }

  private keysOf(couponId: string): [string, string, string] {
    const tag = `{coupon:${couponId}}`;
    return [
      this.deps.keys.key(tag, 'state'),
      this.deps.keys.key(tag, 'free'),
      this.deps.keys.key(tag, 'claims'),
    ];
  }

  /** The streamer (or their assistant) drops coupons in their live session. */
  async drop(actor: Actor, session: CouponSession, input: DropCouponInput): Promise<CouponView> {
    if (!session.live) throw new Conflict('errors.sessionNotLive');
    const doc = await CouponModel.create({
      couponId: randomBytes(5).toString('hex'),
      sessionId: session.id,
      shopId: session.shopId,
      kind: input.kind,
      offFen: input.offFen,
      percent: input.percent,
      capFen: input.capFen,
      minFen: input.minFen,
      total: input.total,
      hoursAfter: input.hoursAfter,
      createdBy: actor.id,
    });
    await this.ensureCounters(doc.toObject());
    this.pushSoon(session.id, doc.couponId);
    return (await this.sessionCoupons(session.id)).find((c) => c.couponId === doc.couponId)!;
  }

  /** A buyer claims one coupon: one each, never more than were dropped. */
  async claim(actor: Actor | undefined, session: CouponSession, couponId: string) {
    if (!actor) throw new Unauthenticated('errors.signInToClaim');
    const coupon = await this.coupon(couponId);
    if (!coupon || String(coupon.sessionId) !== session.id)
      throw new NotFound('errors.couponNotFound');
    if (!session.live || coupon.useUntil) throw new Conflict('errors.couponClosed');
    const keys = this.keysOf(couponId);
    // A slot MongoDB already holds (claimed before a Redis wipe) is skipped; a few tries at most.
    for (let attempt = 0; attempt < 5; attempt++) {
      let [outcome, value] = await this.redis.couponClaim(3, ...keys, actor.id);
      if (outcome === 'missing') {
        await this.ensureCounters(coupon);
        [outcome, value] = await this.redis.couponClaim(3, ...keys, actor.id);
      }
      if (outcome === 'closed') throw new Conflict('errors.couponClosed');
      if (outcome === 'already') throw new Conflict('errors.couponAlreadyClaimed');
      if (outcome === 'gone' || outcome === 'missing') throw new SoldOut('errors.couponsGone');
      const slot = value!;
      try {
        await CouponClaimModel.create({
          _id: `${couponId}:${actor.id}`,
          slot: `${couponId}#${slot}`,
          couponId,
          buyerId: actor.id,
          shopId: coupon.shopId,
        });
      } catch (error) {
        if (!isDuplicateKey(error)) {
          await this.redis.couponUnclaim(2, keys[1], keys[2], actor.id, slot, '1');
          throw error;
        }
        const mine = await CouponClaimModel.exists({ _id: `${couponId}:${actor.id}` });
        // The buyer's own earlier claim (Redis forgot it): the slot is free again.
        await this.redis.couponUnclaim(2, keys[1], keys[2], actor.id, slot, mine ? '1' : '0');
        if (mine) throw new Conflict('errors.couponAlreadyClaimed');
        continue;
      }
      this.pushSoon(session.id, couponId);
      return { couponId, label: couponLabel(coupon) };
    }
    throw new SoldOut('errors.couponsGone');
  }

  /** The session has ended: no more claims; claimed coupons stay usable for `hoursAfter`. */
  async sessionEnded(sessionId: string, endedAt: Date): Promise<void> {
    const coupons = await CouponModel.find({ sessionId }).lean();
    for (const coupon of coupons) {
      await CouponModel.updateOne(
        { couponId: coupon.couponId },
        { $set: { useUntil: new Date(endedAt.getTime() + coupon.hoursAfter * 3600_000) } },
      );
      const [state] = this.keysOf(coupon.couponId);
      await this.redis.hset(state, 'state', 'closed');
      this.coupons.forget(coupon.couponId);
    }
    if (coupons.length > 0) this.pushNow(sessionId);
  }

  /** A session's coupons with what is left of each, and which the buyer holds. */
  async sessionCoupons(sessionId: string, buyerId?: string): Promise<CouponView[]> {
    const coupons = await CouponModel.find({ sessionId }).sort({ createdAt: 1 }).lean();
    return Promise.all(
      coupons.map(async (coupon) => {
        await this.ensureCounters(coupon);
        const [, free, claims] = this.keysOf(coupon.couponId);
        const [remaining, mine] = await Promise.all([
          this.redis.llen(free),
          buyerId ? this.redis.hget(claims, buyerId) : Promise.resolve(null),
        ]);
        return {
          couponId: coupon.couponId,
          label: couponLabel(coupon),
          total: coupon.total,
          remaining: coupon.useUntil ? 0 : remaining,
          ...(mine
            ? { mine: mine.startsWith('u:') ? ('used' as const) : ('claimed' as const) }
            : {}),
        };
      }),
    );
  }

  /**
   * The buyer's coupons for one of their unpaid orders: those of the order's shop, still in
   * time, with what each would take off (or why it does not apply).
   */
  async forOrder(actor: Actor | undefined, order: Order) {
    if (!actor || String(order.buyerId) !== actor.id) return [];
    const claims = await CouponClaimModel.find({ buyerId: actor.id }).lean();
    const now = Date.now();
    const usable = [];
    for (const claim of claims) {
      if (String(claim.shopId) !== String(order.shopId)) continue;
      if (claim.usedBy && claim.usedBy !== order.orderNo) continue;
      const coupon = await this.coupon(claim.couponId);
      if (!coupon || (coupon.useUntil && coupon.useUntil.getTime() <= now)) continue;
      const off = discountFen(coupon, order.itemsTotalFen);
      usable.push({
        couponId: coupon.couponId,
        label: couponLabel(coupon),
        offFen: off === 'under_threshold' ? 0 : off,
        applies: off !== 'under_threshold',
        onThisOrder: order.couponId === coupon.couponId,
        useUntil: coupon.useUntil,
      });
    }
    return usable.sort((a, b) => b.offFen - a.offFen);
  }

  /** Puts one of the buyer's claimed coupons on their unpaid order (replacing one already on). */
  async apply(actor: Actor | undefined, orderNo: string, rawCouponId: unknown): Promise<Order> {
    if (!actor) throw new Unauthenticated();
    return this.locks.hold(
      'order-coupon',
      orderNo,
      async () => {
        // Whose order it is comes first: nobody learns anything of another's order.
        const order = await this.deps.orders.payableOrder(actor, orderNo, 'errors.couponTooLate');
        const { couponId } = parseInput(useCouponInput, { couponId: rawCouponId });
        if (order.couponId === couponId) return order;
        const coupon = await this.coupon(couponId);
        const claim = coupon
          ? await CouponClaimModel.findById(`${couponId}:${actor.id}`).lean()
          : null;
        if (!coupon || !claim) throw new Conflict('errors.couponNotClaimed');
        if (String(coupon.shopId) !== String(order.shopId))
          throw new Invalid('errors.couponOtherShop', [
            { field: 'couponId', code: 'validation.couponOtherShop' },
          ]);
        if (coupon.useUntil && coupon.useUntil.getTime() <= Date.now())
          throw new Conflict('errors.couponExpired');
        const off = discountFen(coupon, order.itemsTotalFen);
        if (off === 'under_threshold')
          throw new Invalid(
            'errors.couponUnderThreshold',
            [{ field: 'couponId', code: 'validation.couponUnderThreshold' }],
            { min: formatFen(coupon.minFen) },
          );
        await this.take(coupon, actor.id, orderNo);
        let updated: Order;
        try {
          updated = await this.deps.orders.setDiscount(
            actor,
            orderNo,
            { couponId, discountFen: off },
            () => this.deps.withdrawOpenIntent(orderNo),
          );
        } catch (error) {
          await this.giveBack(couponId, actor.id, orderNo, claim.slot);
          throw error;
        }
        await CouponClaimModel.updateOne({ _id: claim._id }, { $set: { usedBy: orderNo } });
        // The coupon that was on the order before comes back to the buyer.
        if (order.couponId) await this.releaseClaim(order.couponId, actor.id, orderNo);
        return updated;
      },
      'errors.orderBusy',
    );
  }

  /** Takes the coupon off the buyer's unpaid order; it is theirs to use again. */
  async remove(actor: Actor | undefined, orderNo: string): Promise<Order> {
    if (!actor) throw new Unauthenticated();
    return this.locks.hold(
      'order-coupon',
      orderNo,
      async () => {
        const order = await this.deps.orders.payableOrder(actor, orderNo, 'errors.couponTooLate');
        if (!order.couponId) return order;
        const updated = await this.deps.orders.setDiscount(actor, orderNo, null, () =>
          this.deps.withdrawOpenIntent(orderNo),
        );
        await this.releaseClaim(order.couponId, actor.id, orderNo);
        return updated;
      },
      'errors.orderBusy',
    );
  }

  /** Hears every changed order: a coupon on one that expired or was cancelled unpaid comes back. */
  orderListener() {
    return (order: Order) => {
      if (!order.couponId || (order.status !== 'expired' && order.status !== 'cancelled')) return;
      // Paid and then cancelled orders are refunded what was paid; their coupon stays used.
      const paid = order.timeline.some((t) => t.to === 'paid');
      if (paid) return;
      this.releaseClaim(order.couponId, String(order.buyerId), order.orderNo).catch(
        (error: unknown) =>
          this.deps.logger.warn(
            { err: error, orderNo: order.orderNo },
            'a coupon did not come back from a closed order; it comes back on the next change',
          ),
      );
    };
  }

  /** Marks the claim used by the order in Redis, where two orders racing for it are decided. */
  private async take(coupon: Coupon, buyerId: string, orderNo: string) {
    const [, , claims] = this.keysOf(coupon.couponId);
    let [outcome, other] = await this.redis.couponUse(1, claims, buyerId, orderNo);
    if (outcome === 'not_claimed') {
      // Counters lost (a Redis wipe) and not yet reloaded: MongoDB has the claim.
      await this.ensureCounters(coupon);
      [outcome, other] = await this.redis.couponUse(1, claims, buyerId, orderNo);
    }
    if (outcome === 'used') throw new Conflict('errors.couponInUse', { orderNo: other });
    if (outcome !== 'ok') throw new Conflict('errors.couponNotClaimed');
  }

  private async giveBack(couponId: string, buyerId: string, orderNo: string, slot: string) {
    const [, , claims] = this.keysOf(couponId);
    await this.redis.couponRelease(1, claims, buyerId, orderNo, slot.split('#')[1] ?? '0');
  }

  private async releaseClaim(couponId: string, buyerId: string, orderNo: string) {
    const claim = await CouponClaimModel.findById(`${couponId}:${buyerId}`).lean();
    if (!claim) return;
    await this.giveBack(couponId, buyerId, orderNo, claim.slot);
    if (claim.usedBy === orderNo)
      await CouponClaimModel.updateOne(
        { _id: claim._id, usedBy: orderNo },
        { $unset: { usedBy: 1 } },
      );
  }

  /** A coupon by id, read through a two-second cache (a claim rush reads the same one). */
  private coupon(couponId: string): Promise<Coupon | null> {
    return this.coupons.get(couponId, () => CouponModel.findOne({ couponId }).lean().exec());
  }

  /** Puts a coupon's counters in Redis from MongoDB if they are not there; one load at a time. */
  private ensureCounters(coupon: Coupon): Promise<void> {
    const inFlight = this.loads.get(coupon.couponId);
    if (inFlight) return inFlight;
    const load = (async () => {
      const keys = this.keysOf(coupon.couponId);
      if ((await this.redis.exists(keys[0])) === 1) return;
      const claims = await CouponClaimModel.find(
        { couponId: coupon.couponId },
        { slot: 1, buyerId: 1, usedBy: 1 },
      ).lean();
      const taken = new Set(claims.map((c) => c.slot.split('#')[1]));
      const free = [];
      for (let n = 1; n <= coupon.total; n++) if (!taken.has(String(n))) free.push(String(n));
      const pairs = claims.flatMap((c) => [
        String(c.buyerId),
        c.usedBy ? `u:${c.usedBy}` : (c.slot.split('#')[1] ?? '0'),
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

  /** Tells the room what is left of a coupon, at most twice a second per coupon. */
  private pushSoon(sessionId: string, couponId: string) {
    if (this.pushes.has(couponId)) return;
    const timer = setTimeout(() => {
      this.pushes.delete(couponId);
      this.pushNow(sessionId);
    }, ROOM_PUSH_MS);
    timer.unref();
    this.pushes.set(couponId, timer);
  }

  private pushNow(sessionId: string) {
    this.sessionCoupons(sessionId)
      .then((coupons) =>
        this.deps.realtime.toRoom(rooms.live(sessionId), 'live:coupons', { sessionId, coupons }),
      )
      .catch((error: unknown) =>
        this.deps.logger.warn({ err: error, sessionId }, 'coupon counts not pushed to the room'),
      );
  }
}
