import { Schema, model, type InferSchemaType } from 'mongoose';
import { TRACKING_KINDS } from './couriers/courier-adapter.ts';

/**
 * Every courier tracking event received, once: the unique index on the courier's own event id
 * makes a redelivered event a no-op (DESIGN invariant 4).
 */
const trackingEventSchema = new Schema(
  {
    courierCode: { type: String, required: true },
    eventId: { type: String, required: true },
    waybillNo: { type: String, required: true },
    parcelNo: { type: String, required: true, index: true },
    kind: { type: String, required: true, enum: TRACKING_KINDS },
    at: { type: Date, required: true },
    location: { type: String, default: '' },
    note: { type: String, default: '' },
    receivedAt: { type: Date, required: true },
  },
  { timestamps: false },
);
trackingEventSchema.index({ courierCode: 1, eventId: 1 }, { unique: true });

export type StoredTrackingEvent = InferSchemaType<typeof trackingEventSchema>;
export const TrackingEventModel = model('TrackingEvent', trackingEventSchema);
