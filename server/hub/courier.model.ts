import { Schema, model, type InferSchemaType } from 'mongoose';
import { localizedTextSchema } from '../core/localized-text.ts';

const courierSchema = new Schema(
  {
    code: { type: String, required: true, unique: true, match: /^[a-z0-9-]{2,20}$/ },
    name: { type: localizedTextSchema, required: true },
    /** First kilogram and each further kilogram, in fen. Zone-specific cards come with routing. */
    firstKgFen: { type: Number, required: true, min: 0, validate: Number.isSafeInteger },
    extraKgFen: { type: Number, required: true, min: 0, validate: Number.isSafeInteger },
    maxWeightGrams: { type: Number, required: true, min: 1 },
    dailyCapacity: { type: Number, required: true, min: 0 },
    pickupCutoff: { type: String, required: true, match: /^([01][0-9]|2[0-3]):[0-5][0-9]$/ },
    promisedDays: { type: Number, required: true, min: 1 },
    reachesVillages: { type: Boolean, required: true },
    active: { type: Boolean, default: true },
  },
  { timestamps: true },
);

export type Courier = InferSchemaType<typeof courierSchema>;
export const CourierModel = model('Courier', courierSchema);
