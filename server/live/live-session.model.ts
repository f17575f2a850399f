import { Schema, model, type InferSchemaType } from 'mongoose';
import { localizedTextSchema } from '../core/localized-text.ts';

export const LIVE_STATUSES = ['scheduled', 'live', 'ended'] as const;

const integerFen = { type: Number, required: true, min: 1, validate: Number.isSafeInteger };

const offerSchema = new Schema(
  {
    offerId: { type: String, required: true, match: /^[a-z0-9]{6,12}$/ },
    skuId: { type: Schema.Types.ObjectId, ref: 'Sku', required: true },
    livePriceFen: integerFen,
    allotment: { type: Number, required: true, min: 0, validate: Number.isSafeInteger },
    perBuyerLimit: {
      type: Number,
      required: true,
      min: 1,
      max: 99,
      validate: Number.isSafeInteger,
    },
    /** Flash sale (秒杀): when it opens, and for how long (10–300 s). */
    flashStartsAt: { type: Date },
    flashDurationS: { type: Number, min: 10, max: 300 },
    pinOrder: { type: Number, default: 0 },
    pinned: { type: Boolean, default: false },
  },
  { _id: false },
);

export const MOMENT_KINDS = ['pin', 'flash', 'announce'] as const;

/** Something the console did on air, kept with its time: a replay's chapters are made of these. */
const momentSchema = new Schema(
  {
    at: { type: Date, required: true },
    kind: { type: String, enum: MOMENT_KINDS, required: true },
    offerId: { type: String },
    text: { type: String, maxlength: 120 },
  },
  { _id: false },
);

const liveSessionSchema = new Schema(
  {
    shopId: { type: Schema.Types.ObjectId, ref: 'Shop', required: true, index: true },
    title: { type: localizedTextSchema, required: true },
    coverImage: { type: String },
    scheduledAt: { type: Date, required: true },
    status: {
      type: String,
      enum: LIVE_STATUSES,
      required: true,
      default: 'scheduled',
      index: true,
    },
    /** An HLS playlist played in the page, or a link to where the video is hosted. */
    streamUrl: { type: String, maxlength: 500 },
    offers: { type: [offerSchema], default: [] },
    mutedUserIds: { type: [Schema.Types.ObjectId], default: [] },
    moments: { type: [momentSchema], default: [] },
    /** Set on a rehearsal (彩排): the scheduled session it practises. See live/rehearsals.ts. */
    rehearsalOf: { type: Schema.Types.ObjectId, ref: 'LiveSession' },
    /**
     * The recording, set by the streamer once the session is over: a video or HLS playlist played
     * in the replay page (chapters seek in it), or a link to where it is hosted.
     */
    replayUrl: { type: String, maxlength: 500 },
    startedAt: { type: Date },
    endedAt: { type: Date },
  },
  { timestamps: true },
);

export type LiveSession = InferSchemaType<typeof liveSessionSchema>;
export type LiveOffer = InferSchemaType<typeof offerSchema>;
export type LiveMoment = InferSchemaType<typeof momentSchema>;
export const LiveSessionModel = model('LiveSession', liveSessionSchema);
