// Traceability as the county reads it: how often each printed code was scanned and when first,
// and the certifications about to lapse. The county calls these, never the trace models
// (`npm run lint` checks).
import type { Types } from 'mongoose';
import { inParallel } from '../core/in-parallel.ts';
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

/** The trace codes by code, with what the county's figures count (absent ones left out). */
export async function codesForFigures(codes: readonly string[]) {
  // One look-up each: FerretDB v1 serves equality on a unique key from an index, never `$in`.
  const found = await inParallel(codes, (code) =>
    TraceCodeModel.findOne({ code }, FIGURE_FIELDS).lean<CodeForFigures>(),
  );
  return found.filter((c): c is CodeForFigures => c !== null);
}

/** Every trace code, read once from start to end (a rebuild of the county's figures). */
export function allCodesForFigures(): AsyncIterable<CodeForFigures> {
  return TraceCodeModel.find({}, FIGURE_FIELDS)
    .lean<CodeForFigures[]>()
    .cursor({ batchSize: 1000 });
}
