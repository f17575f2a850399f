// How a parcel keeps the courier decision: the chosen result of `chooseCourier` as stored codes
// (render them with `summariseChoice`), so the reason can be shown later in any language.
import { Schema, type InferSchemaType } from 'mongoose';
import { REJECTION_CODES, type CourierChosen } from './courier-choice.ts';
import { DESTINATION_ZONES } from './destination-zones.ts';

const YMD = /^\d{4}-\d{2}-\d{2}$/;

const rejectionSchema = new Schema(
  {
    courierCode: { type: String, required: true },
    code: { type: String, required: true, enum: REJECTION_CODES },
    shipDate: { type: String, match: YMD },
  },
  { _id: false },
);

/** Embed as `courierChoice: { type: courierChoiceSchema }` in the parcel. */
export const courierChoiceSchema = new Schema(
  {
    courierCode: { type: String, required: true },
    feeFen: { type: Number, required: true, min: 0, validate: Number.isSafeInteger },
    zone: { type: String, required: true, enum: DESTINATION_ZONES },
    shipDate: { type: String, required: true, match: YMD },
    promisedDays: { type: Number, required: true, min: 1 },
    promisedDeliveryDate: { type: String, required: true, match: YMD },
    reason: {
      type: new Schema(
        {
          rule: { type: String, required: true, enum: ['preferred', 'cheapest'] },
          preferredCourier: { type: String },
          rejected: { type: [rejectionSchema], default: [] },
        },
        { _id: false },
      ),
      required: true,
    },
    decidedAt: { type: Date, required: true },
  },
  { _id: false },
);

export type RecordedCourierChoice = InferSchemaType<typeof courierChoiceSchema>;

/** The chosen result as the parcel stores it. */
export function recordedChoice(choice: CourierChosen, decidedAt: Date) {
  const { kind: _kind, ...stored } = choice;
  return { ...stored, decidedAt };
}
