// First expiry, first out: which batches a parcel line's units come from.
import type { Types } from 'mongoose';
import { BatchAllocationModel, BatchModel } from './batch.model.ts';

export interface LineAllocation {
  batchNo: string;
  binCode: string;
  walkOrder: number;
  quantity: number;
}

/**
 * Allocates `quantity` units of a SKU to one order line of a parcel from the batches that passed
 * inspection, earliest expiry first. Each allocation is a document with a unique id, so a retry
 * after a crash finds what it already took instead of taking it twice. Callers run one at a time
 * (the routing worker's concurrency is 1): FerretDB offers no transaction to arbitrate two
 * allocators reading the same remaining quantity. Returns fewer units than asked when the hub
 * holds fewer; the pick list then shows the gap.
 */
export async function allocateFirstExpiryFirst(
  parcelNo: string,
  orderNo: string,
  skuId: Types.ObjectId,
  quantity: number,
  walkOrderOf: (binCode: string) => number,
): Promise<LineAllocation[]> {
  const taken = await BatchAllocationModel.find({ parcelNo, orderNo, skuId }).lean();
  let missing = quantity - taken.reduce((sum, a) => sum + a.quantity, 0);
  if (missing > 0) {
    const batches = await BatchModel.find({ skuId, 'qc.result': 'passed' })
      .sort({ expiresAt: 1, receivedAt: 1 })
      .lean();
    const used = await allocatedByBatch(batches.map((b) => b._id));
    for (const batch of batches) {
      if (missing === 0) break;
      const free = batch.quantity - (used.get(String(batch._id)) ?? 0);
      if (free <= 0) continue;
      const take = Math.min(free, missing);
      await BatchAllocationModel.create({
        allocationId: `${parcelNo}:${orderNo}:${String(skuId)}:${batch.batchNo}`,
        batchId: batch._id,
        batchNo: batch.batchNo,
        parcelNo,
        orderNo,
        skuId,
        quantity: take,
      }).catch((error: unknown) => {
        if ((error as { code?: number }).code !== 11000) throw error;
      });
      missing -= take;
    }
  }
  const all = await BatchAllocationModel.find({ parcelNo, orderNo, skuId }).lean();
  const bins = new Map(
    (await BatchModel.find({ _id: { $in: all.map((a) => a.batchId) } }, { binCode: 1 }).lean()).map(
      (b) => [String(b._id), b.binCode],
    ),
  );
  return all.map((a) => {
    const binCode = bins.get(String(a.batchId)) ?? '';
    return { batchNo: a.batchNo, binCode, walkOrder: walkOrderOf(binCode), quantity: a.quantity };
  });
}

/** Units already promised from each batch. */
export async function allocatedByBatch(batchIds: Types.ObjectId[]): Promise<Map<string, number>> {
  const rows = await BatchAllocationModel.find(
    { batchId: { $in: batchIds } },
    { batchId: 1, quantity: 1 },
  ).lean();
  const used = new Map<string, number>();
  for (const row of rows)
    used.set(String(row.batchId), (used.get(String(row.batchId)) ?? 0) + row.quantity);
  return used;
}

/**
 * The batch the next order of this SKU will be packed from: the earliest-expiring batch that
 * passed inspection and still has units not promised to a parcel.
 */
export async function nextBatchToShip(skuId: Types.ObjectId) {
  const batches = await BatchModel.find({ skuId, 'qc.result': 'passed' })
    .sort({ expiresAt: 1, receivedAt: 1 })
    .lean();
  const used = await allocatedByBatch(batches.map((b) => b._id));
  return batches.find((b) => b.quantity - (used.get(String(b._id)) ?? 0) > 0);
}
