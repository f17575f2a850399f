// What happens to a parcel after the courier signs for it: tracking events come in from the
// courier (at least once, in any order), move the parcel and its orders along, and show on the
// buyer's order page as they arrive.
import type { Types } from 'mongoose';
import { Conflict, NotFound, type AppError } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';
import { pickLocalized } from '../core/localized-text.ts';
import { ordersByNos, type Order } from '../orders/order-reads.ts';
import type { OrderEvents } from '../orders/order-service.ts';
import type { OrderStateMachine, TransitionActor } from '../orders/order-states.ts';
import type { CourierAdapters } from './couriers/courier-adapters.ts';
import type { TrackingEvent, TrackingKind } from './couriers/courier-adapter.ts';
import { CourierModel } from './courier.model.ts';
import type { Translate } from './courier-choice.ts';
import type { ParcelLocks } from './parcel-lock.ts';
import { ParcelModel, type Parcel, type ParcelStatus } from './parcel.model.ts';
import { TrackingEventModel } from './tracking-event.model.ts';
import { note } from '../orders/timeline.ts';

/** A parcel handed over this long ago without a courier scan is an alert on the hub screen. */
export const FIRST_SCAN_GRACE_MS = 24 * 3600 * 1000;

/** The parcel's status once this is its latest event. */
const STATUS_AFTER: Readonly<Record<TrackingKind, ParcelStatus>> = {
  collected: 'in_transit',
  in_transit: 'in_transit',
  at_station: 'at_station',
  delivered: 'delivered',
  failed: 'failed',
};

/** A courier can only scan what has left the packing bench. */
const TRACKABLE: readonly ParcelStatus[] = [
  'packed',
  'handed_over',
  'in_transit',
  'at_station',
  'delivered',
  'failed',
];
const SHOWN_TO_BUYER: readonly ParcelStatus[] = TRACKABLE.filter((s) => s !== 'packed');

export type RejectReason = 'unknown_waybill' | 'voided_waybill' | 'not_shipped';

export interface TrackingSummary {
  applied: number;
  duplicates: number;
  rejected: { eventId: string; waybillNo: string; reason: RejectReason }[];
}

/** When every event of a request is refused for the same reason, the request itself fails so. */
const REQUEST_ERROR: Readonly<Record<RejectReason, (params: Record<string, unknown>) => AppError>> =
  {
    unknown_waybill: (p) => new NotFound('errors.waybillNotFound', p),
    voided_waybill: (p) => new Conflict('errors.waybillVoided', p),
    not_shipped: (p) => new Conflict('errors.parcelNotShipped', p),
  };

export interface ParcelAwaitingScan {
  parcelNo: string;
  hubId: Types.ObjectId;
  courierCode: string | undefined;
  waybillNo: string | undefined;
  manifestNo: string | undefined;
  handedOverAt: Date;
  hoursWaiting: number;
}

export interface OrderTracking {
  courierCode: string;
  courierName: string;
  waybillNo: string;
  status: ParcelStatus;
  /** Newest first. */
  events: { at: Date; kind: TrackingKind; label: string; location: string; note: string }[];
  /** The trace pages of this order's items (issued at packing). */
  traceLinks: { title: string; spec: string; url: string }[];
}

export interface TrackingServiceDeps {
  adapters: CourierAdapters;
  states: OrderStateMachine;
  events: OrderEvents;
  locks: ParcelLocks;
  logger: Logger;
  /** Told a parcel a courier could not deliver (its exception counts in the county's figures). */
  parcelsChanged?: (parcelNos: string[]) => void;
}

export class TrackingService {
  private readonly deps: TrackingServiceDeps;
  constructor(deps: TrackingServiceDeps) {
    this.deps = deps;
  }

  /**
   * One request from a courier: verified and read by the courier's adapter, then each event
   * applied once. An event for a waybill we do not know is reported back and the rest still apply.
   */
  async receiveEvents(
    courierCode: string,
    headers: Record<string, string | string[] | undefined>,
    rawBody: Buffer,
  ): Promise<TrackingSummary> {
    if (!(await CourierModel.exists({ code: courierCode })))
      throw new NotFound('errors.courierNotFound', { code: courierCode });
    const adapter = this.deps.adapters.adapterFor(courierCode);
    const events = await adapter.readEvents(courierCode, headers, rawBody);
    const summary: TrackingSummary = { applied: 0, duplicates: 0, rejected: [] };
    const changedOrders = new Set<string>();
    // Oldest first, so a batch moves orders in the order things happened.
    const ordered = [...events].sort((a, b) => a.at.getTime() - b.at.getTime());
    try {
      for (const event of ordered) {
        const outcome = await this.applyEvent(courierCode, event, changedOrders);
        if (outcome === 'applied') summary.applied++;
        else if (outcome === 'duplicate') summary.duplicates++;
        else
          summary.rejected.push({
            eventId: event.eventId,
            waybillNo: event.waybillNo,
            reason: outcome,
          });
      }
    } finally {
      await this.notifyBuyers(changedOrders);
    }

    const reasons = new Set(summary.rejected.map((r) => r.reason));
    if (summary.applied + summary.duplicates === 0 && reasons.size === 1) {
      const [reason] = reasons;
      throw REQUEST_ERROR[reason!]({
        courier: courierCode,
        waybillNo: summary.rejected[0]!.waybillNo,
      });
    }
    return summary;
  }

  private async applyEvent(
    courierCode: string,
    event: TrackingEvent,
    changedOrders: Set<string>,
  ): Promise<'applied' | 'duplicate' | RejectReason> {
    const { waybillNo } = event;
    if (await this.deps.adapters.isVoided(courierCode, waybillNo)) return 'voided_waybill';
    const found = await ParcelModel.findOne({ courierCode, waybillNo }, { parcelNo: 1 }).lean();
    if (!found) {
      // A reprinted label: the parcel now travels under a new number.
      const reprinted = await ParcelModel.exists({ courierCode, voidedWaybills: waybillNo });
      return reprinted ? 'voided_waybill' : 'unknown_waybill';
    }

    return this.deps.locks.withParcel(found.parcelNo, async () => {
      const parcel = (await ParcelModel.findOne({ parcelNo: found.parcelNo }).lean())!;
      if (parcel.voidedWaybills.includes(waybillNo)) return 'voided_waybill';
      if (!TRACKABLE.includes(parcel.status)) return 'not_shipped';

      const firstTime = await this.recordEvent(courierCode, parcel.parcelNo, event);
      const applied = firstTime && !parcel.tracking.some((t) => t.eventId === event.eventId);
      const current = applied ? await this.addToParcel(parcel, courierCode, event) : parcel;
      // Also on a replay: finishes the orders if a crash came between the parcel and them.
      const moved = await this.moveOrders(current, courierCode);
      for (const orderNo of applied ? current.orderNos : moved) changedOrders.add(orderNo);
      return applied ? 'applied' : 'duplicate';
    });
  }

  /**
   * Keeps the event under the courier's id for it; the unique index decides "seen before". False
   * only when that id already belongs to another waybill. A redelivery for the same parcel is
   * true here: whether it still needs applying (a crash came in between) is for the caller.
   */
  private async recordEvent(
    courierCode: string,
    parcelNo: string,
    event: TrackingEvent,
  ): Promise<boolean> {
    try {
      await TrackingEventModel.create({ courierCode, parcelNo, ...event, receivedAt: new Date() });
      return true;
    } catch (error) {
      if ((error as { code?: number }).code !== 11000) throw error;
      const stored = await TrackingEventModel.findOne(
        { courierCode, eventId: event.eventId },
        { parcelNo: 1, waybillNo: 1 },
      ).lean();
      // The same id for another waybill is the courier reusing ids: the first one stands.
      return stored?.parcelNo === parcelNo && stored.waybillNo === event.waybillNo;
    }
  }

  /** Adds the event in time order; the latest event decides the parcel's status. */
  private async addToParcel(parcel: Parcel, courierCode: string, event: TrackingEvent) {
    const tracking = [...parcel.tracking, event]
      .map(({ eventId, kind, at, location, note }) => ({ eventId, kind, at, location, note }))
      .sort((a, b) => a.at.getTime() - b.at.getTime());
    const status = STATUS_AFTER[tracking.at(-1)!.kind];
    const firstScanAt = tracking[0]!.at;
    const exceptions =
      event.kind === 'failed'
        ? [
            ...parcel.exceptions,
            {
              code: 'address_unreachable' as const,
              note: [event.location, event.note].filter(Boolean).join(': ').slice(0, 300),
              by: `courier:${courierCode}`,
              at: event.at,
            },
          ]
        : parcel.exceptions;
    await ParcelModel.updateOne(
      { parcelNo: parcel.parcelNo },
      { $set: { tracking, status, firstScanAt, exceptions } },
    );
    if (event.kind === 'failed') this.deps.parcelsChanged?.([parcel.parcelNo]);
    return { ...parcel, tracking, status, firstScanAt, exceptions };
  }

  /**
   * The first scan ships the parcel's orders; delivery delivers them (through shipped, when the
   * delivery is the first event we hear of). Returns the orders that moved.
   */
  private async moveOrders(
    parcel: {
      orderNos: string[];
      tracking: readonly unknown[];
      status: ParcelStatus;
      waybillNo?: string | null;
    },
    courierCode: string,
  ): Promise<string[]> {
    if (parcel.tracking.length === 0) return [];
    const actor: TransitionActor = { kind: 'system', id: `courier:${courierCode}` };
    // The timeline names the courier in the reader's language.
    const courier = await CourierModel.findOne({ code: courierCode }, { name: 1 }).lean();
    const courierName = courier?.name ?? courierCode;
    const moved: string[] = [];
    for (const orderNo of parcel.orderNos) {
      try {
        const shipped = await this.deps.states.transition(
          orderNo,
          'packed',
          'shipped',
          actor,
          note('collected', { courier: courierName, waybill: parcel.waybillNo ?? '' }),
        );
        if (shipped.won) moved.push(orderNo);
        if (parcel.status !== 'delivered') continue;
        const delivered = await this.deps.states.transition(
          orderNo,
          'shipped',
          'delivered',
          actor,
          note('delivered', { courier: courierName, waybill: parcel.waybillNo ?? '' }),
        );
        if (delivered.won && !moved.includes(orderNo)) moved.push(orderNo);
      } catch (error) {
        // One broken order must not keep the parcel's other orders (or the courier) waiting.
        this.deps.logger.error({ err: error, orderNo }, 'could not move an order on tracking');
      }
    }
    return moved;
  }

  private async notifyBuyers(orderNos: Set<string>): Promise<void> {
    if (orderNos.size === 0) return;
    const orders = await ordersByNos([...orderNos]);
    for (const order of orders) this.deps.events.orderChanged(order);
  }

  /** Handed over more than a day ago and never scanned by the courier: worth a phone call. */
  async parcelsAwaitingFirstScan(
    hubId?: Types.ObjectId | string,
    now: Date = new Date(),
  ): Promise<ParcelAwaitingScan[]> {
    const parcels = await ParcelModel.find(
      {
        status: 'handed_over',
        handedOverAt: { $lte: new Date(now.getTime() - FIRST_SCAN_GRACE_MS) },
        firstScanAt: { $exists: false },
        ...(hubId ? { hubId } : {}),
      },
      { parcelNo: 1, hubId: 1, courierCode: 1, waybillNo: 1, manifestNo: 1, handedOverAt: 1 },
    )
      .sort({ handedOverAt: 1 })
      .lean();
    return parcels.map((p) => ({
      parcelNo: p.parcelNo,
      hubId: p.hubId,
      courierCode: p.courierCode ?? undefined,
      waybillNo: p.waybillNo ?? undefined,
      manifestNo: p.manifestNo ?? undefined,
      handedOverAt: p.handedOverAt!,
      hoursWaiting: Math.floor((now.getTime() - p.handedOverAt!.getTime()) / 3600_000),
    }));
  }

  /** The courier, waybill and events for the buyer's order page, once the parcel has left. */
  async trackingForOrder(
    order: Pick<Order, 'parcelNo' | 'orderNo'>,
    locale: string,
    t: Translate,
  ): Promise<OrderTracking | undefined> {
    if (!order.parcelNo) return undefined;
    const parcel = await ParcelModel.findOne(
      { parcelNo: order.parcelNo },
      { courierCode: 1, waybillNo: 1, status: 1, tracking: 1, lines: 1 },
    ).lean();
    if (!parcel?.courierCode || !parcel.waybillNo || !SHOWN_TO_BUYER.includes(parcel.status)) {
      return undefined;
    }
    const courier = await CourierModel.findOne({ code: parcel.courierCode }, { name: 1 }).lean();
    return {
      courierCode: parcel.courierCode,
      courierName: courier ? pickLocalized(courier.name, locale) : parcel.courierCode,
      waybillNo: parcel.waybillNo,
      status: parcel.status,
      events: [...parcel.tracking].reverse().map((e) => ({
        at: e.at,
        kind: e.kind,
        label: t(`tracking.kind.${e.kind}`, {}),
        location: e.location,
        note: e.note,
      })),
      traceLinks: parcel.lines
        .filter((l) => l.orderNo === order.orderNo && l.traceCode)
        .map((l) => ({ title: l.title, spec: l.spec ?? '', url: `/t/${l.traceCode}` })),
    };
  }
}
