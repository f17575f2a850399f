// The order core: one placeOrder() for checkout, the live room and comment-to-order, with its one
// undo path. The rest of an order's life is delegated to the modules beside this one.
import type { Queue } from 'bullmq';
import { Types } from 'mongoose';
import type { Actor } from '../accounts/actor.ts';
import {
  type AppError,
  Conflict,
  Invalid,
  SoldOut,
  Unauthenticated,
  Unavailable,
} from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';
import { TtlCache } from '../core/ttl-cache.ts';
import {
  existingMovements,
  movementIds,
  recordMovements,
  reservedInLedger,
  theHubId,
} from '../stock/stock-ledger.ts';
import type { ReservedLine, StockReservations } from '../stock/stock-reservations.ts';
import type { Address } from './address.schema.ts';
import {
  buildOrderDocument,
  loadCatalogue,
  type PlacedFacts,
  type PlacementCatalogue,
} from './order-document.ts';
import type { OrderEvents } from './order-events.ts';
import type { OrderNumbers } from './order-numbers.ts';
import { OrderModel, type Order, type OrderStatus } from './order.model.ts';
import { buyerOrders, orderVisibleTo, recentShopOrders } from './order-queries.ts';
import { releaseOrderStock } from './order-stock.ts';
import type { OrderStateMachine } from './order-states.ts';
import { EXPIRE_JOB, OrderWriter, type PendingWrite } from './order-writer.ts';
import { mergeLines, type Placement, type ReservationStep, type StepOutcome } from './placement.ts';
import { note } from './timeline.ts';
import { UnpaidOrders } from './unpaid-orders.ts';

export type { OrderEvents, Placement, ReservationStep, StepOutcome };

export interface OrderServiceDeps {
  stock: StockReservations;
  numbers: OrderNumbers;
  states: OrderStateMachine;
  expiryQueue: Queue;
  events: OrderEvents;
  logger: Logger;
  payTimeoutMs: number;
  /** Group commit of placed orders (see order-writer.ts). */
  writeBatch?: { maxBatch: number; maxWaitMs: number; maxFlushes: number };
  /** Set by the live domain: units of a live order go back to its offer (or its waitlist). */
  onLiveUnitsReturned?: (order: Order) => Promise<void>;
  /** Told the numbers of newly placed orders, once durable (placements are not order events). */
  onOrdersPlaced?: (orderNos: string[]) => void;
}

export { EXPIRE_JOB };

const NUMBER_TRIES = 3;
/** How long a repeat waits for another process to finish writing its order: 10 s at most. */
const AWAIT_POLLS = 400;
const AWAIT_POLL_MS = 25;
/** Placements answered moments ago are kept this long for a phone's resend. */
const RECENT_PLACEMENTS_MS = 60_000;

export class OrderService {
  private readonly deps: OrderServiceDeps;
  private readonly writer: OrderWriter;
  // What an order is made of changes rarely; a rush reads it thousands of times a second.
  private readonly catalogue = new TtlCache<PlacementCatalogue>(2000, 1000, {
    staleWhileRevalidate: true,
  });
  /** Placements in flight in this process, and those answered in the last minute. */
  private readonly placements = new TtlCache<Order>(RECENT_PLACEMENTS_MS, 5000);
  /** Checkout's step: the SKU counters alone, at the shop's price. */
  readonly checkout: ReservationStep;
  /** Unpaid orders: the address, the coupon's discount, cancelling, expiring. */
  readonly unpaid: UnpaidOrders;

  constructor(deps: OrderServiceDeps) {
    this.deps = deps;
    this.writer = new OrderWriter({
      stock: deps.stock,
      expiryQueue: deps.expiryQueue,
      logger: deps.logger,
      ...(deps.writeBatch ?? { maxBatch: 200, maxWaitMs: 5, maxFlushes: 2 }),
      ...(deps.onOrdersPlaced ? { onWritten: deps.onOrdersPlaced } : {}),
    });
    this.checkout = {
      channel: 'storefront',
      reserve: (key, orderNo, lines) => deps.stock.reserve(key, orderNo, lines),
    };
    this.unpaid = new UnpaidOrders({
      states: deps.states,
      events: deps.events,
      logger: deps.logger,
      releaseStock: (order) => this.releaseStock(order),
    });
  }

  /**
   * Reserves stock atomically in Redis, writes the order durably in MongoDB (group-committed
   * with other placements) and only then answers. The same idempotency key always yields the
   * same order.
   */
  async placeOrder(
    actor: Actor | undefined,
    placement: Placement,
    step: ReservationStep = this.checkout,
  ): Promise<Order> {
    if (!actor) throw new Unauthenticated();
    const idempotencyKey = `${actor.id}:${placement.idempotencyKey}`;
    // A copy of a placement that this process is placing (or placed moments ago) shares its
    // answer: a phone's resend costs neither a script nor a MongoDB read.
    return this.placements.get(idempotencyKey, () =>
      this.place(actor, idempotencyKey, placement, step),
    );
  }

  private async place(
    actor: Actor,
    idempotencyKey: string,
    placement: Placement,
    step: ReservationStep,
  ): Promise<Order> {
    const lines = mergeLines(placement.lines);
    const catalogue = await this.catalogue.get(
      lines
        .map((l) => l.skuId)
        .sort()
        .join(','),
      () => loadCatalogue(lines.map((l) => l.skuId)),
    );
    const hubId = await theHubId();
    const refused = async (error: AppError): Promise<Order> => {
      const placed = placement.resend
        ? await OrderModel.findOne({ idempotencyKey }).lean()
        : undefined;
      if (placed) return placed;
      throw error;
    };

    for (let attempt = 1; ; attempt++) {
      const orderNo = await this.deps.numbers.next();
      // No look-up of the key first: the reservation script recognises a repeat (and, if Redis
      // lost it, the unique index does), which spares every buy in a rush a MongoDB query.
      const outcome = await step.reserve(idempotencyKey, orderNo, lines);
      if (outcome.kind === 'duplicate') return this.awaitOrder(idempotencyKey, outcome.orderNo);
      if (outcome.kind === 'sold_out') {
        const sku = catalogue.skus.find((s) => String(s._id) === outcome.skuId)!;
        return refused(
          new SoldOut('errors.soldOut', { sku: sku.code, available: outcome.available }),
        );
      }
      if (outcome.kind === 'closed') return refused(new Conflict('errors.offerClosed'));
      if (outcome.kind === 'missing_offer') return refused(new Conflict('errors.tryAgain'));
      if (outcome.kind === 'limit')
        return refused(
          new Invalid('errors.buyerLimit', [{ field: 'quantity', code: 'validation.buyerLimit' }], {
            left: outcome.left,
          }),
        );

      const reserved = outcome.lines;
      let write: PendingWrite;
      try {
        const address = placement.address ?? (await step.deliverTo?.());
        write = await this.orderDocument(actor, placement, step, catalogue, {
          orderNo,
          idempotencyKey,
          hubId,
          reserved,
          address,
          offerEpoch: outcome.offerEpoch,
        });
      } catch (error) {
        await this.undoPlacement(orderNo, reserved, { inLedger: [] });
        throw error;
      }

      const result = await this.writer.write(write);
      if (result.kind === 'written') {
        const order = write.order as unknown as Order;
        // Not waited for: the buyer's answer does not depend on it (see OrderStateMachine.begin).
        this.deps.states.begin(orderNo).catch((error: unknown) => {
          this.deps.logger.warn({ err: error, orderNo }, 'order state not noted in Redis');
        });
        if (result.stale.length > 0)
          await this.reconfirm(order, idempotencyKey, result.stale, step);
        this.deps.events.orderChanged(order);
        return order;
      }
      if (result.kind === 'duplicate') {
        await this.undoPlacement(orderNo, reserved, { inLedger: result.inLedger, keepKey: true });
        return this.awaitOrder(idempotencyKey);
      }
      if (result.kind === 'number_taken' && attempt < NUMBER_TRIES) {
        // Another order has this number (8 random digits a day): try again with a new one.
        await this.undoPlacement(orderNo, reserved, { inLedger: result.inLedger });
        continue;
      }
      const error = result.kind === 'failed' ? result.error : new Error('order number taken');
      // The write may have landed after all (a lost connection): then the order stands.
      const landed = await OrderModel.findOne({ orderNo }).lean();
      if (landed) {
        await this.deps.stock.settle([{ orderNo, lines: reserved }]);
        this.deps.events.orderChanged(landed);
        return landed;
      }
      await this.undoPlacement(orderNo, reserved, {
        inLedger: result.kind === 'failed' ? result.inLedger : 'unknown',
      });
      this.deps.logger.error({ err: error, orderNo }, 'order write failed; reservation released');
      throw new Unavailable('errors.orderNotSaved');
    }
  }

  /** The order document and its ledger movements, validated before it joins a write batch. */
  private orderDocument(
    actor: Actor,
    placement: Placement,
    step: ReservationStep,
    catalogue: PlacementCatalogue,
    w: PlacedFacts,
  ): Promise<PendingWrite> {
    return buildOrderDocument(
      actor,
      placement,
      step,
      catalogue,
      w,
      step.payTimeoutMs ?? this.deps.payTimeoutMs,
    );
  }

  /**
   * The one undo path of a placement whose order was not written: give back in the ledger what
   * reached it (`inLedger`: the SKUs whose reservation did, or 'unknown' to look), then let the
   * reservation's own compensation give the Redis units back.
   */
  private async undoPlacement(
    orderNo: string,
    reserved: ReservedLine[],
    { inLedger, keepKey = false }: { inLedger: string[] | 'unknown'; keepKey?: boolean },
  ): Promise<void> {
    const found =
      inLedger === 'unknown'
        ? await reservedInLedger(reserved.map((l) => ({ orderNo, skuId: l.skuId })))
        : new Set(inLedger.map((skuId) => `${orderNo}:${skuId}`));
    const written = reserved.filter((l) => found.has(`${orderNo}:${l.skuId}`));
    if (written.length > 0) {
      const hubId = await theHubId();
      const { failed } = await recordMovements(
        written.map((l) => ({
          movementId: movementIds.abandon(orderNo, l.skuId),
          skuId: new Types.ObjectId(l.skuId),
          hubId,
          kind: 'released' as const,
          delta: l.quantity,
          reason: `order ${orderNo} not saved`,
        })),
      );
      // Units stay held (under-selling) until the ledger can say they are free again.
      if (failed.size > 0) throw new Unavailable('errors.orderNotSaved');
    }
    await this.deps.stock.abandon(orderNo, keepKey);
  }

  /** Expires an unpaid order whose pay-by time has passed and gives its stock back. */
  expireOrder(orderNo: string, now = new Date()): Promise<'expired' | 'not_due' | OrderStatus> {
    return this.unpaid.expire(orderNo, now);
  }

  /** The buyer (or an admin) cancels an unpaid order. */
  cancelUnpaidOrder(actor: Actor | undefined, orderNo: string): Promise<Order> {
    return this.unpaid.cancel(actor, orderNo);
  }

  /** Orders past their pay-by time that were never expired (a lost job, a Redis wipe). */
  sweepOverdue(now = new Date()): Promise<number> {
    return this.unpaid.sweepOverdue(now);
  }

  /** Waits for every placement in a write batch to be answered (graceful shutdown). */
  drain(): Promise<void> {
    return this.writer.drain();
  }

  /**
   * Gives back the units of placements whose process died before writing their order (its
   * lease ran out); placements whose order did land keep them. Returns how many came back.
   */
  reapAbandonedPlacements(): Promise<number> {
    return this.deps.stock.reapDeadOwners(async (orderNos) => {
      const written = await OrderModel.find({ orderNo: { $in: orderNos } }, { orderNo: 1 }).lean();
      return new Set(written.map((o) => o.orderNo));
    });
  }

  /** Gives an unpaid order its delivery address, until the order is paid. */
  setAddress(actor: Actor | undefined, orderNo: string, address: Address): Promise<Order> {
    return this.unpaid.setAddress(actor, orderNo, address);
  }

  getOrder(actor: Actor | undefined, orderNo: string): Promise<Order> {
    return orderVisibleTo(actor, orderNo);
  }

  /** A shop's recent orders with the paid/unpaid split, for the streamer and their assistant. */
  shopOrders(actor: Actor | undefined) {
    return recentShopOrders(actor);
  }

  listBuyerOrders(actor: Actor | undefined): Promise<Order[]> {
    return buyerOrders(actor);
  }

  /** Gives an order's units back: ledger first, then the live counter (once per order). */
  releaseStock(order: Order): Promise<void> {
    return releaseOrderStock(order, this.deps);
  }

  /**
   * A written order whose units are no longer counted in Redis: the counter was rebuilt from the
   * ledger while we wrote (after a Redis wipe), or this process's lease ran out and the reaper
   * gave the placement up. Take the units again before the buyer is told, or cancel the order.
   */
  private async reconfirm(
    order: Order,
    idempotencyKey: string,
    stale: ReservedLine[],
    step: ReservationStep,
  ) {
    // Did the reaper also give our ledger reservation back? Then take it again in the ledger.
    const released = await existingMovements(
      stale.map((l) => movementIds.abandon(order.orderNo, l.skuId)),
    );
    // Through the same step: a live order must fit its offer's rebuilt allotment too.
    const again = await step
      .reserve(`${idempotencyKey}:rebuilt`, order.orderNo, stale)
      .catch((): StepOutcome => ({ kind: 'closed' }));
    if (again.kind === 'reserved') {
      if (released.size > 0) {
        const hubId = await theHubId();
        const { failed } = await recordMovements(
          again.lines.map((l) => ({
            movementId: movementIds.reconfirm(order.orderNo, l.skuId),
            skuId: new Types.ObjectId(l.skuId),
            hubId,
            kind: 'reserved' as const,
            delta: -l.quantity,
            reason: `order ${order.orderNo} reconfirmed`,
          })),
        );
        if (failed.size > 0) throw [...failed.values()][0]!;
      }
      await this.deps.stock.settle([{ orderNo: order.orderNo, lines: again.lines }]);
      // The order keeps the epoch it was written with: a later release under it is ignored by
      // the new counter (under-selling until the next resync, never overselling). No update.
      return;
    }
    // Not enough stock in the rebuilt counter: the order never reached the buyer; cancel it.
    const result = await this.deps.states.transition(
      order.orderNo,
      'pending_payment',
      'cancelled',
      { kind: 'system', id: 'stock-rebuild' },
      note('stockRebuilt'),
    );
    // Units the reaper already released (ledger and counter) are not released twice.
    if (result.won && released.size === 0) await this.releaseStock(result.order);
    throw new SoldOut('errors.soldOut', {});
  }

  /**
   * The order of a key that was placed before. Redis told us its number, or the unique index
   * found it. Another process may still be writing it: its reservation stays in that process's
   * in-flight record until the order is durable (a write batch takes milliseconds to a few
   * seconds), so that record is watched in Redis and MongoDB is read once, afterwards. FerretDB
   * answers a look-up by field with a scan of the collection, so a rush must not poll it.
   */
  private async awaitOrder(idempotencyKey: string, orderNo?: string): Promise<Order> {
    if (orderNo)
      for (let i = 0; i < AWAIT_POLLS && (await this.deps.stock.inFlight(orderNo)); i++)
        await new Promise((r) => setTimeout(r, AWAIT_POLL_MS));
    for (let i = 0; i < 3; i++) {
      const order = await OrderModel.findOne(orderNo ? { orderNo } : { idempotencyKey }).lean();
      if (order && order.idempotencyKey === idempotencyKey) return order;
      await new Promise((r) => setTimeout(r, 200));
    }
    // Not written (its placement failed and gave its units back): the phone may try again.
    throw new Unavailable('errors.orderInProgress');
  }
}
