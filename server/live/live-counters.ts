// A session's offer counters in Redis, kept in step with MongoDB: created when missing, windows
// opened and closed, and units that come back (returns, expired holds) passed down the waitlist.
import { liveSessionOrders, STOCK_HOLDING_STATUSES, type Order } from '../orders/order-reads.ts';
import { LiveSessionModel } from './live-session.model.ts';
import type { LiveDeps, SessionCache, SessionDoc } from './live-sessions.ts';
import { HOLD_SECONDS } from './live-stock.ts';
import type { RoomUpdates } from './room-updates.ts';
import { rooms } from '../core/rooms.ts';

export const HOLD_EXPIRE_JOB = 'expire-hold';
/** The queue waitlist holds wait in until they lapse (workers/live-holds.ts consumes it). */
export const LIVE_HOLDS_QUEUE = 'live-holds';
const HOLDING = STOCK_HOLDING_STATUSES;

export class LiveCounters {
  private readonly deps: LiveDeps;
  private readonly sessions: SessionCache;
  private readonly updates: RoomUpdates;

  constructor(deps: LiveDeps, sessions: SessionCache, updates: RoomUpdates) {
    this.deps = deps;
    this.sessions = sessions;
    this.updates = updates;
  }

  /**
   * Creates the Redis counters of every offer from MongoDB when they are missing, with the
   * placement keys of the orders already placed, so a resend still finds its order.
   */
  async ensureCounters(session: SessionDoc) {
    const sessionId = String(session._id);
    let created = false;
    for (const offer of session.offers) {
      if (await this.deps.stock.exists(sessionId, offer.offerId)) continue;
      const orders = await liveSessionOrders(
        session._id,
        ['buyerId', 'lines', 'orderNo', 'idempotencyKey'],
        { offerId: offer.offerId, statuses: HOLDING },
      );
      const buyers = new Map<string, number>();
      let sold = 0;
      for (const o of orders) {
        const qty = o.lines.reduce((s, l) => s + l.quantity, 0);
        sold += qty;
        buyers.set(String(o.buyerId), (buyers.get(String(o.buyerId)) ?? 0) + qty);
      }
      const made = await this.deps.stock.create(
        sessionId,
        offer.offerId,
        offer.allotment,
        sold,
        offer.perBuyerLimit,
        buyers,
      );
      if (made) await this.deps.stock.rememberPlacements(orders);
      created = true;
    }
    // The SKU counters too, before the first buy: a rush must not find them missing at once.
    if (created)
      await this.deps.stock.ensureSkuCounters(session.offers.map((o) => String(o.skuId)));
    if (created) await this.syncWindows(sessionId);
  }

  /** Open or close each offer in Redis to match the session in MongoDB. */
  async syncWindows(sessionId: string) {
    this.sessions.forget(sessionId);
    const session = (await LiveSessionModel.findById(sessionId).lean()) as SessionDoc;
    await this.ensureCountersExist(session);
    for (const offer of session.offers) {
      const open = session.status === 'live' && offer.pinned;
      const opensAt = offer.flashStartsAt?.getTime();
      const closesAt =
        opensAt && offer.flashDurationS ? opensAt + offer.flashDurationS * 1000 : undefined;
      await this.deps.stock.setWindow(
        sessionId,
        offer.offerId,
        open ? 'open' : 'closed',
        opensAt,
        closesAt,
      );
      await this.deps.stock.setLimit(sessionId, offer.offerId, offer.perBuyerLimit);
    }
  }

  async ensureCountersExist(session: SessionDoc) {
    for (const offer of session.offers) {
      if (!(await this.deps.stock.exists(String(session._id), offer.offerId)))
        return this.ensureCounters(session);
    }
  }

  /** Called by the order core when a live order's units come back (expired, cancelled). */
  async unitsReturned(order: Order) {
    if (!order.live?.sessionId || !order.live.offerId) return;
    const sessionId = String(order.live.sessionId);
    const quantity = order.lines.reduce((s, l) => s + l.quantity, 0);
    const { heldFor } = await this.deps.stock.giveBack(
      sessionId,
      order.live.offerId,
      order.orderNo,
      String(order.buyerId),
      quantity,
      order.live.epoch ?? '',
    );
    if (heldFor) await this.offerHold(sessionId, order.live.offerId, heldFor, quantity);
    this.updates.markDirty(sessionId);
  }

  async expireHold(sessionId: string, offerId: string, buyerId: string) {
    const { heldFor } = await this.deps.stock.expireHold(sessionId, offerId, buyerId);
    if (heldFor)
      await this.offerHold(
        sessionId,
        offerId,
        heldFor,
        await this.deps.stock.hold(sessionId, offerId, heldFor),
      );
    this.updates.markDirty(sessionId);
  }

  private async offerHold(sessionId: string, offerId: string, buyerId: string, quantity: number) {
    const until = Date.now() + HOLD_SECONDS * 1000;
    this.deps.realtime.toRoom(rooms.user(buyerId), 'live:waitlist-offer', {
      sessionId,
      offerId,
      quantity,
      until,
    });
    await this.deps.holdQueue.add(
      HOLD_EXPIRE_JOB,
      { sessionId, offerId, buyerId },
      {
        delay: HOLD_SECONDS * 1000,
        jobId: `hold-${sessionId}-${offerId}-${buyerId}-${until}`,
        removeOnComplete: 1000,
      },
    );
  }
}
