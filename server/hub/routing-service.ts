// Routing paid orders to the county hub: each paid order joins its buyer's open parcel to the
// same address (across shops) or opens one; when the consolidation window closes, the parcel
// gets a courier chosen by the rules and a waybill number.
//
// A live session pays thousands of orders in minutes, and every MongoDB round trip counts
// (DESIGN, "Writing under a rush"). So the worker's jobs (one per order, one per parcel) are
// served in batches: the jobs waiting in a process are taken together, one batch at a time, and a
// batch reads only the parcels its buyers may join (Redis remembers which are open: see
// RoutingMemory), allocates all its lines under their SKUs' locks in one pass, writes new parcels
// and allocations with insertMany and schedules the closing with one addBulk. Closing reads the
// couriers and what each has booked (counted in Redis) once per batch. Nothing a batch reads
// grows with the day's parcels. Every step can be repeated after a crash: an order names its
// parcel before it joins it, a parcel is named after the order that opened it (unique parcelNo),
// lines are added only if the order is not in the parcel yet, allocations carry unique ids.
//
// This file takes the jobs and heals what lost jobs left behind; placing orders in parcels is
// parcel-placement.ts, closing parcels parcel-closing.ts.
import type { Queue } from 'bullmq';
import { orderByNo, orderFieldsByNo, paidOrdersUntouchedSince } from '../orders/order-reads.ts';
import { BatchAllocationModel } from './batch.model.ts';
import { inParallel } from '../core/in-parallel.ts';
import { BatchLane } from './batch-lane.ts';
import { ParcelClosing, type ParcelClosingDeps } from './parcel-closing.ts';
import { ParcelModel } from './parcel.model.ts';
import { ParcelPlacement } from './parcel-placement.ts';
import { ROUTE_ORDER_JOB, ROUTING_RETRY, UNROUTE_ORDER_JOB } from './routing-jobs.ts';
import type { OrderDoc } from './unit-allocation.ts';

export {
  CLOSE_PARCEL_JOB,
  HUB_ROUTING_QUEUE,
  ROUTE_ORDER_JOB,
  ROUTING_SWEEP_JOB,
  UNROUTE_ORDER_JOB,
} from './routing-jobs.ts';
export { PACKAGING_GRAMS } from './parcel-closing.ts';
export { addressKeyOf } from './parcel-placement.ts';

export interface HubRoutingDeps extends Omit<ParcelClosingDeps, 'unrouteOrder'> {
  queue: Queue;
  /** How long a parcel waits for the same buyer's other paid orders. */
  consolidationWindowMs: number;
  /** Told a parcel held because an order in it was cancelled (the county counts the exception). */
  parcelsChanged?: (parcelNos: string[]) => void;
}

export class HubRouting {
  private readonly deps: HubRoutingDeps;
  // One batch at a time per process and kind: allocation reads what is left of a batch, then
  // takes it, and courier capacity is counted the same way.
  private readonly routing = new BatchLane<{ orderNo: string; now: Date }, string>((requests) =>
    this.routeBatch(requests),
  );
  private readonly closing = new BatchLane<{ parcelNo: string; now: Date }, string>((requests) =>
    this.closer.closeBatch(requests),
  );
  private readonly placement: ParcelPlacement;
  private readonly closer: ParcelClosing;

  constructor(deps: HubRoutingDeps) {
    this.deps = deps;
    this.placement = new ParcelPlacement({
      ...deps,
      closeParcel: (parcelNo, now) => this.closeParcel(parcelNo, now),
    });
    this.closer = new ParcelClosing({
      ...deps,
      unrouteOrder: (orderNo) => this.unrouteOrder(orderNo),
    });
  }

  /** Asks the worker to route a paid order. The job id is the order number: asking twice is once. */
  async requestRouting(orderNo: string): Promise<void> {
    await this.deps.queue.add(
      ROUTE_ORDER_JOB,
      { orderNo },
      { jobId: `route-${orderNo}`, removeOnComplete: 1000, removeOnFail: 5000, ...ROUTING_RETRY },
    );
  }

  /** A cancelled or refunded order leaves its parcel (if the hub has not started on it). */
  async requestUnrouting(orderNo: string): Promise<void> {
    await this.deps.queue.add(
      UNROUTE_ORDER_JOB,
      { orderNo },
      { jobId: `unroute-${orderNo}`, removeOnComplete: 1000, removeOnFail: 5000, ...ROUTING_RETRY },
    );
  }

  /**
   * Takes a closed order out of its parcel and gives back its batch allocations. A parcel left
   * empty is cancelled (its waybill voided). Once picking has begun the goods are in hands: the
   * hub sees it as an exception instead.
   */
  async unrouteOrder(orderNo: string): Promise<string> {
    const order = await orderFieldsByNo(orderNo, ['parcelNo', 'status']);
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
        this.deps.parcelsChanged?.([parcel.parcelNo]);
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
      const given = await BatchAllocationModel.find(
        { parcelNo: parcel.parcelNo, orderNo },
        { skuId: 1, batchId: 1, quantity: 1 },
      ).lean();
      await BatchAllocationModel.deleteMany({ parcelNo: parcel.parcelNo, orderNo });
      // Given back in Redis's count after the allocations are gone (see batchesUsed).
      for (const [skuId, rows] of Map.groupBy(given, (a) => String(a.skuId)))
        await this.deps.memory.batchesUsed(
          skuId,
          new Map(rows.map((a) => [String(a.batchId), -a.quantity])),
        );
      if (orderNos.length === 0 && parcel.waybillNo && parcel.courierCode)
        await this.deps
          .adapterFor(parcel.courierCode)
          .voidWaybill(parcel.courierCode, parcel.waybillNo);
      return orderNos.length === 0 ? 'parcel cancelled' : 'left the parcel';
    });
  }

  /**
   * Puts a paid order into a parcel (with the other orders waiting in this process). Safe to
   * repeat; see the file's header.
   */
  routeOrder(orderNo: string, now = new Date()): Promise<string> {
    return this.routing.submit({ orderNo, now });
  }

  /**
   * The window has closed: weigh the parcel, choose its courier by the rules, take a waybill
   * number and move its orders to `routed`. Repeating it finishes what a crash interrupted.
   */
  closeParcel(parcelNo: string, now = new Date()): Promise<string> {
    return this.closing.submit({ parcelNo, now });
  }

  /**
   * Heals what lost jobs left behind (a Redis wipe, retries exhausted): paid orders not yet in a
   * parcel are routed here and now, and parcels whose window has passed are closed.
   */
  async sweepUnrouted(now = new Date()): Promise<number> {
    const stale = new Date(now.getTime() - 60_000);
    const orders = await paidOrdersUntouchedSince(stale);
    const open = await ParcelModel.find(
      { status: 'open', openUntil: { $lt: stale } },
      { parcelNo: 1 },
    ).lean();
    await Promise.all([
      ...orders.map(async (order) => {
        // An order names its parcel before the parcel is written: if it never was, route again.
        const closed = order.parcelNo ? await this.closeParcel(order.parcelNo, now) : undefined;
        if (!closed || closed === 'no such parcel') await this.routeOrder(order.orderNo, now);
      }),
      ...open.map((parcel) => this.closeParcel(parcel.parcelNo, now)),
    ]);
    return orders.length + open.length;
  }

  private async routeBatch(requests: { orderNo: string; now: Date }[]): Promise<string[]> {
    const now = new Date(Math.max(...requests.map((r) => r.now.getTime())));
    const orderNos = [...new Set(requests.map((r) => r.orderNo))];
    const outcomes = new Map<string, string>();
    const found = await inParallel(orderNos, (orderNo) => orderByNo(orderNo));
    const paid: OrderDoc[] = [];
    orderNos.forEach((orderNo, i) => {
      const order = found[i];
      if (!order) outcomes.set(orderNo, 'no such order');
      // Only a paid order travels; a cancelled one is taken out of its parcel by unrouteOrder.
      else if (order.status !== 'paid')
        outcomes.set(orderNo, `not routed: order is ${order.status}`);
      // Payment starts only once an order has an address (PaymentService.startPayment).
      else if (!order.address) outcomes.set(orderNo, 'not routed: order has no address');
      else paid.push(order);
    });
    if (paid.length > 0)
      for (const [orderNo, outcome] of await this.placement.placeInParcels(paid, now))
        outcomes.set(orderNo, outcome);
    return requests.map((r) => outcomes.get(r.orderNo)!);
  }
}
