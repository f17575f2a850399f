import { Schema, model, type InferSchemaType } from 'mongoose';
import { localizedTextSchema } from '../core/localized-text.ts';
import { ALL_PROVINCES, DESTINATION_ZONES, MAINLAND_PROVINCES } from './destination-zones.ts';

/** 'HH:MM', read in Asia/Shanghai time. */
export const PICKUP_CUTOFF_PATTERN = /^([01][0-9]|2[0-3]):[0-5][0-9]$/;
export const MAX_PROMISED_DAYS = 15;

const fen = { type: Number, required: true, min: 0, validate: Number.isSafeInteger };

const rateSchema = new Schema(
  {
    zone: { type: String, required: true, enum: DESTINATION_ZONES },
    firstKgFen: fen,
    extraKgFen: fen,
    /** Calendar days from the ship date to the promised delivery. */
    promisedDays: {
      type: Number,
      required: true,
      min: 1,
      max: MAX_PROMISED_DAYS,
      validate: Number.isSafeInteger,
    },
  },
  { _id: false },
);

const coverageSchema = new Schema(
  {
    /** Short province names ('山西', '内蒙古'), or ['*'] for the whole mainland. */
    provinces: {
      type: [String],
      required: true,
      validate: {
        validator: (list: string[]) =>
          list.length > 0 &&
          list.every((p) => p === ALL_PROVINCES || MAINLAND_PROVINCES.includes(p)),
        message: 'provinces must be short mainland province names or *',
      },
    },
    /** Counties it does not serve: '墨脱县', or '西藏/墨脱县' where the name alone is ambiguous. */
    excludedCounties: { type: [String], default: [] },
    /** Whether it delivers to a village address, not only to a township or town. */
    reachesVillages: { type: Boolean, required: true },
  },
  { _id: false },
);

const weightBandSchema = new Schema(
  {
    minWeightGrams: { type: Number, required: true, min: 1, validate: Number.isSafeInteger },
    maxWeightGrams: { type: Number, required: true, min: 1, validate: Number.isSafeInteger },
  },
  { _id: false },
);
weightBandSchema.path('maxWeightGrams').validate(function (this: { minWeightGrams: number }, max) {
  return max >= this.minWeightGrams;
}, 'maxWeightGrams must not be below minWeightGrams');

const courierSchema = new Schema(
  {
    code: { type: String, required: true, unique: true, match: /^[a-z0-9-]{2,20}$/ },
    name: { type: localizedTextSchema, required: true },
    coverage: { type: coverageSchema, required: true },
    weightBand: { type: weightBandSchema, required: true },
    /** At most one rate per zone; a zone without a rate is a zone it does not take. */
    rateCard: {
      type: [rateSchema],
      default: [],
      validate: {
        validator: (card: { zone: string }[]) =>
          new Set(card.map((r) => r.zone)).size === card.length,
        message: 'one rate per zone',
      },
    },
    /** Parcels it collects from the hub per ship date; 0 pauses it. */
    dailyCapacity: { type: Number, required: true, min: 0, validate: Number.isSafeInteger },
    /** Parcels handed over before this time (Asia/Shanghai) ship the same day. */
    pickupCutoff: { type: String, required: true, match: PICKUP_CUTOFF_PATTERN },
    active: { type: Boolean, default: true },
  },
  { timestamps: true },
);

export type Courier = InferSchemaType<typeof courierSchema>;
export type CourierRate = InferSchemaType<typeof rateSchema>;
export const CourierModel = model('Courier', courierSchema);
