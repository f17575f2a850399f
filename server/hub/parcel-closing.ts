// Closing parcels, a batch at a time: once its consolidation window ends a parcel is weighed,
// given a courier by the rules and a waybill number, and its orders move to `routed`.
import type { Logger } from '../core/logger.ts';
import type { LocalizedText } from '../core/localized-text.ts';
import type { OrderEvents } from '../orders/order-service.ts';
import type { OrderStateMachine } from '../orders/order-states.ts';
import { note } from '../orders/timeline.ts';
import { inParallel } from '../core/in-parallel.ts';
import { candidateShipDates, chooseCourier, type CourierRules } from './courier-choice.ts';
import { recordedChoice } from './courier-choice.schema.ts';
import { CourierModel } from './courier.model.ts';
import type { CourierAdapter } from './couriers/courier-adapter.ts';
import type { ParcelLocks } from './parcel-lock.ts';
import { ParcelModel, type Parcel } from './parcel.model.ts';
import { addBooking, type Bookings, type RoutingMemory } from './routing-memory.ts';

/** Box, filler and tape: what a parcel weighs beyond its contents. */
export const PACKAGING_GRAMS = 150;

const SYSTEM = { kind: 'system' as const, id: 'hub-routing' };

export interface ParcelClosingDeps {
  states: OrderStateMachine;
  events: OrderEvents;
  adapterFor: (courierCode: string) => CourierAdapter;
  logger: Logger;
  locks: ParcelLocks;
  /** Which parcels are collecting orders, what couriers have booked (hints kept in Redis). */
  memory: RoutingMemory;
  /** Takes an order cancelled or refunded meanwhile back out of its parcel. */
  unrouteOrder: (orderNo: string) => Promise<string>;
}

type ParcelDoc = Parcel & { _id: unknown };
/** What closing needs to know of a parcel once its courier is decided. */
type Decided = Pick<ParcelDoc, 'status' | 'orderNos' | 'courierCode' | 'waybillNo'>;

export class ParcelClosing {
  private readonly deps: ParcelClosingDeps;

  constructor(deps: ParcelClosingDeps) {
    this.deps = deps;
  }

  async closeBatch(requests: { parcelNo: string; now: Date }[]): Promise<string[]> {
    // The rules as they are now, read once for the batch (not once per parcel).
    const couriers = await CourierModel.find().lean();
    const parcels = [...new Map(requests.map((r) => [r.parcelNo, r.now]))];
    // What each courier has booked, read once for the batch; its own bookings are added as they
    // are made, so parcels closing side by side count each other.
    const usage = await this.deps.memory.bookings([
      ...new Set(requests.flatMap((r) => candidateShipDates(r.now))),
    ]);
    const results = await inParallel(parcels, ([parcelNo, now]) =>
      this.closeOne(parcelNo, now, couriers, usage),
    );
    const outcomes = new Map(parcels.map(([parcelNo], i) => [parcelNo, results[i]!]));
    return requests.map((r) => outcomes.get(r.parcelNo)!);
  }

  private async closeOne(
    parcelNo: string,
    now: Date,
    couriers: (CourierRules & { name: LocalizedText })[],
    usage: Bookings,
  ): Promise<string> {
    const decided = await this.deps.locks.withParcel(parcelNo, async () => {
      const parcel = await ParcelModel.findOne({ parcelNo }).lean();
      if (!parcel) return 'no such parcel';
      if (parcel.status !== 'open') return parcel; // decided before (a retry, or another closer)
      if (parcel.openUntil.getTime() > now.getTime()) return 'still open';
      if (parcel.orderNos.length === 0) {
        await ParcelModel.updateOne({ parcelNo }, { $set: { status: 'cancelled' } });
        return 'not routed';
      }
      return (await this.chooseFor(parcel, now, couriers, usage)) ?? 'not routed';
    });
    if (typeof decided === 'string') return decided;
    const parcel = decided;
    if (parcel.status !== 'routed') return `already ${parcel.status}`;
    for (const orderNo of parcel.orderNos) {
      const result = await this.deps.states.transition(
        orderNo,
        'paid',
        'routed',
        SYSTEM,
        note('routed', {
          parcel: parcelNo,
          courier:
            couriers.find((c) => c.code === parcel.courierCode)?.name ?? parcel.courierCode ?? '',
          waybill: parcel.waybillNo ?? '',
        }),
      );
      if (result.won) this.deps.events.orderChanged(result.order);
      // Cancelled or refunded meanwhile: it does not travel.
      else if (result.current === 'cancelled' || result.current === 'refunded')
        await this.deps.unrouteOrder(orderNo);
    }
    return `routed to ${parcel.courierCode}`;
  }

  private async chooseFor(
    parcel: ParcelDoc,
    now: Date,
    couriers: CourierRules[],
    usage: Bookings,
  ): Promise<Decided | undefined> {
    const weightGrams =
      parcel.lines.reduce((sum, l) => sum + l.weightGrams * l.quantity, 0) + PACKAGING_GRAMS;
    // From here to the booking nothing waits, so parcels closing side by side count each other.
    const choice = chooseCourier(
      {
        destination: {
          province: parcel.address.province,
          county: parcel.address.county,
          village: parcel.address.village ?? '',
        },
        weightGrams,
        ...(parcel.preferredCourier ? { preferredCourier: parcel.preferredCourier } : {}),
        now,
      },
      couriers,
      usage,
    );
    if (choice.kind === 'none') {
      await ParcelModel.updateOne(
        { parcelNo: parcel.parcelNo },
        { $set: { status: 'unroutable' } },
      );
      this.deps.logger.warn(
        { parcelNo: parcel.parcelNo, rejected: choice.rejected },
        'no courier can take this parcel',
      );
      return undefined;
    }
    // Counted before the write: a failure after it under-uses a courier, never over-books it.
    addBooking(usage, choice.courierCode, choice.shipDate);
    await this.deps.memory.booked(choice.courierCode, choice.shipDate, parcel.parcelNo);
    const waybillNo = await this.deps.adapterFor(choice.courierCode).issueWaybill({
      parcelNo: parcel.parcelNo,
      courierCode: choice.courierCode,
      weightGrams,
      address: parcel.address,
    });
    const routed = {
      status: 'routed' as const,
      courierCode: choice.courierCode,
      courierChoice: recordedChoice(choice, now),
      waybillNo,
      shipDate: choice.shipDate,
      estimatedWeightGrams: weightGrams,
    };
    await ParcelModel.updateOne({ parcelNo: parcel.parcelNo }, { $set: routed });
    // And again once written (counted once): Redis may have been wiped in between.
    await this.deps.memory.booked(choice.courierCode, choice.shipDate, parcel.parcelNo);
    return { orderNos: parcel.orderNos, ...routed };
  }
}
