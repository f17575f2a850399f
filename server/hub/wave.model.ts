import { Schema, model, type InferSchemaType } from 'mongoose';

/** A pick wave: the routed parcels of the couriers that collect at one cut-off time. */
const waveSchema = new Schema(
  {
    waveNo: { type: String, required: true, unique: true },
    hubId: { type: Schema.Types.ObjectId, ref: 'Hub', required: true },
    pickupCutoff: { type: String, required: true },
    courierCodes: { type: [String], default: [] },
    parcelNos: { type: [String], default: [] },
    status: { type: String, enum: ['picking', 'done'], required: true },
    createdBy: { type: String, required: true },
  },
  { timestamps: true },
);

export type Wave = InferSchemaType<typeof waveSchema>;
export const WaveModel = model('Wave', waveSchema);
