import { Schema, model, type InferSchemaType } from 'mongoose';
import { localizedTextSchema } from '../core/localized-text.ts';
import { addressSchema } from './address.schema.ts';
import { ORDER_STATUSES, type OrderStatus } from './order-status.ts';

export { ORDER_STATUSES, type OrderStatus };

/** Orders whose units are taken from stock (placed and not given back). */
export const STOCK_HOLDING_STATUSES: OrderStatus[] = [
  'pending_payment',
  'paid',
  'routed',
  'picking',
  'packed',
  'shipped',
  'delivered',
  'partially_refunded',
];
/** Orders whose money was received and kept, at least in part. */
export const PAID_STATUSES: OrderStatus[] = [
  'paid',
  'routed',
  'picking',
  'packed',
  'shipped',
  'delivered',
  'partially_refunded',
];

/** `giveaway`: a lucky bag's prize, one unit at ¥0, sent without payment. */
export const ORDER_CHANNELS = ['storefront', 'live', 'comment', 'giveaway'] as const;
export type OrderChannel = (typeof ORDER_CHANNELS)[number];

const integerFen = { type: Number, required: true, min: 0, validate: Number.isSafeInteger };

const orderLineSchema = new Schema(
  {
    skuId: { type: Schema.Types.ObjectId, ref: 'Sku', required: true },
    skuCode: { type: String, required: true },
    productId: { type: Schema.Types.ObjectId, ref: 'Product', required: true },
    productSlug: { type: String, required: true },
    title: { type: localizedTextSchema, required: true },
    spec: { type: localizedTextSchema, required: true },
    photo: { type: String },
    unitPriceFen: integerFen,
    quantity: { type: Number, required: true, min: 1, validate: Number.isSafeInteger },
    lineTotalFen: integerFen,
    weightGrams: { type: Number, required: true, min: 1 },
    /** The stock counter epoch the units were reserved under (see stock-reservations.ts). */
    stockEpoch: { type: String, required: true },
  },
  { _id: false },
);

const timelineEntrySchema = new Schema(
  {
    at: { type: Date, required: true },
    from: { type: String, enum: [...ORDER_STATUSES, null] },
    to: { type: String, enum: ORDER_STATUSES, required: true },
    actor: { type: String, required: true }, // "buyer:<id>", "system:order-expiry", ...
    /** An i18n code (timeline.*) rendered in the reader's language with `params`. */
    reason: { type: String, required: true, maxlength: 200 },
    params: { type: Schema.Types.Mixed, default: undefined },
  },
  { _id: false },
);

const orderSchema = new Schema(
  {
    orderNo: { type: String, required: true, unique: true },
    /** `<buyerId>:<client key>`: the same key placed twice is the same order (invariant 4). */
    idempotencyKey: { type: String, required: true, unique: true },
    buyerId: { type: Schema.Types.ObjectId, ref: 'User', required: true, index: true },
    shopId: { type: Schema.Types.ObjectId, ref: 'Shop', required: true, index: true },
    channel: { type: String, enum: ORDER_CHANNELS, required: true },
    /** For orders placed in a live room: which session and offer. */
    live: {
      sessionId: { type: Schema.Types.ObjectId, ref: 'LiveSession' },
      offerId: { type: String },
      /** The offer's counter epoch the units were taken under (see server/live/live-buy.lua). */
      epoch: { type: String },
    },
    lines: { type: [orderLineSchema], required: true },
    itemsTotalFen: integerFen,
    shippingFen: integerFen,
    /** Taken off by a coupon (absent when none): totalFen = itemsTotalFen + shippingFen − this. */
    discountFen: { type: Number, min: 0, validate: Number.isSafeInteger },
    /** The live coupon the buyer put on this order, while it is on. */
    couponId: { type: String },
    /** Bumped each time the total changes before payment: each total gets its own PaymentIntent. */
    priceVersion: { type: Number, min: 0, validate: Number.isSafeInteger },
    totalFen: integerFen,
    currency: { type: String, required: true, enum: ['CNY'], default: 'CNY' },
    /** Missing only while a live order waits for its first-time buyer to give one (before paying). */
    address: { type: addressSchema, required: false },
    status: { type: String, enum: ORDER_STATUSES, required: true, index: true },
    payBy: { type: Date, required: true },
    /** 1 for the order's own reservation; 2 after a late payment took the stock again. */
    stockRound: { type: Number, default: 1 },
    /** The courier the buyer asked for at checkout, if any. */
    preferredCourier: { type: String },
    /** The hub parcel this order travels in, once routed. */
    parcelNo: { type: String, index: true },
    /** Something the hub needs from the buyer (e.g. address_unreachable). */
    hubNotice: { type: String },
    timeline: { type: [timelineEntrySchema], default: [] },
  },
  { timestamps: true },
);

export type Order = InferSchemaType<typeof orderSchema>;
export type OrderLine = InferSchemaType<typeof orderLineSchema>;
export const OrderModel = model('Order', orderSchema);
