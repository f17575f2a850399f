// The hub's records as the trace page reads them: a parcel, the batches its lines were taken
// from, its courier's name and a batch's inspection report. Trace calls these, never the hub's
// models (`npm run lint` checks).
import type { Types } from 'mongoose';
import { inParallel } from '../core/in-parallel.ts';
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

// ---- the county's figures (server/county/) ----

const FIGURE_FIELDS = {
  parcelNo: 1,
  courierCode: 1,
  'address.province': 1,
  handedOverAt: 1,
  exceptions: 1,
  orderNos: 1,
} as const;

export interface ParcelForFigures {
  _id: Types.ObjectId;
  parcelNo: string;
  courierCode?: string | null;
  address: { province: string };
  handedOverAt?: Date | null;
  exceptions: { code: string; at: Date }[];
  orderNos: string[];
}

/** The parcels by number, with what the county's figures count (absent ones left out). */
export async function parcelsForFigures(parcelNos: readonly string[]) {
  // One look-up each: FerretDB v1 serves equality on a unique key from an index, never `$in`.
  const found = await inParallel(parcelNos, (parcelNo) =>
    ParcelModel.findOne({ parcelNo }, FIGURE_FIELDS).lean<ParcelForFigures>(),
  );
  return found.filter((p): p is ParcelForFigures => p !== null);
}

/** Every parcel, read once from start to end (a rebuild of the county's figures). */
export function allParcelsForFigures(): AsyncIterable<ParcelForFigures> {
  return ParcelModel.find({}, FIGURE_FIELDS).lean<ParcelForFigures[]>().cursor({ batchSize: 1000 });
}

/** Where each parcel goes (its province), by parcel number. */
export async function parcelProvinces(parcelNos: readonly string[]): Promise<Map<string, string>> {
  const found = await inParallel(parcelNos, (parcelNo) =>
    ParcelModel.findOne({ parcelNo }, { parcelNo: 1, 'address.province': 1 }).lean<{
      parcelNo: string;
      address?: { province?: string };
    }>(),
  );
  return new Map(
    found.filter((p) => p !== null).map((p) => [p!.parcelNo, p!.address?.province ?? '']),
  );
}

/** Every courier's daily pickup cut-off ("17:30"), by courier code. */
export async function courierCutoffs(): Promise<Map<string, string>> {
  const found = await CourierModel.find({}, { code: 1, pickupCutoff: 1 }).lean();
  return new Map(found.map((c) => [c.code, c.pickupCutoff]));
}

/** Received batches that expire in [from, until) and passed inspection, soonest first. */
export function batchesExpiringBetween(from: Date, until: Date) {
  return BatchModel.find(
    { expiresAt: { $gte: from, $lt: until }, 'qc.result': 'passed' },
    { batchNo: 1, skuId: 1, villageId: 1, producer: 1, quantity: 1, expiresAt: 1 },
  )
    .sort({ expiresAt: 1 })
    .limit(100)
    .lean();
}

/** Batches that failed their inspection since `since`, newest first. */
export function batchesFailedSince(since: Date) {
  return BatchModel.find(
    { 'qc.result': 'failed', receivedAt: { $gte: since } },
    { batchNo: 1, skuId: 1, villageId: 1, producer: 1, quantity: 1, receivedAt: 1, qc: 1 },
  )
    .sort({ receivedAt: -1 })
    .limit(100)
    .lean();
}

/** Every courier's (localised) name, by courier code. */
export async function courierNames() {
  const found = await CourierModel.find({}, { code: 1, name: 1 }).lean();
  return new Map(found.map((c) => [c.code, c.name]));
}
