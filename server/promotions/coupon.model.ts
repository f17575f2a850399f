import { Schema, model, type InferSchemaType } from 'mongoose';

export const COUPON_KINDS = ['amount', 'percent'] as const;
export type CouponKind = (typeof COUPON_KINDS)[number];

const integerFen = { type: Number, min: 0, validate: Number.isSafeInteger };

/**
 * A batch of coupons a streamer dropped in a live session: `total` of them, first come, first
 * served, one per buyer, for orders from the session's shop.
 */
const couponSchema = new Schema(
  {
    /** Short and unguessable; the buyer's phone names the coupon by it. */
    couponId: { type: String, required: true, unique: true },
    sessionId: { type: Schema.Types.ObjectId, ref: 'LiveSession', required: true, index: true },
    shopId: { type: Schema.Types.ObjectId, ref: 'Shop', required: true },
    kind: { type: String, enum: COUPON_KINDS, required: true },
    /** `amount`: this much off. */
    offFen: { ...integerFen, default: 0 },
    /** `percent`: this share off (5–90), at most `capFen`. */
    percent: { type: Number, min: 0, max: 90, validate: Number.isSafeInteger, default: 0 },
    capFen: { ...integerFen, default: 0 },
    /** Orders whose goods come to at least this much (fen); 0 for any order. */
    minFen: { ...integerFen, default: 0 },
    total: { type: Number, required: true, min: 1, max: 10_000, validate: Number.isSafeInteger },
    /** Hours after the session ends that a claimed coupon may still be used. */
    hoursAfter: { type: Number, required: true, min: 0, max: 72 },
    /** Set when the session ends: claims stop, and use stops at this time. */
    useUntil: { type: Date },
    /** A lucky bag's prize: not claimable in the room, given to the draw's winners alone. */
    prizeOf: { type: String },
    createdBy: { type: Schema.Types.ObjectId, ref: 'User', required: true },
  },
  { timestamps: true },
);

/**
 * One buyer's claimed coupon. `_id` is `<couponId>:<buyerId>` (one each) and `slot` is
 * `<couponId>#<n>`, n from 1 to the coupon's total: both unique, so MongoDB itself refuses a
 * claim beyond the total even if Redis forgot who claimed what.
 */
const couponClaimSchema = new Schema(
  {
    _id: { type: String, required: true },
    slot: { type: String, required: true, unique: true },
    couponId: { type: String, required: true, index: true },
    buyerId: { type: Schema.Types.ObjectId, ref: 'User', required: true, index: true },
    shopId: { type: Schema.Types.ObjectId, ref: 'Shop', required: true },
    /** The order that uses it; unset while it is free to use. */
    usedBy: { type: String },
  },
  { timestamps: true },
);

export type Coupon = InferSchemaType<typeof couponSchema>;
export type CouponClaim = InferSchemaType<typeof couponClaimSchema>;
export const CouponModel = model('Coupon', couponSchema);
export const CouponClaimModel = model('CouponClaim', couponClaimSchema);
