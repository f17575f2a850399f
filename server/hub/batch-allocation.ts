// First expiry, first out: which batches a parcel line's units come from.
import type { Types } from 'mongoose';
import { BatchAllocationModel, BatchModel } from './batch.model.ts';

export interface LineAllocation {
  batchNo: string;
  binCode: string;
  walkOrder: number;
  quantity: number;
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
