// The buyer's side of a live room: the one-tap buy (the benchmarked hot path of a rush, see
// docs/buy-path.md) and joining a sold-out offer's waitlist.
import type { Actor } from '../accounts/actor.ts';
import { Conflict, NotFound, Unauthenticated } from '../core/errors.ts';
import { maskName } from '../core/masking.ts';
import { TtlCache } from '../core/ttl-cache.ts';
import { shipToOf } from '../orders/address.schema.ts';
import type { Placement, ReservationStep } from '../orders/order-service.ts';
import type { LiveCounters } from './live-counters.ts';
import type { BuyInput, OfferRef } from './live-input.ts';
import { findSession, offerOf, type LiveDeps, type SessionCache } from './live-sessions.ts';
import type { RoomUpdates } from './room-updates.ts';
import { isSimulatedBuyer } from './rehearsal-crowd.ts';
import { isShopPerson, type Rehearsals } from './rehearsals.ts';

export class LiveBuying {
  private readonly deps: LiveDeps;
  private readonly sessions: SessionCache;
  private readonly counters: LiveCounters;
  private readonly updates: RoomUpdates;
  private readonly rehearsals: Rehearsals;
  /** One rebuild of a session's counters at a time per process (after a Redis wipe). */
  private readonly rebuilds = new TtlCache<void>(500);

  constructor(
    deps: LiveDeps,
    sessions: SessionCache,
    counters: LiveCounters,
    updates: RoomUpdates,
    rehearsals: Rehearsals,
  ) {
    this.deps = deps;
    this.sessions = sessions;
    this.counters = counters;
    this.updates = updates;
    this.rehearsals = rehearsals;
  }

  /**
   * One tap (or one 扣1) in the live room. The reservation script decides everything, and it
   * looks at the buy's key first: a resend of a buy that succeeded gets its order back whatever
   * the counters say now. Sold-out answers never touch MongoDB.
   */
  async buy(actor: Actor | undefined, input: BuyInput, channel: 'live' | 'comment' = 'live') {
    if (!actor) throw new Unauthenticated('errors.signInToBuy');
    // Read through a one-second cache: in a rush every buyer asks about the same session.
    const session = await this.sessions.get(input.sessionId, () => findSession(input.sessionId));
    // A rehearsal's buys stay in its own namespace; only its shop and its crowd buy there.
    if (session.rehearsalOf) {
      if (!isShopPerson(actor, session) && !isSimulatedBuyer(actor.id))
        throw new NotFound('errors.sessionNotFound');
      return this.rehearsals.buy(actor, session, input);
    }
    const offer = offerOf(session, input.offerId);
    const placement: Placement = {
      idempotencyKey: `live-${input.clientKey}`,
      lines: [{ skuId: String(offer.skuId), quantity: input.quantity }],
      resend: input.resend === true,
    };
    const step: ReservationStep = {
      channel,
      unitPriceFen: offer.livePriceFen,
      live: { sessionId: input.sessionId, offerId: input.offerId },
      reserve: async (placementKey, orderNo, lines) => {
        const reserve = () =>
          this.deps.stock.buy(
            input.sessionId,
            input.offerId,
            actor.id,
            placementKey,
            orderNo,
            lines[0]!.skuId,
            lines[0]!.quantity,
          );
        let outcome = await reserve();
        if (outcome.kind === 'missing_offer') {
          // Counters lost (a Redis wipe): rebuild them from MongoDB, one rebuild per process.
          await this.rebuildCounters(input.sessionId);
          outcome = await reserve();
        }
        if (outcome.kind === 'closed' && session.status !== 'live')
          throw new Conflict('errors.sessionNotLive');
        return outcome;
      },
      // A first-time buyer has none yet: the order is placed anyway and asks for it.
      deliverTo: () => this.deps.addresses.defaultAddress(actor.id),
    };
    const order = await this.deps.orders.placeOrder(actor, placement, step);
    this.updates.markDirty(input.sessionId, {
      name: maskName(actor.displayName),
      quantity: input.quantity,
      offerId: input.offerId,
      at: Date.now(),
    });
    return {
      orderNo: order.orderNo,
      payBy: order.payBy,
      totalFen: order.totalFen,
      quantity: order.lines.reduce((sum, l) => sum + l.quantity, 0),
      needsAddress: !order.address,
      // Where it goes, as the buyer may check it at a glance (and change it in the room).
      shipTo: shipToOf(order.address),
    };
  }

  /** Recreates a session's offer counters from MongoDB; concurrent callers share one rebuild. */
  private rebuildCounters(sessionId: string): Promise<void> {
    return this.rebuilds.get(sessionId, async () => {
      await this.counters.ensureCounters(await findSession(sessionId));
    });
  }

  async joinWaitlist(actor: Actor | undefined, input: OfferRef) {
    if (!actor) throw new Unauthenticated('errors.signInToBuy');
    const { sessionId, offerId } = input;
    const session = await findSession(sessionId);
    if (session.rehearsalOf && !isShopPerson(actor, session) && !isSimulatedBuyer(actor.id))
      throw new NotFound('errors.sessionNotFound');
    offerOf(session, offerId);
    await this.counters.ensureCounters(session);
    return { position: await this.deps.stock.joinWaitlist(sessionId, offerId, actor.id) };
  }
}
