import { Schema, model, type InferSchemaType } from 'mongoose';

/** A farmer or cooperative whose produce the hub receives; linked to the shops that sell it. */
const producerSchema = new Schema(
  {
    /** The county's registration code (e.g. a cooperative's unified social credit code). */
    registrationCode: { type: String, required: true, unique: true, match: /^[0-9A-Z-]{6,30}$/ },
    name: { type: String, required: true, maxlength: 60 },
    kind: { type: String, enum: ['farmer', 'cooperative'], required: true },
    villageId: { type: Schema.Types.ObjectId, ref: 'Village', required: true },
    contact: {
      person: { type: String, required: true, maxlength: 30 },
      phone: { type: String, required: true, match: /^1[3-9][0-9]{9}$/ },
    },
    shopIds: { type: [Schema.Types.ObjectId], ref: 'Shop', default: [] },
  },
  { timestamps: true },
);

export type Producer = InferSchemaType<typeof producerSchema>;
export const ProducerModel = model('Producer', producerSchema);
