// The order core: one placeOrder() for checkout, the live room and comment-to-order.
import type { Queue } from 'bullmq';
import { Types, type HydratedDocument } from 'mongoose';
import type { Actor } from '../accounts/actor.ts';
import { ProductModel } from '../catalogue/product.model.ts';
import { ShopModel } from '../catalogue/shop.model.ts';
import { SkuModel } from '../catalogue/sku.model.ts';
import {
  Conflict,
  Invalid,
  NotFound,
  Forbidden,
  SoldOut,
  Unauthenticated,
  Unavailable,
} from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';
import { parseInput } from '../core/validation.ts';
import { recordMovement } from '../hub/stock-ledger.ts';
import { HubModel } from '../hub/hub.model.ts';
import { TtlCache } from '../core/ttl-cache.ts';
import { StockMovementModel } from '../hub/stock-movement.model.ts';
import { newOrderNo } from './order-numbers.ts';
import type { Address } from './address.schema.ts';
import {
  livePlaceOrderInput,
  placeOrderInput,
  type LivePlaceOrderInput,
  type PlaceOrderInput,
} from './order-input.ts';
import { OrderModel, PAID_STATUSES, type Order, type OrderStatus } from './order.model.ts';
import type { OrderStateMachine, TransitionActor } from './order-states.ts';
import type { ReserveOutcome, ReservedLine, StockReservations } from './stock-reservations.ts';

export interface OrderEvents {
  /** Tell the buyer's open pages (and the shop's console) that the order changed. */
  orderChanged(order: Order): void;
}

export interface OrderServiceDeps {
  stock: StockReservations;
  states: OrderStateMachine;
  expiryQueue: Queue;
  events: OrderEvents;
  logger: Logger;
  payTimeoutMs: number;
  /** Set by the live domain: units of a live order go back to its offer (or its waitlist). */
  onLiveUnitsReturned?: (order: Order) => Promise<void>;
}

export const EXPIRE_JOB = 'expire-unpaid';

/** How the live room places an order: its own reservation script and the live price. */
export interface LivePlacement {
  sessionId: string;
  offerId: string;
  unitPriceFen: number;
  reserve(
    idempotencyKey: string,
    orderNo: string,
    lines: { skuId: string; quantity: number }[],
  ): Promise<LiveReserveOutcome>;
  /** Gives the live offer its units back when the order could not be saved. */
  undo?(orderNo: string, quantity: number): Promise<void>;
  /**
   * The buyer's delivery address, read only once units are won: most of a rush is told "sold
   * out" by the reservation script and never needs it. Throwing gives the units back.
   */
  deliverTo(): Promise<Address>;
}

export type LiveReserveOutcome =
  ReserveOutcome | { kind: 'closed' } | { kind: 'limit'; left: number };
const PAID = new Set<OrderStatus>(PAID_STATUSES);

export class OrderService {
  private readonly deps: OrderServiceDeps;
  // What an order is made of changes rarely; a rush reads it thousands of times a second.
  private readonly catalogue = new TtlCache<Awaited<ReturnType<typeof loadCatalogue>>>(2000);
  private readonly hub = new TtlCache<{ _id: Types.ObjectId } | null>(60_000);
  constructor(deps: OrderServiceDeps) {
    this.deps = deps;
  }

  /**
   * Validates, reserves stock atomically in Redis, writes the order durably in MongoDB and only
   * then answers. The same idempotency key always yields the same order.
   */
  async placeOrder(
    actor: Actor | undefined,
    rawInput: PlaceOrderInput | LivePlaceOrderInput,
    live?: LivePlacement,
  ): Promise<Order> {
    if (!actor) throw new Unauthenticated();
    // A checkout names its address; a live buy uses the buyer's default (see deliverTo).
    const checkout = live ? undefined : parseInput(placeOrderInput, rawInput);
    const input = checkout ?? parseInput(livePlaceOrderInput, rawInput);
    const idempotencyKey = `${actor.id}:${input.idempotencyKey}`;

    // No look-up of the key here: the reservation script recognises a repeat (and, if Redis lost
    // it, the unique index does), which spares every buy in a rush one MongoDB query.

    const lines = mergeLines(input.lines);
    const { skus, products, shop } = await this.catalogue.get(
      lines
        .map((l) => l.skuId)
        .sort()
        .join(','),
      () => loadCatalogue(lines.map((l) => l.skuId)),
    );

    const orderNo = newOrderNo();
    const hub = await this.hub.get('hub', () => HubModel.findOne({}, { _id: 1 }).lean().exec());
    if (!hub) throw new Unavailable('errors.unavailable');
    const outcome = live
      ? await live.reserve(idempotencyKey, orderNo, lines)
      : await this.deps.stock.reserve(idempotencyKey, orderNo, lines);
    if (outcome.kind === 'duplicate') return this.awaitOrder(idempotencyKey);
    if (outcome.kind === 'sold_out') {
      const sku = skus.find((s) => String(s._id) === outcome.skuId)!;
      throw new SoldOut('errors.soldOut', { sku: sku.code, available: outcome.available });
    }
    if (outcome.kind === 'closed') throw new Conflict('errors.offerClosed');
    if (outcome.kind === 'limit')
      throw new Invalid(
        'errors.buyerLimit',
        [{ field: 'quantity', code: 'validation.buyerLimit' }],
        { left: outcome.left },
      );

    const reserved = outcome.lines;
    let address: Address;
    try {
      address = checkout ? checkout.address : await live!.deliverTo();
    } catch (error) {
      await this.undoReservation(orderNo, reserved, hub._id);
      await live?.undo?.(
        orderNo,
        reserved.reduce((sum, l) => sum + l.quantity, 0),
      );
      await this.deps.stock.forgetPlacement(idempotencyKey);
      throw error;
    }
    const now = new Date();
    const orderLines = reserved.map((line) => {
      const sku = skus.find((s) => String(s._id) === line.skuId)!;
      const product = products.find((p) => String(p._id) === String(sku.productId))!;
      return {
        skuId: sku._id,
        skuCode: sku.code,
        productId: product._id,
        productSlug: product.slug,
        title: product.title,
        spec: sku.spec,
        photo: product.photos[0],
        unitPriceFen: live?.unitPriceFen ?? sku.priceFen,
        quantity: line.quantity,
        lineTotalFen: (live?.unitPriceFen ?? sku.priceFen) * line.quantity,
        weightGrams: sku.weightGrams,
        stockEpoch: line.epoch,
      };
    });
    const itemsTotalFen = orderLines.reduce((sum, l) => sum + l.lineTotalFen, 0);

    let created: HydratedDocument<Order> | undefined;
    try {
      // Ledger first, then the order: a crash in between leaves units held without an order
      // (under-selling, healed by the resync job), never an order without held units.
      for (const line of reserved) {
        await recordMovement({
          movementId: `reserve:${orderNo}:${line.skuId}`,
          skuId: new Types.ObjectId(line.skuId),
          hubId: hub!._id,
          kind: 'reserved',
          delta: -line.quantity,
          reason: `order ${orderNo}`,
        });
      }
      created = await OrderModel.create({
        orderNo,
        idempotencyKey,
        buyerId: actor.id,
        shopId: shop._id,
        channel: input.channel,
        ...(live ? { live: { sessionId: live.sessionId, offerId: live.offerId } } : {}),
        lines: orderLines,
        itemsTotalFen,
        shippingFen: 0,
        totalFen: itemsTotalFen,
        address,
        ...(checkout?.preferredCourier ? { preferredCourier: checkout.preferredCourier } : {}),
        status: 'pending_payment',
        payBy: new Date(now.getTime() + this.deps.payTimeoutMs),
        timeline: [
          {
            at: now,
            from: null,
            to: 'pending_payment',
            actor: `buyer:${actor.id}`,
            reason: `placed via ${input.channel}`,
          },
        ],
      });
    } catch (error) {
      await this.undoReservation(orderNo, reserved, hub._id);
      await live?.undo?.(
        orderNo,
        reserved.reduce((s, l) => s + l.quantity, 0),
      );
      // Free the key, so the buyer's retry is a fresh attempt rather than a wait for this one.
      if ((error as { code?: number }).code !== 11000)
        await this.deps.stock.forgetPlacement(idempotencyKey);
      if ((error as { code?: number }).code === 11000) return this.awaitOrder(idempotencyKey);
      this.deps.logger.error({ err: error, orderNo }, 'order write failed; reservation released');
      throw new Unavailable('errors.orderNotSaved');
    }

    // If Redis was wiped and the counters rebuilt while we wrote, our units may be missing from
    // the new counters: take them again, or give up the order before anyone is told it exists.
    const stale = await this.deps.stock.settle(reserved);
    if (stale.length > 0) await this.reconfirmAfterRebuild(orderNo, idempotencyKey, stale);

    const order =
      stale.length > 0
        ? (await OrderModel.findOne({ orderNo }).lean())!
        : (created!.toObject() as Order);
    await this.scheduleExpiry(order);
    this.deps.events.orderChanged(order);
    return order;
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
      'not paid by the pay-by time',
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
      'cancelled before payment',
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
    const hub = await HubModel.findOne({}, { _id: 1 }).lean();
    // Each reservation round (the order, then a late payment's re-reservation) is released once.
    const round = order.stockRound && order.stockRound > 1 ? `:r${order.stockRound}` : '';
    const lines = order.lines.map((l) => ({
      skuId: String(l.skuId),
      quantity: l.quantity,
      epoch: l.stockEpoch,
    }));
    for (const line of lines) {
      await recordMovement({
        movementId: `release:${order.orderNo}:${line.skuId}${round}`,
        skuId: new Types.ObjectId(line.skuId),
        hubId: hub!._id,
        kind: 'released',
        delta: line.quantity,
        reason: `order ${order.orderNo} ${order.status}`,
      });
    }
    await this.deps.stock.release(`${order.orderNo}${round}`, lines);
    if (order.live?.offerId) await this.deps.onLiveUnitsReturned?.(order);
  }

  private async undoReservation(orderNo: string, reserved: ReservedLine[], hubId: Types.ObjectId) {
    await this.deps.stock.settle(reserved).catch(() => []);
    if (hubId) {
      const written = await OrderModel.exists({ orderNo });
      if (!written) {
        for (const line of reserved) {
          // Only lines whose reservation reached the ledger need a matching release.
          if (await StockMovementModel.exists({ movementId: `reserve:${orderNo}:${line.skuId}` })) {
            await recordMovement({
              movementId: `release:${orderNo}:${line.skuId}`,
              skuId: new Types.ObjectId(line.skuId),
              hubId,
              kind: 'released',
              delta: line.quantity,
              reason: `order ${orderNo} not saved`,
            });
          }
        }
      }
    }
    await this.deps.stock.release(orderNo, reserved);
  }

  private async reconfirmAfterRebuild(
    orderNo: string,
    idempotencyKey: string,
    stale: ReservedLine[],
  ) {
    const again = await this.deps.stock.reserve(`${idempotencyKey}:rebuilt`, orderNo, stale);
    if (again.kind === 'reserved') {
      await this.deps.stock.settle(again.lines);
      const order = await OrderModel.findOne({ orderNo });
      for (const line of again.lines) {
        const orderLine = order!.lines.find((l) => String(l.skuId) === line.skuId)!;
        orderLine.stockEpoch = line.epoch;
      }
      await order!.save();
      return;
    }
    // Not enough stock in the rebuilt counter: the order never reached the buyer; cancel it.
    const result = await this.deps.states.transition(
      orderNo,
      'pending_payment',
      'cancelled',
      { kind: 'system', id: 'stock-rebuild' },
      'stock counter rebuilt; not enough stock',
    );
    if (result.won) await this.releaseStock(result.order);
    throw new SoldOut('errors.soldOut', {});
  }

  /** A concurrent request with the same key is writing the order: wait for it to land. */
  private async awaitOrder(idempotencyKey: string): Promise<Order> {
    for (let i = 0; i < 50; i++) {
      const order = await OrderModel.findOne({ idempotencyKey }).lean();
      if (order) return order;
      await new Promise((r) => setTimeout(r, 100));
    }
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
