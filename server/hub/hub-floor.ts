// What every hub-floor action shares: its dependencies, the staff member's hub, the parcel a scan
// names, the order a step moves on, and the push that refreshes the hub's screens.
import { Types } from 'mongoose';
import { z } from 'zod';
import type { Actor } from '../accounts/actor.ts';
import { NotFound } from '../core/errors.ts';
import type { Realtime } from '../core/realtime.ts';
import type { OrderEvents } from '../orders/order-service.ts';
import type { OrderStateMachine, TransitionActor } from '../orders/order-states.ts';
import type { OrderStatus } from '../orders/order-status.ts';
import type { TimelineNote } from '../orders/timeline.ts';
import type { PaymentService } from '../payments/payment-service.ts';
import type { StockReservations } from '../stock/stock-reservations.ts';
import type { CourierAdapter } from './couriers/courier-adapter.ts';
import { hubOfStaff, invalidField } from './hub-staff.ts';
import type { ParcelLocks } from './parcel-lock.ts';
import { ParcelModel, type Parcel } from './parcel.model.ts';
import { rooms } from '../core/rooms.ts';
import { isKnownBarcode } from '../catalogue/catalogue-reads.ts';

export interface HubServiceDeps {
  states: OrderStateMachine;
  events: OrderEvents;
  stock: StockReservations;
  payments: PaymentService;
  realtime: Realtime;
  adapterFor: (courierCode: string) => CourierAdapter;
  /** One writer per parcel (tracking events write parcels too). */
  locks: ParcelLocks;
  /** Parcels handed over a day ago with no scan from the courier yet (an alert on the screen). */
  firstScanOverdue: (
    hubId: Types.ObjectId,
  ) => Promise<{ parcelNo: string; waybillNo?: string | null; courierCode?: string | null }[]>;
  publicUrl: string;
  /** Told parcels handed over or given an exception (the county counts them). */
  parcelsChanged?: (parcelNos: string[]) => void;
}

export type ParcelDoc = Parcel & { _id: Types.ObjectId };

export const barcodeInput = z
  .string({ error: 'validation.scanBarcode' })
  .trim()
  .regex(/^[0-9A-Za-z-]{4,40}$/, 'validation.scanBarcode');

export class HubFloor {
  protected readonly deps: HubServiceDeps;

  constructor(deps: HubServiceDeps) {
    this.deps = deps;
  }

  protected hubOf(actor: Actor | undefined) {
    return hubOfStaff(actor);
  }

  protected async parcelOf(actor: Actor | undefined, parcelNo: string) {
    const hub = await this.hubOf(actor);
    const parcel = (await ParcelModel.findOne({
      parcelNo: String(parcelNo),
      hubId: hub._id,
    }).lean()) as ParcelDoc | null;
    if (!parcel) throw new NotFound('errors.parcelNotFound', { parcelNo: String(parcelNo) });
    return { hub, parcel };
  }

  protected async knownBarcode(barcode: string) {
    if (!(await isKnownBarcode(barcode)))
      throw invalidField('barcode', 'errors.unknownBarcode', { barcode });
  }

  protected async moveOrder(
    orderNo: string,
    from: OrderStatus,
    to: OrderStatus,
    actor: Actor,
    reason: TimelineNote,
  ) {
    const by: TransitionActor =
      actor.role === 'admin' ? { kind: 'admin', id: actor.id } : { kind: 'hub', id: actor.id };
    const result = await this.deps.states.transition(orderNo, from, to, by, reason);
    if (result.won) this.deps.events.orderChanged(result.order);
  }

  /** Tells the hub's screens to refresh, and the county which parcels' figures may have moved. */
  protected changed(hubId: Types.ObjectId, parcelNos: string[] = []) {
    this.deps.realtime.toRoom(rooms.hub(String(hubId)), 'hub:changed', { at: Date.now() });
    if (parcelNos.length > 0) this.deps.parcelsChanged?.(parcelNos);
  }
}
