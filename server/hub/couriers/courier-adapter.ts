// How Cunbo talks to a courier company: waybill numbers out, tracking events in. The hub ships a
// local adapter (numbers issued here, events posted to /couriers/:code/events); a real carrier or
// an aggregator (快递100, 菜鸟) plugs in by implementing the same interface.
import type { Parcel } from '../parcel.model.ts';

export const TRACKING_KINDS = [
  'collected',
  'in_transit',
  'at_station',
  'delivered',
  'failed',
] as const;
export type TrackingKind = (typeof TRACKING_KINDS)[number];

export interface TrackingEvent {
  /** The courier's own id for the event: the same id twice is the same event. */
  eventId: string;
  waybillNo: string;
  kind: TrackingKind;
  at: Date;
  location: string;
  note: string;
}

export interface WaybillRequest {
  parcelNo: string;
  courierCode: string;
  weightGrams: number;
  address: Parcel['address'];
}

export interface CourierAdapter {
  /** A new waybill number for the parcel. */
  issueWaybill(request: WaybillRequest): Promise<string>;
  /** Tells the courier a waybill will not be used (a voided label). */
  voidWaybill(courierCode: string, waybillNo: string): Promise<void>;
  /**
   * Checks that an incoming events request really comes from the courier (signature, freshness)
   * and reads its events; throws a typed error otherwise.
   */
  readEvents(
    courierCode: string,
    headers: Record<string, string | string[] | undefined>,
    rawBody: Buffer,
  ): Promise<TrackingEvent[]>;
}
