// Rehearsals (彩排): a streamer practises a scheduled session before going on air. A rehearsal is
// a session of its own (`rehearsalOf` names the real one) with the same console and room, seen
// only by the shop's own people. Its offers count in Redis like any session's, but its orders
// never reach placeOrder: they are decided by live-buy.lua against a stock counter of the
// rehearsal's own (the SKU's units are never taken), kept in Redis under its namespace, marked 彩排,
// and discarded with everything else when the rehearsal ends. See docs/rehearsal.md.
import { randomBytes } from 'node:crypto';
import type { Actor } from '../accounts/actor.ts';
import { Conflict, Invalid, NotFound, SoldOut } from '../core/errors.ts';
import { maskName } from '../core/masking.ts';
import { RedisLocks } from '../core/redis-lock.ts';
import type { LiveCounters } from './live-counters.ts';
import type { BuyInput, SessionRef } from './live-input.ts';
import { LiveSessionModel } from './live-session.model.ts';
import { controlledSession, offerOf, type LiveDeps, type SessionDoc } from './live-sessions.ts';
import type { RoomUpdates } from './room-updates.ts';
import type { CrowdRoom, CrowdState } from './rehearsal-crowd.ts';

/** A rehearsal sells from a pretend stock this large: its allotments are what limit it. */
const PRETEND_STOCK = 1_000_000;
/** Everything a rehearsal leaves in Redis goes at its end, or after a day at the latest. */
const KEEP_S = 24 * 3600;

export interface RehearsalOrder {
  orderNo: string;
  buyerId: string;
  offerId: string;
  quantity: number;
  totalFen: number;
  offerEpoch: string;
  at: number;
}

/** The shop's own people: its streamers and assistants, or the county admin. */
export function isShopPerson(actor: Actor | undefined, session: SessionDoc): boolean {
  if (!actor) return false;
  return (
    actor.role === 'admin' || (actor.role === 'streamer' && actor.shopId === String(session.shopId))
  );
}

export class Rehearsals {
  private readonly deps: LiveDeps;
  private readonly counters: LiveCounters;
  private readonly updates: RoomUpdates;
  private readonly locks: RedisLocks;

  constructor(deps: LiveDeps, counters: LiveCounters, updates: RoomUpdates) {
    this.deps = deps;
    this.counters = counters;
    this.updates = updates;
    this.locks = new RedisLocks(deps.redis, deps.keys);
  }

  private key(rehearsalId: string, ...rest: string[]) {
    // The {stock} tag: live-buy.lua touches these beside the offer's own keys.
    return this.deps.keys.key('{stock}', 'rehearsal', rehearsalId, ...rest);
  }

  /** Opens (or finds) the rehearsal of a scheduled session; answers its id. */
  async open(actor: Actor | undefined, input: SessionRef): Promise<{ rehearsalId: string }> {
    const session = await controlledSession(actor, input.sessionId);
    if (session.rehearsalOf) throw new Conflict('errors.alreadyRehearsal');
    if (session.status !== 'scheduled') throw new Conflict('errors.rehearseScheduledOnly');
    // Two tablets tapping 开始彩排 at once get the same rehearsal.
    return this.locks.hold(
      'rehearsal-open',
      input.sessionId,
      () => this.openOnce(session),
      'errors.tryAgain',
    );
  }

  private async openOnce(session: SessionDoc): Promise<{ rehearsalId: string }> {
    const existing = await LiveSessionModel.findOne(
      { rehearsalOf: session._id },
      { _id: 1 },
    ).lean();
    if (existing) return { rehearsalId: String(existing._id) };
    const now = new Date();
    const rehearsal = await LiveSessionModel.create({
      shopId: session.shopId,
      title: { zh: `【彩排】${session.title.zh}`, en: `[Rehearsal] ${session.title.en}` },
      scheduledAt: now,
      status: 'live',
      startedAt: now,
      streamUrl: session.streamUrl,
      rehearsalOf: session._id,
      offers: session.offers.map((o) => ({
        offerId: o.offerId,
        skuId: o.skuId,
        livePriceFen: o.livePriceFen,
        allotment: o.allotment,
        perBuyerLimit: o.perBuyerLimit,
        pinOrder: o.pinOrder,
        pinned: false,
      })),
    });
    const rehearsalId = String(rehearsal._id);
    await this.ensureStock(rehearsalId);
    await this.counters.syncWindows(rehearsalId);
    await this.expireOffers(rehearsal.toObject() as SessionDoc);
    return { rehearsalId };
  }

  /** A rehearsal's offer counters go by themselves a day on, should it never be ended. */
  private async expireOffers(session: SessionDoc) {
    const { stock, redis } = this.deps;
    const id = String(session._id);
    const pipeline = redis.pipeline();
    for (const offer of session.offers) {
      pipeline.expire(stock.offerKey(id, offer.offerId), KEEP_S);
      pipeline.expire(stock.offerKey(id, offer.offerId, 'buyers'), KEEP_S);
    }
    await pipeline.exec();
  }

  /**
   * A buy in a rehearsal room: decided by the same script as a real buy, against the offer's
   * counters and the rehearsal's pretend stock, and kept as a rehearsal order in Redis.
   */
  async buy(actor: Actor, session: SessionDoc, input: BuyInput) {
    const rehearsalId = String(session._id);
    const offer = offerOf(session, input.offerId);
    const orderNo = `RH${Date.now().toString().slice(-8)}${randomBytes(2).toString('hex')}`;
    await this.ensureStock(rehearsalId);
    const take = () =>
      this.deps.stock.buy(
        rehearsalId,
        input.offerId,
        actor.id,
        `${actor.id}:live-${input.clientKey}`,
        orderNo,
        String(offer.skuId),
        input.quantity,
        {
          stock: this.key(rehearsalId, 'stock'),
          inflight: this.key(rehearsalId, 'inflight'),
          placement: this.key(rehearsalId, 'placement', actor.id, input.clientKey),
        },
      );
    let outcome = await take();
    if (outcome.kind === 'missing_offer') {
      // Counters lost (a Redis wipe): made again from the session, if it was not ended meanwhile
      // (a late buy must not bring back a discarded rehearsal's keys).
      const fresh = await LiveSessionModel.findById(rehearsalId).lean();
      if (!fresh) throw new NotFound('errors.sessionNotFound');
      await this.counters.ensureCounters(fresh as SessionDoc);
      await this.expireOffers(fresh as SessionDoc);
      outcome = await take();
    }
    if (outcome.kind === 'duplicate') {
      const earlier = await this.order(rehearsalId, outcome.orderNo);
      if (!earlier) throw new Conflict('errors.tryAgain');
      return this.answer(earlier);
    }
    if (outcome.kind === 'closed') throw new Conflict('errors.offerClosed');
    if (outcome.kind === 'sold_out') throw new SoldOut('errors.rehearsalSoldOut');
    if (outcome.kind === 'limit')
      throw new Invalid(
        'errors.buyerLimit',
        [{ field: 'quantity', code: 'validation.buyerLimit' }],
        { left: outcome.left },
      );
    if (outcome.kind !== 'reserved') throw new Conflict('errors.tryAgain');
    const order: RehearsalOrder = {
      orderNo,
      buyerId: actor.id,
      offerId: input.offerId,
      quantity: input.quantity,
      totalFen: offer.livePriceFen * input.quantity,
      offerEpoch: outcome.offerEpoch,
      at: Date.now(),
    };
    await this.deps.redis
      .multi()
      .hset(this.key(rehearsalId, 'orders'), orderNo, JSON.stringify(order))
      .hdel(this.key(rehearsalId, 'inflight'), orderNo)
      .hincrby(this.key(rehearsalId, 'figures'), 'orders', 1)
      .hincrby(this.key(rehearsalId, 'figures'), 'unpaid', 1)
      .hincrby(this.key(rehearsalId, 'figures'), 'unpaidFen', order.totalFen)
      .expire(this.key(rehearsalId, 'orders'), KEEP_S)
      .expire(this.key(rehearsalId, 'figures'), KEEP_S)
      .exec();
    this.updates.markDirty(rehearsalId, {
      name: maskName(actor.displayName),
      quantity: input.quantity,
      offerId: input.offerId,
      at: Date.now(),
    });
    return this.answer(order);
  }

  /** The pretend stock a rehearsal sells from (made again if Redis lost it). */
  private async ensureStock(rehearsalId: string) {
    const key = this.key(rehearsalId, 'stock');
    await this.deps.redis
      .multi()
      .hsetnx(key, 'available', PRETEND_STOCK)
      .hsetnx(key, 'epoch', 'rehearsal')
      .expire(key, KEEP_S)
      .exec();
  }

  private answer(order: RehearsalOrder) {
    return {
      orderNo: order.orderNo,
      totalFen: order.totalFen,
      quantity: order.quantity,
      payBy: null,
      needsAddress: false,
      shipTo: null,
      rehearsal: true,
    };
  }

  private async order(rehearsalId: string, orderNo: string): Promise<RehearsalOrder | null> {
    const raw = await this.deps.redis.hget(this.key(rehearsalId, 'orders'), orderNo);
    return raw ? (JSON.parse(raw) as RehearsalOrder) : null;
  }

  /** A simulated buyer pays (pretend money: only the rehearsal's figures move). */
  async pretendPaid(rehearsalId: string, orderNo: string) {
    const order = await this.settleOnce(rehearsalId, orderNo, 'paid');
    if (!order) return;
    await this.deps.redis
      .multi()
      .hincrby(this.key(rehearsalId, 'figures'), 'unpaid', -1)
      .hincrby(this.key(rehearsalId, 'figures'), 'unpaidFen', -order.totalFen)
      .hincrby(this.key(rehearsalId, 'figures'), 'paid', 1)
      .hincrby(this.key(rehearsalId, 'figures'), 'paidFen', order.totalFen)
      .exec();
  }

  /** The unpaid order, the first time it is settled one way or the other; null after that. */
  private async settleOnce(rehearsalId: string, orderNo: string, how: 'paid' | 'lapsed') {
    const order = await this.order(rehearsalId, orderNo);
    if (!order) return null;
    const settled = this.key(rehearsalId, 'settled');
    const [[, first]] = (await this.deps.redis
      .multi()
      .hsetnx(settled, orderNo, how)
      .expire(settled, KEEP_S)
      .exec()) as [[Error | null, number], unknown];
    return first === 1 ? order : null;
  }

  /**
   * A simulated buyer never pays: the order lapses and its units go back to the offer, or to the
   * first on its waitlist as a hold, through the same script as a real order's.
   */
  async pretendLapsed(rehearsalId: string, orderNo: string) {
    const order = await this.settleOnce(rehearsalId, orderNo, 'lapsed');
    if (!order) return;
    await this.deps.redis
      .multi()
      .hincrby(this.key(rehearsalId, 'figures'), 'orders', -1)
      .hincrby(this.key(rehearsalId, 'figures'), 'unpaid', -1)
      .hincrby(this.key(rehearsalId, 'figures'), 'unpaidFen', -order.totalFen)
      .exec();
    await this.deps.stock.giveBack(
      rehearsalId,
      order.offerId,
      orderNo,
      order.buyerId,
      order.quantity,
      order.offerEpoch,
      this.key(rehearsalId, 'returned', orderNo),
    );
    this.updates.markDirty(rehearsalId);
  }

  /** Where the simulated crowd keeps its settings and its process's beat (rehearsal-crowd.ts). */
  readonly crowdState: CrowdRoom['state'] = {
    read: async (rehearsalId) => {
      const raw = await this.deps.redis.get(this.key(rehearsalId, 'crowd'));
      return raw ? (JSON.parse(raw) as CrowdState) : null;
    },
    write: async (rehearsalId, state, ttlS, onlyIfThere = false) => {
      const key = this.key(rehearsalId, 'crowd');
      if (onlyIfThere) await this.deps.redis.set(key, JSON.stringify(state), 'EX', ttlS, 'XX');
      else await this.deps.redis.set(key, JSON.stringify(state), 'EX', ttlS);
    },
    clear: async (rehearsalId) => {
      await this.deps.redis.del(this.key(rehearsalId, 'crowd'));
    },
  };

  /** The console's numbers, from the rehearsal's own figures. */
  async figures(rehearsalId: string) {
    const f = await this.deps.redis.hgetall(this.key(rehearsalId, 'figures'));
    const n = (k: string) => Number(f[k] ?? 0);
    return {
      orders: n('orders'),
      unpaid: { orders: n('unpaid'), fen: n('unpaidFen') },
      paid: { orders: n('paid'), fen: n('paidFen') },
      gmvFen: n('unpaidFen') + n('paidFen'),
    };
  }

  /** Ends the rehearsal: the session, its counters, orders, chat and figures are all discarded. */
  async discard(session: SessionDoc) {
    const rehearsalId = String(session._id);
    const { redis, keys } = this.deps;
    // Every key of a rehearsal is under one of these (ids are of one length: no other matches).
    for (const base of [
      keys.key('{stock}', 'live', rehearsalId),
      this.key(rehearsalId),
      keys.key('live', rehearsalId),
    ]) {
      let cursor = '0';
      do {
        const [next, found] = await redis.scan(cursor, 'MATCH', `${base}*`, 'COUNT', 500);
        // One key at a time: keys of different hash slots in one command fail on a cluster.
        if (found.length > 0) {
          const pipeline = redis.pipeline();
          for (const key of found) pipeline.unlink(key);
          await pipeline.exec();
        }
        cursor = next;
      } while (cursor !== '0');
    }
    await LiveSessionModel.deleteOne({ _id: session._id, rehearsalOf: { $exists: true } });
  }

  /** The rehearsal the console of a real session may reopen, if one is running. */
  async runningFor(sessionId: string): Promise<string | undefined> {
    const found = await LiveSessionModel.findOne({ rehearsalOf: sessionId }, { _id: 1 }).lean();
    return found ? String(found._id) : undefined;
  }

  /** A rehearsal's room and console are for the shop's own people; others find nothing. */
  assertVisible(actor: Actor | undefined, session: SessionDoc) {
    if (session.rehearsalOf && !isShopPerson(actor, session))
      throw new NotFound('errors.sessionNotFound');
  }
}
