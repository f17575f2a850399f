import { Schema, model, type InferSchemaType } from 'mongoose';
import { addressSchema } from '../orders/address.schema.ts';
import { courierChoiceSchema } from './courier-choice.schema.ts';

/**
 * A parcel's life at the hub. `open` collects the buyer's paid orders to one address during the
 * consolidation window; `routed` has a courier and a waybill; a wave takes it to `picking`;
 * scanning every item and weighing it makes it `packed`; the courier's signature on the
 * manifest makes it `handed_over`; tracking events take it to `in_transit`, `at_station`,
 * `delivered` (or `failed`).
 */
export const PARCEL_STATUSES = [
  'open',
  'routed',
  'picking',
  'packed',
  'handed_over',
  'in_transit',
  'at_station',
  'delivered',
  'failed',
  'held',
  'unroutable',
  'cancelled',
] as const;
export type ParcelStatus = (typeof PARCEL_STATUSES)[number];

const allocationSchema = new Schema(
  {
    batchNo: { type: String, required: true },
    binCode: { type: String, required: true },
    walkOrder: { type: Number, required: true },
    quantity: { type: Number, required: true, min: 1 },
  },
  { _id: false },
);

const parcelLineSchema = new Schema(
  {
    orderNo: { type: String, required: true },
    shopId: { type: Schema.Types.ObjectId, ref: 'Shop', required: true },
    skuId: { type: Schema.Types.ObjectId, ref: 'Sku', required: true },
    skuCode: { type: String, required: true },
    barcode: { type: String, required: true },
    title: { type: String, required: true },
    spec: { type: String, default: '' },
    quantity: { type: Number, required: true, min: 1 },
    weightGrams: { type: Number, required: true, min: 0 },
    allocations: { type: [allocationSchema], default: [] },
    picked: { type: Number, default: 0, min: 0 },
    packed: { type: Number, default: 0, min: 0 },
    /** This line's own trace code (/t/:code), issued at packing. */
    traceCode: { type: String },
    /** Units the pickers could not find (short pick): refunded, not shipped. */
    short: { type: Number, default: 0, min: 0 },
  },
  { _id: false },
);

const trackingSchema = new Schema(
  {
    eventId: { type: String, required: true },
    kind: {
      type: String,
      required: true,
      enum: ['collected', 'in_transit', 'at_station', 'delivered', 'failed'],
    },
    at: { type: Date, required: true },
    location: { type: String, default: '' },
    note: { type: String, default: '' },
  },
  { _id: false },
);

const exceptionSchema = new Schema(
  {
    code: {
      type: String,
      required: true,
      enum: ['short_pick', 'damaged', 'address_unreachable', 'order_cancelled'],
    },
    note: { type: String, default: '' },
    by: { type: String, required: true },
    at: { type: Date, required: true },
    resolvedAt: { type: Date },
  },
  { _id: false },
);

const parcelSchema = new Schema(
  {
    parcelNo: { type: String, required: true, unique: true },
    hubId: { type: Schema.Types.ObjectId, ref: 'Hub', required: true },
    buyerId: { type: Schema.Types.ObjectId, ref: 'User', required: true, index: true },
    /** The same buyer's orders to the same normalised address share a parcel. */
    addressKey: { type: String, required: true },
    address: { type: addressSchema, required: true },
    orderNos: { type: [String], default: [] },
    lines: { type: [parcelLineSchema], default: [] },
    status: { type: String, enum: PARCEL_STATUSES, required: true, index: true },
    /** Orders paid before this moment may still join (the consolidation window). */
    openUntil: { type: Date, required: true },
    preferredCourier: { type: String },
    courierCode: { type: String, index: true },
    courierChoice: { type: courierChoiceSchema },
    waybillNo: { type: String, index: true },
    /** The unguessable code behind the label's QR (/t/:code); issued at packing. */
    traceCode: { type: String, unique: true, sparse: true },
    voidedWaybills: { type: [String], default: [] },
    shipDate: { type: String, index: true },
    waveNo: { type: String, index: true },
    /** Contents plus packaging, from the catalogue: what the courier was chosen by. */
    estimatedWeightGrams: { type: Number, min: 1 },
    /** Weighed at packing. */
    weightGrams: { type: Number, min: 1 },
    labelPrints: { type: Number, default: 0 },
    manifestNo: { type: String },
    packedAt: { type: Date },
    handedOverAt: { type: Date },
    /** The courier's driver who signed the manifest. */
    handedOverBy: { type: String },
    /** Where a held parcel was when it was stopped, so it can resume. */
    heldFrom: { type: String },
    firstScanAt: { type: Date },
    tracking: { type: [trackingSchema], default: [] },
    exceptions: { type: [exceptionSchema], default: [] },
  },
  { timestamps: true },
);

export type Parcel = InferSchemaType<typeof parcelSchema>;
export const ParcelModel = model('Parcel', parcelSchema);
