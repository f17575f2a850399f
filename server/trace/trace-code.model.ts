import { Schema, model, type InferSchemaType } from 'mongoose';

/**
 * One printed code (一物一码): a parcel's code on its label, or a parcel line's. Every lookup is
 * counted, and the first one is remembered, so a buyer can see when a code was copied.
 */
const traceCodeSchema = new Schema(
  {
    code: { type: String, required: true, unique: true },
    parcelNo: { type: String, required: true, index: true },
    /** The line within the parcel; absent for the parcel's own code. */
    lineIndex: { type: Number, min: 0 },
    scans: { type: Number, default: 0 },
    firstScanAt: { type: Date },
    lastScanAt: { type: Date },
  },
  { timestamps: true },
);

export type TraceCode = InferSchemaType<typeof traceCodeSchema>;
export const TraceCodeModel = model('TraceCode', traceCodeSchema);
