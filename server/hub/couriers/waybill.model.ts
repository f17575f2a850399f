import { Schema, model, type InferSchemaType } from 'mongoose';

/**
 * Every waybill number the hub issued itself (the local courier adapter). Redis hands out the
 * sequence; this unique index is what guarantees a number is never issued twice, even after Redis
 * loses its counters.
 */
const waybillSchema = new Schema(
  {
    courierCode: { type: String, required: true },
    waybillNo: { type: String, required: true },
    /** The counter value the number was made from (to lift the counter after a Redis wipe). */
    seq: { type: Number, required: true },
    parcelNo: { type: String, required: true, index: true },
    issuedAt: { type: Date, required: true },
    voidedAt: { type: Date },
    /**
     * `<courierCode>:<parcelNo>` while the number is in use, removed when it is voided: one
     * number in use per parcel and courier, and the key a retry finds it by (a unique key is what
     * FerretDB can look up without reading every waybill of the courier).
     */
    activeKey: { type: String, unique: true, sparse: true },
  },
  { timestamps: false },
);
waybillSchema.index({ courierCode: 1, waybillNo: 1 }, { unique: true });
waybillSchema.index({ courierCode: 1, seq: -1 });

export type Waybill = InferSchemaType<typeof waybillSchema>;
export const WaybillModel = model('Waybill', waybillSchema);
