// The order core: one placeOrder() for checkout, the live room and comment-to-order.
import type { Queue } from 'bullmq';
import { Types } from 'mongoose';
import type { Actor } from '../accounts/actor.ts';
import { ProductModel } from '../catalogue/product.model.ts';
import { ShopModel } from '../catalogue/shop.model.ts';
import { SkuModel } from '../catalogue/sku.model.ts';
import {
  type AppError,
  Conflict,
  Invalid,
  NotFound,
  Forbidden,
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
import type {
  ReserveOutcome,
  ReservedLine,
  StockLine,
  StockReservations,
} from '../stock/stock-reservations.ts';
import type { Address } from './address.schema.ts';
import type { OrderNumbers } from './order-numbers.ts';
import {
  OrderModel,
  PAID_STATUSES,
  type Order,
  type OrderChannel,
  type OrderStatus,
} from './order.model.ts';
import type { OrderStateMachine, TransitionActor } from './order-states.ts';
import { EXPIRE_JOB, OrderWriter, type PendingWrite } from './order-writer.ts';
import { note } from './timeline.ts';

export interface OrderEvents {
  /** Tell the buyer's open pages (and the shop's console) that the order changed. */
  orderChanged(order: Order): void;
}

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
}

export { EXPIRE_JOB };

/** What a buyer asks for, validated at the edge (the route or the socket dispatcher). */
export interface Placement {
  /** Made once per tap or checkout page; the same key is always the same order. */
  idempotencyKey: string;
  lines: StockLine[];
  /** Checkout names its address; a live buy leaves it to its reservation step. */
  address?: Address;
  preferredCourier?: string;
  /**
   * The phone sent this placement before and lost the answer (a reconnect). If its step refuses
   * it, MongoDB is asked whether the first copy was placed after all: Redis may have forgotten
   * the key in between (a wipe), and a placed order must never be answered "sold out".
   */
  resend?: boolean;
}

export type StepOutcome =
  /** A live step also says which epoch of its offer the units came from. */
  | { kind: 'reserved'; lines: ReservedLine[]; offerEpoch?: string }
  | Exclude<ReserveOutcome, { kind: 'reserved' }>
  | { kind: 'closed' }
  | { kind: 'limit'; left: number }
  | { kind: 'missing_offer' };

/**
 * How a placement takes its units. The step's script records its own compensation beside the
 * reservation (server/stock/abandon-placement.lua), so placeOrder has one undo path for all.
 */
export interface ReservationStep {
  channel: OrderChannel;
  reserve(placementKey: string, orderNo: string, lines: StockLine[]): Promise<StepOutcome>;
  /** The live price, where the step sells at one. */
  unitPriceFen?: number;
  live?: { sessionId: string; offerId: string };
  /**
   * Where a live buy is delivered: read once units are won. Undefined for a buyer who has no
   * address yet: the order is placed without one and the buyer gives it before paying.
   */
  deliverTo?(): Promise<Address | undefined>;
}

const PAID = new Set<OrderStatus>(PAID_STATUSES);
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
  private readonly catalogue = new TtlCache<Awaited<ReturnType<typeof loadCatalogue>>>(2000, 1000, {
    staleWhileRevalidate: true,
  });
  /** Placements in flight in this process, and those answered in the last minute. */
  private readonly placements = new TtlCache<Order>(RECENT_PLACEMENTS_MS, 5000);
  /** Checkout's step: the SKU counters alone, at the shop's price. */
  readonly checkout: ReservationStep;

  constructor(deps: OrderServiceDeps) {
    this.deps = deps;
    this.writer = new OrderWriter({
      stock: deps.stock,
      expiryQueue: deps.expiryQueue,
      logger: deps.logger,
      ...(deps.writeBatch ?? { maxBatch: 200, maxWaitMs: 5, maxFlushes: 2 }),
    });
    this.checkout = {
      channel: 'storefront',
      reserve: (key, orderNo, lines) => deps.stock.reserve(key, orderNo, lines),
    };
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
  private async orderDocument(
    actor: Actor,
    placement: Placement,
    step: ReservationStep,
    { skus, products, shop }: Awaited<ReturnType<typeof loadCatalogue>>,
    w: {
      orderNo: string;
      idempotencyKey: string;
      hubId: Types.ObjectId;
      reserved: ReservedLine[];
      address: Address | undefined;
      offerEpoch: string | undefined;
    },
  ): Promise<PendingWrite> {
    const now = new Date();
    const payBy = new Date(now.getTime() + this.deps.payTimeoutMs);
    const orderLines = w.reserved.map((line) => {
      const sku = skus.find((s) => String(s._id) === line.skuId)!;
      const product = products.find((p) => String(p._id) === String(sku.productId))!;
      const unitPriceFen = step.unitPriceFen ?? sku.priceFen;
      return {
        skuId: sku._id,
        skuCode: sku.code,
        productId: product._id,
        productSlug: product.slug,
        title: product.title,
        spec: sku.spec,
        photo: product.photos[0],
        unitPriceFen,
        quantity: line.quantity,
        lineTotalFen: unitPriceFen * line.quantity,
        weightGrams: sku.weightGrams,
        stockEpoch: line.epoch,
      };
    });
    const itemsTotalFen = orderLines.reduce((sum, l) => sum + l.lineTotalFen, 0);
    // The document as Mongoose would cast it (test/orders/order-document.test.ts holds the two
    // together), built by hand: casting and validating through a Mongoose document costs about
    // 0.3 ms of the event loop per order, which a rush of thousands pays in its tail latency.
    const order = {
      _id: new Types.ObjectId(),
      orderNo: w.orderNo,
      idempotencyKey: w.idempotencyKey,
      buyerId: new Types.ObjectId(actor.id),
      shopId: shop._id,
      channel: step.channel,
      ...(step.live
        ? {
            live: {
              sessionId: new Types.ObjectId(step.live.sessionId),
              offerId: step.live.offerId,
              epoch: w.offerEpoch ?? '',
            },
          }
        : {}),
      lines: orderLines,
      itemsTotalFen,
      shippingFen: 0,
      totalFen: itemsTotalFen,
      currency: 'CNY',
      ...(w.address
        ? {
            address: {
              ...w.address,
              township: w.address.township ?? '',
              village: w.address.village ?? '',
            },
          }
        : {}),
      ...(placement.preferredCourier ? { preferredCourier: placement.preferredCourier } : {}),
      status: 'pending_payment',
      payBy,
      stockRound: 1,
      timeline: [
        {
          at: now,
          from: null,
          to: 'pending_payment',
          actor: `buyer:${actor.id}`,
          reason: 'timeline.placed',
          params: { channel: step.channel },
        },
      ],
      createdAt: now,
      updatedAt: now,
    };
    // Everything in it was checked before (the edge's schemas, the catalogue, the address book,
    // which saves through Mongoose) except an address typed at checkout, which Mongoose checks
    // here against the stored schema's own limits.
    if (placement.address) {
      try {
        await OrderModel.validate(order, ['address']);
      } catch (error) {
        const fields = Object.keys((error as { errors?: object }).errors ?? { address: 1 });
        throw new Invalid(
          'errors.invalid',
          fields.map((field) => ({ field, code: 'validation.invalid' })),
        );
      }
    }
    return {
      orderNo: w.orderNo,
      idempotencyKey: w.idempotencyKey,
      payBy,
      hubId: w.hubId,
      order,
      reserved: w.reserved,
    };
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

  async scheduleExpiry(order: Pick<Order, 'orderNo' | 'payBy'>): Promise<void> {
    try {
      await this.deps.expiryQueue.add(
        EXPIRE_JOB,
        { orderNo: order.orderNo },
        {
          jobId: `expire-${order.orderNo}`,
          delay: Math.max(0, order.payBy.getTime() - Date.now()),
          removeOnComplete: 1000,
        },
      );
    } catch (error) {
      // The order is durable; the periodic sweep expires it if this job never arrives.
      this.deps.logger.warn(
        { err: error, orderNo: order.orderNo },
        'could not schedule expiry; the sweep will',
      );
    }
  }

  /** Expires an unpaid order whose pay-by time has passed and gives its stock back. */
  async expireOrder(
    orderNo: string,
    now = new Date(),
  ): Promise<'expired' | 'not_due' | OrderStatus> {
    const order = await OrderModel.findOne({ orderNo }).lean();
    if (!order) return 'not_due';
    if (order.status === 'expired') {
      // A retry after a failure between the status change and the release: finish the release
      // (it counts once however often it runs).
      await this.releaseStock(order);
      return 'expired';
    }
    if (order.status !== 'pending_payment') return order.status;
    if (order.payBy > now) return 'not_due';
    const result = await this.deps.states.transition(
      orderNo,
      'pending_payment',
      'expired',
      { kind: 'system', id: 'order-expiry' },
      note('notPaidInTime'),
    );
    if (!result.won) return result.current;
    await this.releaseStock(result.order);
    this.deps.events.orderChanged(result.order);
    return 'expired';
  }

  /** The buyer (or an admin) cancels an unpaid order. */
  async cancelUnpaidOrder(actor: Actor | undefined, orderNo: string): Promise<Order> {
    const order = await this.getOrder(actor, orderNo);
    assertBuyerOrAdmin(actor!, order);
    if (order.status !== 'pending_payment')
      throw new Conflict('errors.cannotCancel', { status: order.status });
    const who: TransitionActor = {
      kind: actor!.role === 'admin' ? 'admin' : 'buyer',
      id: actor!.id,
    };
    const result = await this.deps.states.transition(
      orderNo,
      'pending_payment',
      'cancelled',
      who,
      note('cancelledByBuyer'),
    );
    if (!result.won) throw new Conflict('errors.cannotCancel', { status: result.current });
    await this.releaseStock(result.order);
    this.deps.events.orderChanged(result.order);
    return result.order;
  }

  /** Orders past their pay-by time that were never expired (a lost job, a Redis wipe). */
  async sweepOverdue(now = new Date()): Promise<number> {
    const overdue = await OrderModel.find(
      { status: 'pending_payment', payBy: { $lt: now } },
      { orderNo: 1 },
    )
      .limit(500)
      .lean();
    let expired = 0;
    for (const { orderNo } of overdue)
      if ((await this.expireOrder(orderNo, now)) === 'expired') expired++;
    return expired;
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

  /**
   * Gives an unpaid order its delivery address: a first-time buyer's live buy is placed without
   * one (the units are held as for any unpaid order), and the buyer adds it before paying. It
   * can be corrected until the order is paid.
   */
  async setAddress(actor: Actor | undefined, orderNo: string, address: Address): Promise<Order> {
    const order = await this.getOrder(actor, orderNo);
    if (String(order.buyerId) !== actor!.id) throw new NotFound('errors.orderNotFound');
    if (order.status !== 'pending_payment')
      throw new Conflict('errors.addressTooLate', { status: order.status });
    let updated: Order | null;
    try {
      updated = await OrderModel.findOneAndUpdate(
        { orderNo: order.orderNo, status: 'pending_payment' },
        { $set: { address } },
        { returnDocument: 'after', runValidators: true },
      ).lean();
    } catch (error) {
      const fields = Object.keys((error as { errors?: object }).errors ?? { address: 1 });
      throw new Invalid(
        'errors.invalid',
        fields.map((field) => ({
          field: field.replace(/^address\./, ''),
          code: 'validation.invalid',
        })),
      );
    }
    if (!updated) throw new Conflict('errors.addressTooLate', { status: 'closed' });
    this.deps.events.orderChanged(updated);
    return updated;
  }

  async getOrder(actor: Actor | undefined, orderNo: string): Promise<Order> {
    if (!actor) throw new Unauthenticated();
    if (typeof orderNo !== 'string' || !/^CB[0-9]{14}$/.test(orderNo))
      throw new NotFound('errors.orderNotFound');
    const order = await OrderModel.findOne({ orderNo }).lean();
    if (!order) throw new NotFound('errors.orderNotFound');
    const mine =
      actor.role === 'admin' ||
      String(order.buyerId) === actor.id ||
      (actor.role === 'streamer' && actor.shopId === String(order.shopId));
    // Someone else's order looks exactly like a missing one.
    if (!mine) throw new NotFound('errors.orderNotFound');
    return order;
  }

  /** A shop's recent orders with the paid/unpaid split, for the streamer and their assistant. */
  async shopOrders(actor: Actor | undefined) {
    if (!actor) throw new Unauthenticated();
    if (actor.role !== 'streamer' || !actor.shopId) throw new Forbidden();
    const orders = await OrderModel.find({ shopId: actor.shopId })
      .sort({ createdAt: -1 })
      .limit(200)
      .lean();
    const unpaid = orders.filter((o) => o.status === 'pending_payment');
    const paid = orders.filter((o) => PAID.has(o.status));
    return {
      orders,
      unpaid: { count: unpaid.length, fen: unpaid.reduce((s, o) => s + o.totalFen, 0) },
      paid: { count: paid.length, fen: paid.reduce((s, o) => s + o.totalFen, 0) },
    };
  }

  async listBuyerOrders(actor: Actor | undefined): Promise<Order[]> {
    if (!actor) throw new Unauthenticated();
    return OrderModel.find({ buyerId: actor.id }).sort({ createdAt: -1 }).limit(100).lean();
  }

  /** Gives an order's units back: ledger first, then the live counter (once per order). */
  async releaseStock(order: Order): Promise<void> {
    const hubId = await theHubId();
    // Each reservation round (the order, then a late payment's re-reservation) is released once.
    const round = order.stockRound && order.stockRound > 1 ? `:r${order.stockRound}` : '';
    const lines = order.lines.map((l) => ({
      skuId: String(l.skuId),
      quantity: l.quantity,
      epoch: l.stockEpoch,
    }));
    const { failed } = await recordMovements(
      lines.map((line) => ({
        movementId: movementIds.release(order.orderNo, line.skuId, round),
        skuId: new Types.ObjectId(line.skuId),
        hubId,
        kind: 'released' as const,
        delta: line.quantity,
        reason: `order ${order.orderNo} ${order.status}`,
      })),
    );
    if (failed.size > 0) throw [...failed.values()][0]!;
    await this.deps.stock.release(`${order.orderNo}${round}`, lines);
    if (order.live?.offerId) await this.deps.onLiveUnitsReturned?.(order);
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

function mergeLines(lines: { skuId: string; quantity: number }[]) {
  const merged = new Map<string, number>();
  for (const line of lines) merged.set(line.skuId, (merged.get(line.skuId) ?? 0) + line.quantity);
  for (const quantity of merged.values())
    if (quantity > 99)
      throw new Invalid('errors.invalid', [{ field: 'lines', code: 'validation.quantityMax' }]);
  return [...merged].map(([skuId, quantity]) => ({ skuId, quantity }));
}

/** Cancelling (and refunding) is the buyer's decision, or the county admin's; not the shop's. */
export function assertBuyerOrAdmin(actor: Actor, order: Pick<Order, 'buyerId'>): void {
  if (actor.role !== 'admin' && String(order.buyerId) !== actor.id)
    throw new Forbidden('errors.notYourOrder');
}

/** The SKUs, products and shop of an order's lines; all of one approved shop, all on sale. */
async function loadCatalogue(skuIds: string[]) {
  const skus = await SkuModel.find({ _id: { $in: skuIds }, active: true }).lean();
  if (skus.length !== skuIds.length) throw new NotFound('errors.skuNotFound');
  const products = await ProductModel.find({
    _id: { $in: skus.map((s) => s.productId) },
    status: 'active',
  }).lean();
  const shopIds = new Set(skus.map((s) => String(s.shopId)));
  if (shopIds.size !== 1) throw new Invalid('errors.oneShopPerOrder');
  const shop = await ShopModel.findOne({ _id: [...shopIds][0], status: 'approved' }).lean();
  if (!shop || products.length !== new Set(skus.map((s) => String(s.productId))).size) {
    throw new NotFound('errors.productUnavailable');
  }
  return { skus, products, shop };
}
