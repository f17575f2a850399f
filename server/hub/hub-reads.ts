// The hub's records as the trace page reads them: a parcel, the batches its lines were taken
// from, its courier's name and a batch's inspection report. Trace calls these, never the hub's
// models (`npm run lint` checks).
import type { Types } from 'mongoose';
import { BatchAllocationModel, BatchModel } from './batch.model.ts';
import { CourierModel } from './courier.model.ts';
import { ParcelModel } from './parcel.model.ts';

export type { Batch } from './batch.model.ts';

export function parcelByNo(parcelNo: string) {
  return ParcelModel.findOne({ parcelNo }).lean();
}

/** The batches one line of a parcel was taken from (one line can span several batches). */
export async function batchesOfParcelLine(line: {
  parcelNo: string;
  orderNo: string;
  skuId: Types.ObjectId;
}) {
  const allocations = await BatchAllocationModel.find({
    parcelNo: line.parcelNo,
    orderNo: line.orderNo,
    skuId: line.skuId,
  }).lean();
  return BatchModel.find({ batchNo: { $in: allocations.map((a) => a.batchNo) } }).lean();
}

/** A courier's (localised) name by its code, or null. */
export async function courierNameByCode(code: string) {
  const courier = await CourierModel.findOne({ code }, { name: 1 }).lean();
  return courier?.name ?? null;
}

/** The inspection record of the batch whose report is this stored document, or null. */
export async function inspectionWithReport(documentId: string) {
  const batch = await BatchModel.findOne({ 'qc.reportDocumentId': documentId }, { qc: 1 }).lean();
  return batch?.qc ?? null;
}
