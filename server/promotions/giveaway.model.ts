import { Schema, model, type InferSchemaType } from 'mongoose';
import { localizedTextSchema } from '../core/localized-text.ts';

export const GIVEAWAY_STATUSES = ['open', 'drawing', 'drawn'] as const;
export const PRIZE_KINDS = ['sku', 'coupon'] as const;
export const ENTRY_MODES = ['tap', 'keyword'] as const;
export const WINNER_OUTCOMES = ['won', 'out_of_stock'] as const;

const winnerSchema = new Schema(
  {
    token: { type: String, required: true },
    buyerId: { type: Schema.Types.ObjectId, ref: 'User', required: true },
    /** Masked (陈*) when it is recorded: the room and the public record show only this. */
    name: { type: String, required: true },
    outcome: { type: String, enum: WINNER_OUTCOMES },
    /** The ¥0 order of a SKU prize. */
    orderNo: { type: String },
  },
  { _id: false },
);

const prizeSchema = new Schema(
  {
    kind: { type: String, enum: PRIZE_KINDS, required: true },
    /** `sku`: one unit of this SKU, on a ¥0 order. */
    skuId: { type: Schema.Types.ObjectId, ref: 'Sku' },
    title: { type: localizedTextSchema },
    spec: { type: localizedTextSchema },
    /** `coupon`: a coupon kept for the winners (Coupon.prizeOf is this giveaway). */
    couponId: { type: String },
    offFen: { type: Number, min: 0, validate: Number.isSafeInteger },
    minFen: { type: Number, min: 0, validate: Number.isSafeInteger },
  },
  { _id: false },
);

/**
 * A lucky bag (福袋) in a live session: a prize for `winners` of the buyers who entered while it
 * was open, drawn with a seeded, recorded, reproducible draw (giveaway-draw.ts).
 */
const giveawaySchema = new Schema(
  {
    giveawayId: { type: String, required: true, unique: true },
    sessionId: { type: Schema.Types.ObjectId, ref: 'LiveSession', required: true, index: true },
    shopId: { type: Schema.Types.ObjectId, ref: 'Shop', required: true },
    prize: { type: prizeSchema, required: true },
    winners: { type: Number, required: true, min: 1, max: 100, validate: Number.isSafeInteger },
    entry: { type: String, enum: ENTRY_MODES, required: true },
    /** `keyword`: a comment of exactly this enters. */
    keyword: { type: String, maxlength: 12 },
    endsAt: { type: Date, required: true },
    status: { type: String, enum: GIVEAWAY_STATUSES, required: true, default: 'open' },
    /** Secret until the draw; its SHA-256 (`seedHash`) is public from the start. */
    seed: { type: String, required: true },
    seedHash: { type: String, required: true },
    // The record, once drawn: the entry tokens' count and hash (the tokens themselves are in
    // GiveawayEntryList), the drawn order and who won.
    entryCount: { type: Number },
    entriesHash: { type: String },
    drawn: { type: [String], default: undefined },
    results: { type: [winnerSchema], default: undefined },
    /** Drawn winners left without a prize because the prize ran out. */
    shortBy: { type: Number },
    drawnAt: { type: Date },
    createdBy: { type: Schema.Types.ObjectId, ref: 'User', required: true },
  },
  { timestamps: true },
);

/**
 * A drawn giveaway's entry tokens, sorted (`_id` is the giveaway's id). Kept apart from the
 * giveaway, which the room reads every second: a big bag has tens of thousands of them.
 */
const giveawayEntryListSchema = new Schema(
  {
    _id: { type: String, required: true },
    entries: { type: [String], default: [] },
  },
  { timestamps: true },
);

export type Giveaway = InferSchemaType<typeof giveawaySchema>;
export const GiveawayEntryListModel = model('GiveawayEntryList', giveawayEntryListSchema);
export type PrizeKind = (typeof PRIZE_KINDS)[number];
export const GiveawayModel = model('Giveaway', giveawaySchema);
