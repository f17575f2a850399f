// Traceability as the county reads it: how often each printed code was scanned and when first,
// and the certifications about to lapse. The county calls these, never the trace models
// (`npm run lint` checks).
import type { Types } from 'mongoose';
import { CertificationModel } from './certification.model.ts';
import { TraceCodeModel } from './trace-code.model.ts';

/** Verified certifications whose validity ends in [from, until), soonest first. */
export function certificationsLapsingBetween(from: Date, until: Date) {
  return CertificationModel.find(
    { status: 'verified', validTo: { $gte: from, $lt: until } },
    { shopId: 1, kind: 1, number: 1, validTo: 1 },
  )
    .sort({ validTo: 1 })
    .limit(100)
    .lean();
}

const FIGURE_FIELDS = { code: 1, parcelNo: 1, scans: 1, firstScanAt: 1 } as const;

export interface CodeForFigures {
  _id: Types.ObjectId;
  code: string;
  parcelNo: string;
  scans: number;
  firstScanAt?: Date | null;
}

export function codesForFigures(codes: readonly string[]) {
  return TraceCodeModel.find({ code: { $in: [...codes] } }, FIGURE_FIELDS).lean<CodeForFigures[]>();
}

/** A page of every scanned code by id (a rebuild of the county's figures). */
export function scannedCodePage(afterId: Types.ObjectId | undefined, limit: number) {
  return TraceCodeModel.find(
    { scans: { $gt: 0 }, ...(afterId ? { _id: { $gt: afterId } } : {}) },
    FIGURE_FIELDS,
  )
    .sort({ _id: 1 })
    .limit(limit)
    .lean<CodeForFigures[]>();
}

/** The codes changed (scanned) in [from, to). */
export async function codesChangedBetween(from: Date, to: Date): Promise<string[]> {
  const found = await TraceCodeModel.find(
    { updatedAt: { $gte: from, $lt: to } },
    { code: 1 },
  ).lean();
  return found.map((c) => c.code);
}

/** Codes scanned far more often than one buyer would: the most-scanned first. */
export function mostScannedCodes(minScans: number, limit: number) {
  return TraceCodeModel.find({ scans: { $gte: minScans } }, FIGURE_FIELDS)
    .sort({ scans: -1 })
    .limit(limit)
    .lean<CodeForFigures[]>();
}
