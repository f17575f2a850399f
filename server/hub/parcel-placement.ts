// Placing paid orders in parcels, a batch at a time: each order joins its buyer's open parcel to
// the same address or opens one, and its lines take units from the batches on the shelves.
// Every step can be repeated after a crash (see routing-service.ts).
import { createHash } from 'node:crypto';
import type { Queue } from 'bullmq';
import { Types } from 'mongoose';
import { pickLocalized } from '../core/localized-text.ts';
import type { Address } from '../orders/address.schema.ts';
import { nameParcelOfOrder } from '../orders/order-hub-marks.ts';
import type { LineAllocation } from './batch-allocation.ts';
import { inParallel } from '../core/in-parallel.ts';
import { HubModel } from './hub.model.ts';
import type { ParcelLocks } from './parcel-lock.ts';
import { ParcelModel, type Parcel } from './parcel.model.ts';
import type { RoutingMemory } from './routing-memory.ts';
import { CLOSE_PARCEL_JOB, ROUTING_RETRY } from './routing-jobs.ts';
import { allocateBatchUnits, holdAll, type OrderDoc } from './unit-allocation.ts';
import { skusByIds } from '../catalogue/catalogue-reads.ts';

export interface ParcelPlacementDeps {
  queue: Queue;
  locks: ParcelLocks;
  memory: RoutingMemory;
  consolidationWindowMs: number;
  /** Finishes routing an order whose parcel's window closed while it was on its way in. */
  closeParcel: (parcelNo: string, now: Date) => Promise<string>;
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

export class ParcelPlacement {
  private readonly deps: ParcelPlacementDeps;

  constructor(deps: ParcelPlacementDeps) {
    this.deps = deps;
  }

  /** Where each order goes, the lines it brings, and the writes that put it there. */
  async placeInParcels(orders: OrderDoc[], now: Date): Promise<Map<string, string>> {
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
      (o) => nameParcelOfOrder(o.orderNo, target.get(o.orderNo)!),
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
          ...ROUTING_RETRY,
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
        else outcomes.set(order.orderNo, await this.deps.closeParcel(parcelNo, now));
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
    const barcodes = new Map((await skusByIds(skuIds)).map((s) => [String(s._id), s.barcode]));
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
