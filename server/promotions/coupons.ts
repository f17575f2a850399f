// Live coupons: the streamer drops N of them in a session; buyers claim one each, first come,
// first served, decided in Redis like a buy; a claimed coupon goes on one unpaid order of the
// shop, which the buyer then pays at the discounted total. See docs/promotions.md.
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Actor } from '../accounts/actor.ts';
import { Conflict, Invalid, NotFound, SoldOut, Unauthenticated } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';
import type { Realtime } from '../core/realtime.ts';
import { RedisLocks } from '../core/redis-lock.ts';
import type { RedisKeys } from '../core/redis.ts';
import { rooms } from '../core/rooms.ts';
import { TtlCache } from '../core/ttl-cache.ts';
import type { Order } from '../orders/order-reads.ts';
import { CouponCounters } from './coupon-counters.ts';
import { CouponClaimModel, CouponModel, type Coupon } from './coupon.model.ts';
import { couponLabel, discountFen, useCouponInput, type DropCouponInput } from './coupon-terms.ts';
import { parseInput } from '../core/validation.ts';
import type { PromotionSession } from './promotion-session.ts';
import { CoalescedPushes } from '../core/coalesced-pushes.ts';

/** What the coupons need from the order side (OrderService.unpaid). */
export interface CouponOrders {
  payableBy(actor: Actor | undefined, orderNo: string, tooLate: string): Promise<Order>;
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
export type CouponSession = PromotionSession;

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
  private readonly counters: CouponCounters;
  private readonly locks: RedisLocks;
  private readonly coupons = new TtlCache<Coupon | null>(2000, 1000);
  /** A session's coupons: thousands of buyers join a room within seconds, each shown them. */
  private readonly bySession = new TtlCache<Coupon[]>(1000, 1000, { staleWhileRevalidate: true });
  private readonly pushes = new CoalescedPushes(ROOM_PUSH_MS);

  constructor(deps: CouponsDeps) {
    this.deps = deps;
    this.counters = new CouponCounters(deps.redis, deps.keys);
    this.locks = new RedisLocks(deps.redis, deps.keys);
  }

  /** The streamer (or their assistant) drops coupons in their live session. */
  async drop(actor: Actor, session: CouponSession, input: DropCouponInput): Promise<CouponView> {
    if (!session.live) throw new Conflict('errors.sessionNotLive');
    const coupon = await this.create(actor, session, {
      kind: input.kind,
      offFen: input.offFen,
      percent: input.percent,
      capFen: input.capFen,
      minFen: input.minFen,
      total: input.total,
      hoursAfter: input.hoursAfter,
    });
    this.bySession.forget(session.id);
    this.pushSoon(session.id, coupon.couponId);
    return (await this.sessionCoupons(session.id)).find((c) => c.couponId === coupon.couponId)!;
  }

  /** A batch of coupons in MongoDB, and its counters in Redis. */
  private async create(
    actor: Actor,
    session: CouponSession,
    fields: Partial<Coupon> & Pick<Coupon, 'kind' | 'total' | 'hoursAfter'>,
  ): Promise<Coupon> {
    const doc = await CouponModel.create({
      couponId: randomBytes(5).toString('hex'),
      sessionId: session.id,
      shopId: session.shopId,
      ...fields,
      createdBy: actor.id,
    });
    const coupon = doc.toObject();
    await this.counters.ensure(coupon);
    return coupon;
  }

  /** A buyer claims one coupon: one each, never more than were dropped. */
  async claim(actor: Actor | undefined, session: CouponSession, couponId: string) {
    if (!actor) throw new Unauthenticated('errors.signInToClaim');
    const coupon = await this.coupon(couponId);
    // A lucky bag's prize is given by its draw, never claimed.
    if (!coupon || String(coupon.sessionId) !== session.id || coupon.prizeOf)
      throw new NotFound('errors.couponNotFound');
    if (!session.live || coupon.useUntil) throw new Conflict('errors.couponClosed');
    await this.takeSlot(coupon, actor.id);
    this.pushSoon(session.id, couponId);
    return { couponId, label: couponLabel(coupon) };
  }

  /** A lucky bag's coupon prize: `total` coupons kept for its winners, hidden from the room. */
  async createPrize(
    actor: Actor,
    session: CouponSession,
    giveawayId: string,
    terms: { offFen: number; minFen: number; hoursAfter: number; total: number },
  ): Promise<Coupon> {
    return this.create(actor, session, { kind: 'amount', ...terms, prizeOf: giveawayId });
  }

  /** Gives a drawn winner the prize coupon (again, harmlessly); SoldOut if none is left. */
  async grantPrize(couponId: string, buyerId: string): Promise<void> {
    const coupon = await this.coupon(couponId);
    if (!coupon?.prizeOf) throw new NotFound('errors.couponNotFound');
    try {
      await this.takeSlot(coupon, buyerId);
    } catch (error) {
      if (error instanceof Conflict && error.code === 'errors.couponAlreadyClaimed') return;
      throw error;
    }
  }

  /** One slot for the buyer, in Redis and then in MongoDB's unique claims. */
  private async takeSlot(coupon: Coupon, buyerId: string): Promise<void> {
    const { couponId } = coupon;
    // A slot MongoDB already holds (claimed before a Redis wipe) is skipped; a few tries at most.
    for (let attempt = 0; attempt < 5; attempt++) {
      const outcome = await this.counters.claim(coupon, buyerId);
      if (outcome.kind === 'closed') throw new Conflict('errors.couponClosed');
      if (outcome.kind === 'already') throw new Conflict('errors.couponAlreadyClaimed');
      if (outcome.kind === 'gone') throw new SoldOut('errors.couponsGone');
      try {
        await CouponClaimModel.create({
          _id: `${couponId}:${buyerId}`,
          slot: `${couponId}#${outcome.slot}`,
          couponId,
          buyerId,
          shopId: coupon.shopId,
        });
        return;
      } catch (error) {
        if (!isDuplicateKey(error)) {
          await this.counters.unclaim(couponId, buyerId, outcome.slot, true);
          throw error;
        }
        const mine = await CouponClaimModel.exists({ _id: `${couponId}:${buyerId}` });
        // The buyer's own earlier claim (Redis forgot it): the slot is free again.
        await this.counters.unclaim(couponId, buyerId, outcome.slot, Boolean(mine));
        if (mine) throw new Conflict('errors.couponAlreadyClaimed');
      }
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
      // A lucky bag's prize is never claimed in the room: it stays open for a draw that is
      // finished late (by the sweep), and its winners use it within the same hours.
      if (!coupon.prizeOf) await this.counters.close(coupon);
      this.coupons.forget(coupon.couponId);
    }
    this.bySession.forget(sessionId);
    if (coupons.length > 0) this.pushNow(sessionId);
  }

  /** A session's coupons with what is left of each, and which the buyer holds. */
  async sessionCoupons(sessionId: string, buyerId?: string): Promise<CouponView[]> {
    const coupons = await this.bySession.get(sessionId, () =>
      CouponModel.find({ sessionId })
        .sort({ createdAt: 1 })
        .lean()
        .exec()
        .then((all) => all.filter((c) => !c.prizeOf)),
    );
    return Promise.all(
      coupons.map(async (coupon) => {
        const { remaining, held } = await this.counters.look(coupon, buyerId);
        return {
          couponId: coupon.couponId,
          label: couponLabel(coupon),
          total: coupon.total,
          remaining: coupon.useUntil ? 0 : remaining,
          ...(held ? { mine: held } : {}),
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
    return this.orderLock(orderNo, async () => {
      // Whose order it is comes first: nobody learns anything of another's order.
      const order = await this.deps.orders.payableBy(actor, orderNo, 'errors.couponTooLate');
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
          { minFen: coupon.minFen },
        );
      await this.take(coupon, actor.id, orderNo);
      // MongoDB says so before the order changes, so a listener that gives it back on the
      // order's expiry always finds it there.
      await CouponClaimModel.updateOne({ _id: claim._id }, { $set: { usedBy: orderNo } });
      let updated: Order;
      try {
        updated = await this.deps.orders.setDiscount(
          actor,
          orderNo,
          { couponId, discountFen: off },
          () => this.deps.withdrawOpenIntent(orderNo),
        );
      } catch (error) {
        await this.releaseClaim(couponId, actor.id, orderNo);
        throw error;
      }
      // The coupon that was on the order before comes back to the buyer.
      if (order.couponId) await this.releaseClaim(order.couponId, actor.id, orderNo);
      return updated;
    });
  }

  /** Takes the coupon off the buyer's unpaid order; it is theirs to use again. */
  async remove(actor: Actor | undefined, orderNo: string): Promise<Order> {
    if (!actor) throw new Unauthenticated();
    return this.orderLock(orderNo, async () => {
      const order = await this.deps.orders.payableBy(actor, orderNo, 'errors.couponTooLate');
      if (!order.couponId) return order;
      const updated = await this.deps.orders.setDiscount(actor, orderNo, null, () =>
        this.deps.withdrawOpenIntent(orderNo),
      );
      await this.releaseClaim(order.couponId, actor.id, orderNo);
      return updated;
    });
  }

  /** One coupon change at a time per order, across every process. */
  private orderLock<T>(orderNo: string, work: () => Promise<T>): Promise<T> {
    return this.locks.hold('order-coupon', orderNo, work, 'errors.orderBusy');
  }

  /** Hears every changed order: a coupon on one that expired or was cancelled unpaid comes back. */
  orderListener() {
    return (order: Order) => {
      if (!order.couponId || (order.status !== 'expired' && order.status !== 'cancelled')) return;
      // Paid and then cancelled orders are refunded what was paid; their coupon stays used.
      const paid = order.timeline.some((t) => t.to === 'paid');
      if (paid) return;
      // The intent for the discounted total is cancelled first: a late payment of it (which
      // would revive the order with its discount) can no longer come. A payment already under
      // way keeps the coupon on the order.
      this.deps
        .withdrawOpenIntent(order.orderNo)
        .then(() => this.releaseClaim(order.couponId!, String(order.buyerId), order.orderNo))
        .catch((error: unknown) =>
          this.deps.logger.warn(
            { err: error, orderNo: order.orderNo },
            'a coupon stays on a closed order (a payment for it may be under way)',
          ),
        );
    };
  }

  /** Marks the claim used by the order in Redis, where two orders racing for it are decided. */
  private async take(coupon: Coupon, buyerId: string, orderNo: string) {
    const outcome = await this.counters.use(coupon, buyerId, orderNo);
    if (outcome.kind === 'used')
      throw new Conflict('errors.couponInUse', { orderNo: outcome.orderNo });
    if (outcome.kind !== 'ok') throw new Conflict('errors.couponNotClaimed');
  }

  private async releaseClaim(couponId: string, buyerId: string, orderNo: string) {
    const claim = await CouponClaimModel.findById(`${couponId}:${buyerId}`).lean();
    if (!claim) return;
    // MongoDB first, then Redis: once the claim is free in Redis another order may take it, and
    // its usedBy must not be unset by this late write.
    if (claim.usedBy === orderNo)
      await CouponClaimModel.updateOne(
        { _id: claim._id, usedBy: orderNo },
        { $unset: { usedBy: 1 } },
      );
    await this.counters.release(couponId, buyerId, orderNo, claim.slot);
  }

  /** A coupon by id, read through a two-second cache (a claim rush reads the same one). */
  private coupon(couponId: string): Promise<Coupon | null> {
    return this.coupons.get(couponId, () => CouponModel.findOne({ couponId }).lean().exec());
  }

  /** Tells the room what is left of a coupon, at most twice a second per coupon. */
  private pushSoon(sessionId: string, couponId: string) {
    this.pushes.soon(couponId, () => this.pushNow(sessionId));
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
