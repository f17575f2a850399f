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
import { createHash } from 'node:crypto';
import type { Queue } from 'bullmq';
import { Types } from 'mongoose';
import { SkuModel } from '../catalogue/sku.model.ts';
import type { Logger } from '../core/logger.ts';
import { pickLocalized } from '../core/localized-text.ts';
import type { Address } from '../orders/address.schema.ts';
import type { OrderEvents } from '../orders/order-service.ts';
import type { OrderStateMachine } from '../orders/order-states.ts';
import { OrderModel } from '../orders/order.model.ts';
import { BatchAllocationModel } from './batch.model.ts';
import type { LineAllocation } from './batch-allocation.ts';
import { BatchLane, inParallel } from './batch-lane.ts';
import { candidateShipDates, chooseCourier, type CourierRules } from './courier-choice.ts';
import { recordedChoice } from './courier-choice.schema.ts';
import type { LocalizedText } from '../core/localized-text.ts';
import { CourierModel } from './courier.model.ts';
import type { CourierAdapter } from './couriers/courier-adapter.ts';
import { HubModel } from './hub.model.ts';
import type { ParcelLocks } from './parcel-lock.ts';
import { ParcelModel, type Parcel } from './parcel.model.ts';
import { addBooking, type Bookings, type RoutingMemory } from './routing-memory.ts';
import { allocateBatchUnits, holdAll, type OrderDoc } from './unit-allocation.ts';
import { note } from '../orders/timeline.ts';

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
  /** Which parcels are collecting orders, what couriers have booked (hints kept in Redis). */
  memory: RoutingMemory;
  /** How long a parcel waits for the same buyer's other paid orders. */
  consolidationWindowMs: number;
}

type ParcelDoc = Parcel & { _id: unknown };
/** A parcel line as routing writes it (picking and packing fill in the rest). */
interface ParcelLine {
  orderNo: string;
  shopId: Types.ObjectId;
  skuId: Types.ObjectId;
  skuCode: string;
  barcode: string;
  title: string;
  spec: string;
  quantity: number;
  weightGrams: number;
  allocations: LineAllocation[];
}
/** What closing needs to know of a parcel once its courier is decided. */
type Decided = Pick<ParcelDoc, 'status' | 'orderNos' | 'courierCode' | 'waybillNo'>;

export class HubRouting {
  private readonly deps: HubRoutingDeps;
  // One batch at a time per process and kind: allocation reads what is left of a batch, then
  // takes it, and courier capacity is counted the same way.
  private readonly routing = new BatchLane<{ orderNo: string; now: Date }, string>((requests) =>
    this.routeBatch(requests),
  );
  private readonly closing = new BatchLane<{ parcelNo: string; now: Date }, string>((requests) =>
    this.closeBatch(requests),
  );

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
    const orders = await OrderModel.find(
      { status: 'paid', updatedAt: { $lt: stale } },
      { orderNo: 1, parcelNo: 1 },
    ).lean();
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
    const found = await inParallel(orderNos, (orderNo) => OrderModel.findOne({ orderNo }).lean());
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
      for (const [orderNo, outcome] of await this.placeInParcels(paid, now))
        outcomes.set(orderNo, outcome);
    return requests.map((r) => outcomes.get(r.orderNo)!);
  }

  /** Where each order goes, the lines it brings, and the writes that put it there. */
  private async placeInParcels(orders: OrderDoc[], now: Date): Promise<Map<string, string>> {
    const hub = (await HubModel.findOne({}, { _id: 1, bins: 1 }).lean())!;
    // The parcels still collecting these buyers' orders: Redis remembers which (RoutingMemory);
    // MongoDB says whether each still is.
    const addressKeys = new Map(
      orders.map((o) => [o.orderNo, addressKeyOf(String(o.buyerId), o.address!)] as const),
    );
    const keyOf = (o: { buyerId: unknown; orderNo: string }) =>
      openParcelKey(o.buyerId, addressKeys.get(o.orderNo)!);
    const hinted = await this.deps.memory.openParcels([...new Set(orders.map(keyOf))]);
    const wanted = new Set([
      ...hinted.values(),
      // A retry: the parcel its order named may have moved on since.
      ...orders.flatMap((o) => (o.parcelNo ? [o.parcelNo] : [])),
    ]);
    const parcels = new Map<string, ParcelDoc>();
    for (const parcel of await inParallel([...wanted], (parcelNo) =>
      ParcelModel.findOne({ parcelNo }).lean(),
    ))
      if (parcel) parcels.set(parcel.parcelNo, parcel);
    const openFor = new Map<string, string>();
    for (const [key, parcelNo] of hinted) {
      const parcel = parcels.get(parcelNo);
      if (parcel?.status === 'open' && parcel.openUntil > now) openFor.set(key, parcelNo);
    }

    const target = new Map<string, string>();
    const opening = new Map<string, { opener: OrderDoc; addressKey: string }>();
    for (const order of orders) {
      const addressKey = addressKeys.get(order.orderNo)!;
      const key = keyOf(order);
      let parcelNo = order.parcelNo ?? openFor.get(key) ?? parcelNoFor(order.orderNo);
      const parcel = parcels.get(parcelNo);
      // Its parcel left for picking before this order got in (a crash in between): a new parcel.
      if (
        parcel &&
        !['open', 'routed'].includes(parcel.status) &&
        !parcel.orderNos.includes(order.orderNo)
      )
        parcelNo = parcelNoFor(order.orderNo, '-2');
      if (!parcels.has(parcelNo) && !opening.has(parcelNo)) {
        opening.set(parcelNo, { opener: order, addressKey });
        // The same buyer's next orders to this address in the batch join the parcel it opens.
        if (!order.parcelNo) openFor.set(key, parcelNo);
      }
      target.set(order.orderNo, parcelNo);
    }

    // Named on the order before anything is taken for it: a retry after a crash finds the same
    // parcel, and with it the same allocations, again.
    await inParallel(
      orders.filter((o) => o.parcelNo !== target.get(o.orderNo)),
      (o) =>
        OrderModel.updateOne({ orderNo: o.orderNo }, { $set: { parcelNo: target.get(o.orderNo) } }),
    );
    const joining = orders.filter(
      (o) => !parcels.get(target.get(o.orderNo)!)?.orderNos.includes(o.orderNo),
    );
    // An order that named its parcel before this batch is a retry: it may have allocations.
    const retrying = new Set(orders.filter((o) => o.parcelNo).map((o) => o.orderNo));
    const lines = await this.linesFor(joining, target, hub.bins, retrying);

    const joiners = Map.groupBy(joining, (o) => target.get(o.orderNo)!);
    const created = await this.openParcels(
      [...opening].map(([parcelNo, { opener, addressKey }]) => {
        const members = joiners.get(parcelNo) ?? [];
        return {
          parcelNo,
          hubId: hub._id,
          buyerId: opener.buyerId,
          addressKey,
          address: opener.address,
          orderNos: members.map((o) => o.orderNo),
          lines: members.flatMap((o) => lines.get(o.orderNo) ?? []),
          // The first preference among the parcel's orders is the parcel's.
          ...preferenceOf(members),
          status: 'open' as const,
          openUntil: new Date(now.getTime() + this.deps.consolidationWindowMs),
        };
      }),
    );
    await this.deps.memory.parcelsOpened(
      created.map((p) => ({
        buyerAddressKey: openParcelKey(p.buyerId, p.addressKey),
        parcelNo: p.parcelNo,
        ms: p.openUntil.getTime() - Date.now(),
      })),
    );
    // Parcels that existed (or were opened meanwhile by a retry): add the orders not in them yet.
    const statuses = new Map<string, ParcelDoc>(created.map((p) => [p.parcelNo, p]));
    await inParallel(
      [...joiners.keys()].filter((parcelNo) => !statuses.has(parcelNo)),
      async (parcelNo) => {
        const parcel = await this.addToParcel(parcelNo, joiners.get(parcelNo)!, lines);
        if (parcel) statuses.set(parcelNo, parcel);
      },
    );
    for (const [parcelNo, parcel] of parcels)
      if (!statuses.has(parcelNo)) statuses.set(parcelNo, parcel);

    const outcomes = new Map<string, string>();
    const stillOpen = [...new Set(target.values())].flatMap((parcelNo) => {
      const parcel = statuses.get(parcelNo);
      return parcel?.status === 'open' ? [parcel] : [];
    });
    await this.deps.queue.addBulk(
      stillOpen.map((parcel) => ({
        name: CLOSE_PARCEL_JOB,
        data: { parcelNo: parcel.parcelNo },
        opts: {
          jobId: `close-${parcel.parcelNo}`,
          delay: Math.max(0, parcel.openUntil.getTime() - now.getTime()),
          removeOnComplete: 1000,
          removeOnFail: 5000,
          ...RETRY,
        },
      })),
    );
    await Promise.all(
      orders.map(async (order) => {
        const parcelNo = target.get(order.orderNo)!;
        const parcel = statuses.get(parcelNo);
        if (!parcel) outcomes.set(order.orderNo, 'not routed: its parcel is gone');
        else if (parcel.status === 'open') outcomes.set(order.orderNo, `in parcel ${parcelNo}`);
        // The window closed while this order was on its way in: finish routing it now.
        else outcomes.set(order.orderNo, await this.closeParcel(parcelNo, now));
      }),
    );
    return outcomes;
  }

  /** Inserts the parcels this batch opens; a parcel that exists already (a retry) is skipped. */
  private async openParcels(docs: Record<string, unknown>[]): Promise<ParcelDoc[]> {
    if (docs.length === 0) return [];
    const made = docs.map((doc) => new ParcelModel(doc));
    const existed = new Set<number>();
    try {
      await ParcelModel.insertMany(made, { ordered: false });
    } catch (error) {
      const writeErrors = (error as { writeErrors?: { index: number; code?: number }[] })
        .writeErrors;
      if (!writeErrors || writeErrors.some((e) => e.code !== 11000)) throw error;
      for (const e of writeErrors) existed.add(e.index);
    }
    return made.flatMap((doc, i) => (existed.has(i) ? [] : [doc.toObject() as ParcelDoc]));
  }

  /** Adds the orders' lines to an existing parcel, under its lock, unless they are in it. */
  private addToParcel(parcelNo: string, orders: OrderDoc[], lines: Map<string, ParcelLine[]>) {
    return this.deps.locks.withParcel(parcelNo, async () => {
      const parcel = await ParcelModel.findOne({ parcelNo }).lean();
      if (!parcel) return null;
      const joining = orders.filter((o) => !parcel.orderNos.includes(o.orderNo));
      if (joining.length === 0) return parcel;
      // A parcel of that name was opened earlier and has left for picking: the orders now name
      // it, so their retry opens a new parcel instead (see placeInParcels).
      if (parcel.status !== 'open' && parcel.status !== 'routed')
        throw new Error(`parcel ${parcelNo} is ${parcel.status}: its new orders go elsewhere`);
      const preference = parcel.preferredCourier ? {} : preferenceOf(joining);
      await ParcelModel.updateOne(
        { parcelNo },
        {
          $push: {
            lines: { $each: joining.flatMap((o) => lines.get(o.orderNo) ?? []) },
            orderNos: { $each: joining.map((o) => o.orderNo) },
          },
          ...(preference.preferredCourier ? { $set: preference } : {}),
        },
      );
      return parcel;
    });
  }

  /**
   * Each joining order's parcel lines, with their units allocated from the batches that passed
   * inspection, earliest expiry first. The batch's SKUs are locked (in a fixed order, so two
   * routers cannot deadlock) while what is left of each batch is read and taken:
   * FerretDB offers no transaction to arbitrate two allocators. An allocation is a document with
   * a unique id, so a retry finds what it already took instead of taking it twice. A line gets
   * fewer units than ordered when the hub holds fewer; the pick list then shows the gap.
   */
  private async linesFor(
    orders: OrderDoc[],
    target: Map<string, string>,
    bins: { code: string; walkOrder: number }[],
    retrying: Set<string>,
  ) {
    const lines = new Map<string, ParcelLine[]>();
    if (orders.length === 0) return lines;
    const walk = new Map(bins.map((b) => [b.code, b.walkOrder]));
    const skuIds = [...new Set(orders.flatMap((o) => o.lines.map((l) => String(l.skuId))))].sort();
    const barcodes = new Map(
      (await SkuModel.find({ _id: { $in: skuIds } }, { barcode: 1 }).lean()).map((s) => [
        String(s._id),
        s.barcode,
      ]),
    );
    const allocations = await holdAll(skuIds, this.deps.locks, () =>
      allocateBatchUnits(orders, target, skuIds, retrying, this.deps.memory),
    );
    for (const order of orders)
      lines.set(
        order.orderNo,
        order.lines.map((line) => ({
          orderNo: order.orderNo,
          shopId: order.shopId,
          skuId: line.skuId,
          skuCode: line.skuCode,
          barcode: barcodes.get(String(line.skuId))!,
          title: pickLocalized(line.title, 'zh-CN'),
          spec: pickLocalized(line.spec, 'zh-CN'),
          quantity: line.quantity,
          weightGrams: line.weightGrams,
          allocations: (allocations.get(`${order.orderNo}:${String(line.skuId)}`) ?? []).map(
            (a) => ({ ...a, walkOrder: walk.get(a.binCode) ?? Number.MAX_SAFE_INTEGER }),
          ),
        })),
      );
    return lines;
  }

  private async closeBatch(requests: { parcelNo: string; now: Date }[]): Promise<string[]> {
    // The rules as they are now, read once for the batch (not once per parcel).
    const couriers = await CourierModel.find().lean();
    const parcels = [...new Map(requests.map((r) => [r.parcelNo, r.now]))];
    // What each courier has booked, read once for the batch; its own bookings are added as they
    // are made, so parcels closing side by side count each other.
    const usage = await this.deps.memory.bookings([
      ...new Set(requests.flatMap((r) => candidateShipDates(r.now))),
    ]);
    const results = await inParallel(parcels, ([parcelNo, now]) =>
      this.closeOne(parcelNo, now, couriers, usage),
    );
    const outcomes = new Map(parcels.map(([parcelNo], i) => [parcelNo, results[i]!]));
    return requests.map((r) => outcomes.get(r.parcelNo)!);
  }

  private async closeOne(
    parcelNo: string,
    now: Date,
    couriers: (CourierRules & { name: LocalizedText })[],
    usage: Bookings,
  ): Promise<string> {
    const decided = await this.deps.locks.withParcel(parcelNo, async () => {
      const parcel = await ParcelModel.findOne({ parcelNo }).lean();
      if (!parcel) return 'no such parcel';
      if (parcel.status !== 'open') return parcel; // decided before (a retry, or another closer)
      if (parcel.openUntil.getTime() > now.getTime()) return 'still open';
      if (parcel.orderNos.length === 0) {
        await ParcelModel.updateOne({ parcelNo }, { $set: { status: 'cancelled' } });
        return 'not routed';
      }
      return (await this.chooseFor(parcel, now, couriers, usage)) ?? 'not routed';
    });
    if (typeof decided === 'string') return decided;
    const parcel = decided;
    if (parcel.status !== 'routed') return `already ${parcel.status}`;
    for (const orderNo of parcel.orderNos) {
      const result = await this.deps.states.transition(
        orderNo,
        'paid',
        'routed',
        SYSTEM,
        note('routed', {
          parcel: parcelNo,
          courier:
            couriers.find((c) => c.code === parcel.courierCode)?.name ?? parcel.courierCode ?? '',
          waybill: parcel.waybillNo ?? '',
        }),
      );
      if (result.won) this.deps.events.orderChanged(result.order);
      // Cancelled or refunded meanwhile: it does not travel.
      else if (result.current === 'cancelled' || result.current === 'refunded')
        await this.unrouteOrder(orderNo);
    }
    return `routed to ${parcel.courierCode}`;
  }

  private async chooseFor(
    parcel: ParcelDoc,
    now: Date,
    couriers: CourierRules[],
    usage: Bookings,
  ): Promise<Decided | undefined> {
    const weightGrams =
      parcel.lines.reduce((sum, l) => sum + l.weightGrams * l.quantity, 0) + PACKAGING_GRAMS;
    // From here to the booking nothing waits, so parcels closing side by side count each other.
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
      usage,
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
    // Counted before the write: a failure after it under-uses a courier, never over-books it.
    addBooking(usage, choice.courierCode, choice.shipDate);
    await this.deps.memory.booked(choice.courierCode, choice.shipDate);
    const waybillNo = await this.deps.adapterFor(choice.courierCode).issueWaybill({
      parcelNo: parcel.parcelNo,
      courierCode: choice.courierCode,
      weightGrams,
      address: parcel.address,
    });
    const routed = {
      status: 'routed' as const,
      courierCode: choice.courierCode,
      courierChoice: recordedChoice(choice, now),
      waybillNo,
      shipDate: choice.shipDate,
      estimatedWeightGrams: weightGrams,
    };
    await ParcelModel.updateOne({ parcelNo: parcel.parcelNo }, { $set: routed });
    return { orderNos: parcel.orderNos, ...routed };
  }
}

/** Who a parcel is for and where it goes: one open parcel collects their orders. */
function openParcelKey(buyerId: unknown, addressKey: string): string {
  return `${String(buyerId)}|${addressKey}`;
}

/** The parcel an order opens: named after it, so a retry opens the same one. */
function parcelNoFor(orderNo: string, suffix = ''): string {
  return `P${orderNo.replace(/^CB/, '')}${suffix}`;
}

function preferenceOf(orders: OrderDoc[]): { preferredCourier?: string } {
  const preferred = orders.find((o) => o.preferredCourier)?.preferredCourier;
  return preferred ? { preferredCourier: preferred } : {};
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
