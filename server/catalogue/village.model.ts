import { Schema, model, type InferSchemaType } from 'mongoose';
import { localizedTextSchema } from '../core/localized-text.ts';

const villageSchema = new Schema(
  {
    code: { type: String, required: true, unique: true }, // e.g. PS-XIGOU
    name: { type: localizedTextSchema, required: true },
    township: { type: localizedTextSchema, required: true },
    county: { type: localizedTextSchema, required: true },
    province: { type: String, required: true }, // 山西省
    city: { type: String, required: true }, // 长治市
    /** Position on the county map shipped in the repo, in its 0–1000 coordinate box. */
    mapPoint: {
      x: { type: Number, required: true, min: 0, max: 1000 },
      y: { type: Number, required: true, min: 0, max: 1000 },
    },
    specialties: { type: [String], default: [] },
  },
  { timestamps: true },
);

export type Village = InferSchemaType<typeof villageSchema>;
export const VillageModel = model('Village', villageSchema);
