import { Schema, model, type InferSchemaType } from 'mongoose';
import { localizedTextSchema } from '../core/localized-text.ts';

const binSchema = new Schema(
  {
    code: { type: String, required: true }, // A-01-02: zone, aisle, shelf
    zone: { type: String, required: true },
    /** Position along the picker's walk; pick lists sort by it. */
    walkOrder: { type: Number, required: true },
  },
  { _id: false },
);

const hubSchema = new Schema(
  {
    code: { type: String, required: true, unique: true },
    name: { type: localizedTextSchema, required: true },
    address: { type: String, required: true },
    phone: { type: String, required: true },
    bins: { type: [binSchema], default: [] },
  },
  { timestamps: true },
);

export type Hub = InferSchemaType<typeof hubSchema>;
export const HubModel = model('Hub', hubSchema);
