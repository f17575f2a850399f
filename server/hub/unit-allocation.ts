// Which stock batches a parcel's lines are packed from: first expiry, first out, many lines at once,
// under their SKUs' allocation locks.
import { Types } from 'mongoose';
import { BatchAllocationModel, BatchModel } from './batch.model.ts';
import type { LineAllocation } from './batch-allocation.ts';
import { inParallel } from '../core/in-parallel.ts';
import type { Order } from '../orders/order-reads.ts';
import type { ParcelLocks } from './parcel-lock.ts';
import type { RoutingMemory } from './routing-memory.ts';

export type OrderDoc = Order & { _id: Types.ObjectId };

/**
 * First expiry, first out, for many order lines at once (the caller holds their SKUs' locks).
 * Returns each line's allocations by `<orderNo>:<skuId>`: what a previous attempt took, plus
 * what was taken now from the units not yet promised to any parcel.
 */
export async function allocateBatchUnits(
  orders: OrderDoc[],
  target: Map<string, string>,
  skuIds: string[],
  retrying: Set<string>,
  memory: RoutingMemory,
): Promise<Map<string, Omit<LineAllocation, 'walkOrder'>[]>> {
  const result = new Map<string, Omit<LineAllocation, 'walkOrder'>[]>();
  const fresh: Record<string, unknown>[] = [];
  const promise = new Map<string, Map<string, number>>();
  await inParallel(skuIds, async (skuId) => {
    const batches = await BatchModel.find({ skuId, 'qc.result': 'passed' })
      .sort({ expiresAt: 1, receivedAt: 1 })
      .lean();
    // What is promised from this SKU's batches so far, counted in Redis (see RoutingMemory): the
    // allocations themselves grow with every parcel of the day.
    const used = await memory.batchUse(skuId);
    const binOf = new Map(batches.map((b) => [String(b._id), b.binCode]));
    const adding = new Map<string, number>();
    for (const order of orders)
      for (const line of order.lines) {
        if (String(line.skuId) !== skuId) continue;
        const parcelNo = target.get(order.orderNo)!;
        const key = `${order.orderNo}:${skuId}`;
        // A retry (the order named its parcel before): what the earlier attempt took stands.
        const earlier = retrying.has(order.orderNo)
          ? await BatchAllocationModel.find(
              { orderNo: order.orderNo, skuId: line.skuId, parcelNo },
              { batchId: 1, quantity: 1, batchNo: 1 },
            ).lean()
          : [];
        const taken = earlier.map((a) => ({
          batchNo: a.batchNo,
          binCode: binOf.get(String(a.batchId)) ?? '',
          quantity: a.quantity,
        }));
        let missing = line.quantity - taken.reduce((sum, a) => sum + a.quantity, 0);
        for (const batch of batches) {
          if (missing <= 0) break;
          const batchId = String(batch._id);
          const free = batch.quantity - (used.get(batchId) ?? 0);
          if (free <= 0) continue;
          const take = Math.min(free, missing);
          used.set(batchId, (used.get(batchId) ?? 0) + take);
          adding.set(batchId, (adding.get(batchId) ?? 0) + take);
          fresh.push({
            _id: new Types.ObjectId(),
            allocationId: `${parcelNo}:${order.orderNo}:${skuId}:${batch.batchNo}`,
            batchId: batch._id,
            batchNo: batch.batchNo,
            parcelNo,
            orderNo: order.orderNo,
            skuId: batch.skuId,
            quantity: take,
          });
          taken.push({ batchNo: batch.batchNo, binCode: batch.binCode, quantity: take });
          missing -= take;
        }
        result.set(key, taken);
      }
    promise.set(skuId, adding);
  });
  // Counted as promised before the allocations are written (see RoutingMemory.batchesUsed).
  await Promise.all([...promise].map(([skuId, adding]) => memory.batchesUsed(skuId, adding)));
  if (fresh.length > 0) {
    const now = new Date();
    try {
      await BatchAllocationModel.collection.insertMany(
        fresh.map((doc) => ({ ...doc, createdAt: now, updatedAt: now })),
        { ordered: false },
      );
    } catch (error) {
      // Only an allocation a previous attempt already made may exist (same id): it stands.
      const writeErrors = (error as { writeErrors?: { code?: number }[] }).writeErrors;
      if (!writeErrors || writeErrors.some((e) => e.code !== 11000)) throw error;
    }
  }
  return result;
}

/** Runs `work` holding every SKU's allocation lock, taken in sorted order. */
export function holdAll<T>(
  skuIds: string[],
  locks: ParcelLocks,
  work: () => Promise<T>,
): Promise<T> {
  const [first, ...rest] = skuIds;
  return first === undefined
    ? work()
    : locks.withSkuAllocation(first, () => holdAll(rest, locks, work));
}
