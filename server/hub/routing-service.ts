// Routing paid orders to the county hub: each paid order joins its buyer's open parcel to the
// same address (across shops) or opens one; when the consolidation window closes, the parcel
// gets a courier chosen by the rules and a waybill number.
import { createHash } from 'node:crypto';
import type { Queue } from 'bullmq';
import type { Types } from 'mongoose';
import { SkuModel } from '../catalogue/sku.model.ts';
import type { Logger } from '../core/logger.ts';
import { pickLocalized } from '../core/localized-text.ts';
import type { Address } from '../orders/address.schema.ts';
import type { OrderEvents } from '../orders/order-service.ts';
import type { OrderStateMachine } from '../orders/order-states.ts';
import { OrderModel, type Order } from '../orders/order.model.ts';
import { allocateFirstExpiryFirst } from './batch-allocation.ts';
import { BatchAllocationModel } from './batch.model.ts';
import { candidateShipDates, chooseCourier, type CourierUsage } from './courier-choice.ts';
import { recordedChoice } from './courier-choice.schema.ts';
import { CourierModel } from './courier.model.ts';
import type { CourierAdapter } from './couriers/courier-adapter.ts';
import { HubModel } from './hub.model.ts';
import type { ParcelLocks } from './parcel-lock.ts';
import { ParcelModel, type Parcel } from './parcel.model.ts';

export const HUB_ROUTING_QUEUE = 'hub-routing';
export const ROUTE_ORDER_JOB = 'route-order';
export const CLOSE_PARCEL_JOB = 'close-parcel';
export const ROUTING_SWEEP_JOB = 'sweep-unrouted';
export const UNROUTE_ORDER_JOB = 'unroute-order';

/** Box, filler and tape: what a parcel weighs beyond its contents. */
export const PACKAGING_GRAMS = 150;

const SYSTEM = { kind: 'system' as const, id: 'hub-routing' };
const RETRY = { attempts: 8, backoff: { type: 'exponential', delay: 1000 } };

export interface HubRoutingDeps {
  queue: Queue;
  states: OrderStateMachine;
  events: OrderEvents;
  adapterFor: (courierCode: string) => CourierAdapter;
  logger: Logger;
  locks: ParcelLocks;
  /** How long a parcel waits for the same buyer's other paid orders. */
  consolidationWindowMs: number;
}

type ParcelDoc = Parcel & { _id: unknown };
type OrderDoc = Order & { _id: Types.ObjectId };

export class HubRouting {
  private readonly deps: HubRoutingDeps;

  constructor(deps: HubRoutingDeps) {
    this.deps = deps;
  }

  /** Asks the worker to route a paid order. The job id is the order number: asking twice is once. */
  async requestRouting(orderNo: string): Promise<void> {
    await this.deps.queue.add(
      ROUTE_ORDER_JOB,
      { orderNo },
      { jobId: `route-${orderNo}`, removeOnComplete: 1000, removeOnFail: 5000, ...RETRY },
    );
  }

  /** A cancelled or refunded order leaves its parcel (if the hub has not started on it). */
  async requestUnrouting(orderNo: string): Promise<void> {
    await this.deps.queue.add(
      UNROUTE_ORDER_JOB,
      { orderNo },
      { jobId: `unroute-${orderNo}`, removeOnComplete: 1000, removeOnFail: 5000, ...RETRY },
    );
  }

  /**
   * Takes a closed order out of its parcel and gives back its batch allocations. A parcel left
   * empty is cancelled (its waybill voided). Once picking has begun the goods are in hands: the
   * hub sees it as an exception instead.
   */
  async unrouteOrder(orderNo: string): Promise<string> {
    const order = await OrderModel.findOne({ orderNo }, { parcelNo: 1, status: 1 }).lean();
    if (!order?.parcelNo) return 'not in a parcel';
    return this.deps.locks.withParcel(order.parcelNo, async () => {
      const parcel = await ParcelModel.findOne({ parcelNo: order.parcelNo }).lean();
      if (!parcel || !parcel.orderNos.includes(orderNo)) return 'already out';
      if (parcel.status !== 'open' && parcel.status !== 'routed') {
        // The goods are in hands: stop the parcel and tell the hub to put the order's items back.
        if (parcel.status === 'picking' || parcel.status === 'packed')
          await ParcelModel.updateOne(
            { parcelNo: parcel.parcelNo },
            {
              $set: { status: 'held', heldFrom: parcel.status },
              $push: {
                exceptions: {
                  code: 'order_cancelled',
                  note: orderNo,
                  by: 'system:hub-routing',
                  at: new Date(),
                },
              },
            },
          );
        return `parcel was ${parcel.status}: held for the hub`;
      }
      const orderNos = parcel.orderNos.filter((n) => n !== orderNo);
      await ParcelModel.updateOne(
        { parcelNo: parcel.parcelNo },
        {
          $set: {
            orderNos,
            lines: parcel.lines.filter((l) => l.orderNo !== orderNo),
            ...(orderNos.length === 0 ? { status: 'cancelled' } : {}),
          },
        },
      );
      await BatchAllocationModel.deleteMany({ parcelNo: parcel.parcelNo, orderNo });
      if (orderNos.length === 0 && parcel.waybillNo && parcel.courierCode)
        await this.deps
          .adapterFor(parcel.courierCode)
          .voidWaybill(parcel.courierCode, parcel.waybillNo);
      return orderNos.length === 0 ? 'parcel cancelled' : 'left the parcel';
    });
  }

  /**
   * Puts a paid order into a parcel. Every step can be repeated: a parcel is named after the
   * order that opened it (unique parcelNo), lines are added only if the order is not in the
   * parcel yet, and batch allocations carry unique ids.
   */
  async routeOrder(orderNo: string, now = new Date()): Promise<string> {
    const order = await OrderModel.findOne({ orderNo }).lean();
    if (!order) return 'no such order';
    // Only a paid order travels; a cancelled one is taken out of its parcel by unrouteOrder.
    if (order.status !== 'paid') return `not routed: order is ${order.status}`;

    const addressKey = addressKeyOf(String(order.buyerId), order.address);
    let parcel = order.parcelNo
      ? await ParcelModel.findOne({ parcelNo: order.parcelNo }).lean()
      : await this.openParcelFor(String(order.buyerId), addressKey, now);
    if (!parcel) parcel = await this.openParcel(order, addressKey, now);
    // Its parcel left for picking before this order got in (a crash in between): a new parcel.
    if (!['open', 'routed'].includes(parcel.status) && !parcel.orderNos.includes(orderNo))
      parcel = await this.openParcel(order, addressKey, now, '-2');
    // Named on the order first: a retry after a crash finds the same parcel again.
    if (order.parcelNo !== parcel.parcelNo)
      await OrderModel.updateOne({ orderNo }, { $set: { parcelNo: parcel.parcelNo } });

    const added = await this.deps.locks.withParcel(parcel.parcelNo, () =>
      this.addOrderToParcel(parcel.parcelNo, order),
    );
    if (!added) return this.closeParcel(parcel.parcelNo, now);
    // The window closed while this order was on its way in: finish routing it now.
    if (added.status !== 'open') return this.closeParcel(parcel.parcelNo, now);
    await this.deps.queue.add(
      CLOSE_PARCEL_JOB,
      { parcelNo: parcel.parcelNo },
      {
        jobId: `close-${parcel.parcelNo}`,
        delay: Math.max(0, added.openUntil.getTime() - now.getTime()),
        removeOnComplete: 1000,
        removeOnFail: 5000,
        ...RETRY,
      },
    );
    return `in parcel ${parcel.parcelNo}`;
  }

  /** Adds the order's lines (with their batch allocations) unless the parcel holds them already. */
  private async addOrderToParcel(parcelNo: string, order: OrderDoc) {
    const parcel = await ParcelModel.findOne({ parcelNo }).lean();
    if (!parcel) return null;
    const orderNo = order.orderNo;
    if (!parcel.orderNos.includes(orderNo)) {
      const hub = (await HubModel.findById(parcel.hubId).lean())!;
      const walk = new Map(hub.bins.map((b) => [b.code, b.walkOrder]));
      const skus = await SkuModel.find({ _id: { $in: order.lines.map((l) => l.skuId) } }).lean();
      const lines = [];
      for (const line of order.lines) {
        const sku = skus.find((s) => String(s._id) === String(line.skuId))!;
        lines.push({
          orderNo,
          shopId: order.shopId,
          skuId: line.skuId,
          skuCode: line.skuCode,
          barcode: sku.barcode,
          title: pickLocalized(line.title, 'zh-CN'),
          spec: pickLocalized(line.spec, 'zh-CN'),
          quantity: line.quantity,
          weightGrams: line.weightGrams,
          allocations: await this.deps.locks.withSkuAllocation(String(line.skuId), () =>
            allocateFirstExpiryFirst(
              parcel.parcelNo,
              orderNo,
              line.skuId,
              line.quantity,
              (bin) => walk.get(bin) ?? Number.MAX_SAFE_INTEGER,
            ),
          ),
        });
      }
      await ParcelModel.updateOne(
        { parcelNo: parcel.parcelNo },
        {
          $push: { lines: { $each: lines }, orderNos: orderNo },
          // The first preference among the parcel's orders is the parcel's.
          ...(!parcel.preferredCourier && order.preferredCourier
            ? { $set: { preferredCourier: order.preferredCourier } }
            : {}),
        },
      );
    }
    return parcel;
  }

  /**
   * The window has closed: weigh the parcel, choose its courier by the rules, take a waybill
   * number and move its orders to `routed`. Repeating it finishes what a crash interrupted.
   */
  async closeParcel(parcelNo: string, now = new Date()): Promise<string> {
    const found = await ParcelModel.findOne({ parcelNo }).lean();
    if (!found) return 'no such parcel';
    let parcel: ParcelDoc = found;
    if (parcel.status === 'open') {
      if (parcel.openUntil.getTime() > now.getTime()) return 'still open';
      const decided = await this.deps.locks.withParcel(parcelNo, async () => {
        const fresh = (await ParcelModel.findOne({ parcelNo }).lean())!;
        if (fresh.status !== 'open') return fresh; // another closer won
        if (fresh.orderNos.length === 0) {
          await ParcelModel.updateOne({ parcelNo }, { $set: { status: 'cancelled' } });
          return undefined;
        }
        return this.chooseFor(fresh, now);
      });
      if (!decided) return 'not routed';
      parcel = decided;
    }
    if (parcel.status !== 'routed') return `already ${parcel.status}`;
    for (const orderNo of parcel.orderNos) {
      const result = await this.deps.states.transition(
        orderNo,
        'paid',
        'routed',
        SYSTEM,
        `parcel ${parcelNo}, ${parcel.courierCode} ${parcel.waybillNo}`,
      );
      if (result.won) this.deps.events.orderChanged(result.order);
      // Cancelled or refunded meanwhile: it does not travel.
      else if (result.current === 'cancelled' || result.current === 'refunded')
        await this.unrouteOrder(orderNo);
    }
    return `routed to ${parcel.courierCode}`;
  }

  /**
   * Heals what lost jobs left behind (a Redis wipe, retries exhausted): paid orders not yet in a
   * parcel are routed here and now, and parcels whose window has passed are closed.
   */
  async sweepUnrouted(now = new Date()): Promise<number> {
    const stale = new Date(now.getTime() - 60_000);
    const orders = await OrderModel.find(
      { status: 'paid', updatedAt: { $lt: stale } },
      { orderNo: 1, parcelNo: 1 },
    ).lean();
    for (const order of orders) {
      if (order.parcelNo) await this.closeParcel(order.parcelNo, now);
      else await this.routeOrder(order.orderNo, now);
    }
    const open = await ParcelModel.find(
      { status: 'open', openUntil: { $lt: stale } },
      { parcelNo: 1 },
    ).lean();
    for (const parcel of open) await this.closeParcel(parcel.parcelNo, now);
    return orders.length + open.length;
  }

  private openParcelFor(buyerId: string, addressKey: string, now: Date) {
    return ParcelModel.findOne({
      buyerId,
      addressKey,
      status: 'open',
      openUntil: { $gt: now },
    }).lean();
  }

  private async openParcel(
    order: {
      orderNo: string;
      buyerId: Types.ObjectId;
      address: Address;
      preferredCourier?: string | null;
    },
    addressKey: string,
    now: Date,
    suffix = '',
  ) {
    const hub = (await HubModel.findOne({}, { _id: 1 }).lean())!;
    const parcelNo = `P${order.orderNo.replace(/^CB/, '')}${suffix}`;
    try {
      await ParcelModel.create({
        parcelNo,
        hubId: hub._id,
        buyerId: order.buyerId,
        addressKey,
        address: order.address,
        ...(order.preferredCourier ? { preferredCourier: order.preferredCourier } : {}),
        status: 'open',
        openUntil: new Date(now.getTime() + this.deps.consolidationWindowMs),
      });
    } catch (error) {
      if ((error as { code?: number }).code !== 11000) throw error; // a retry: it exists
    }
    return (await ParcelModel.findOne({ parcelNo }).lean())!;
  }

  private async chooseFor(parcel: Parcel, now: Date): Promise<ParcelDoc | undefined> {
    const weightGrams =
      parcel.lines.reduce((sum, l) => sum + l.weightGrams * l.quantity, 0) + PACKAGING_GRAMS;
    const couriers = await CourierModel.find().lean();
    const choice = chooseCourier(
      {
        destination: {
          province: parcel.address.province,
          county: parcel.address.county,
          village: parcel.address.village ?? '',
        },
        weightGrams,
        ...(parcel.preferredCourier ? { preferredCourier: parcel.preferredCourier } : {}),
        now,
      },
      couriers,
      await bookedPerShipDate(now),
    );
    if (choice.kind === 'none') {
      await ParcelModel.updateOne(
        { parcelNo: parcel.parcelNo },
        { $set: { status: 'unroutable' } },
      );
      this.deps.logger.warn(
        { parcelNo: parcel.parcelNo, rejected: choice.rejected },
        'no courier can take this parcel',
      );
      return undefined;
    }
    const waybillNo = await this.deps.adapterFor(choice.courierCode).issueWaybill({
      parcelNo: parcel.parcelNo,
      courierCode: choice.courierCode,
      weightGrams,
      address: parcel.address,
    });
    await ParcelModel.updateOne(
      { parcelNo: parcel.parcelNo },
      {
        $set: {
          status: 'routed',
          courierCode: choice.courierCode,
          courierChoice: recordedChoice(choice, now),
          waybillNo,
          shipDate: choice.shipDate,
          estimatedWeightGrams: weightGrams,
        },
      },
    );
    return (await ParcelModel.findOne({ parcelNo: parcel.parcelNo }).lean())!;
  }
}

/** Parcels already given to each courier for today and tomorrow (its daily capacity). */
async function bookedPerShipDate(now: Date): Promise<CourierUsage> {
  const parcels = await ParcelModel.find(
    { shipDate: { $in: candidateShipDates(now) } },
    { courierCode: 1, shipDate: 1 },
  ).lean();
  const usage: Record<string, Record<string, number>> = {};
  for (const p of parcels) {
    if (!p.courierCode || !p.shipDate) continue;
    const perDate = (usage[p.courierCode] ??= {});
    perDate[p.shipDate] = (perDate[p.shipDate] ?? 0) + 1;
  }
  return usage;
}

/** The same buyer and the same address, however it was typed (spaces, full-width digits). */
export function addressKeyOf(buyerId: string, address: Address): string {
  const normal = [
    address.recipient,
    address.phone,
    address.province,
    address.city,
    address.county,
    address.township,
    address.village,
    address.detail,
  ]
    .map((part) => (part ?? '').normalize('NFKC').replace(/\s+/g, '').toLowerCase())
    .join('|');
  return createHash('sha256').update(`${buyerId}|${normal}`).digest('hex').slice(0, 32);
}
