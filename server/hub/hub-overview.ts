// The hub's overview screen: parcels by status, the waves to start and those under way, the
// manifests waiting for their couriers, and what needs a person's attention.
import type { Actor } from '../accounts/actor.ts';
import { CourierModel } from './courier.model.ts';
import { HubFloor } from './hub-floor.ts';
import { ParcelModel, type Parcel } from './parcel.model.ts';
import { WaveModel } from './wave.model.ts';

export class HubOverview extends HubFloor {
  async overview(actor: Actor | undefined) {
    const hub = await this.hubOf(actor);
    const parcels = await ParcelModel.find(
      { hubId: hub._id, status: { $nin: ['delivered'] } },
      {
        parcelNo: 1,
        status: 1,
        courierCode: 1,
        waybillNo: 1,
        shipDate: 1,
        waveNo: 1,
        address: 1,
        lines: 1,
        handedOverAt: 1,
        firstScanAt: 1,
        weightGrams: 1,
        exceptions: 1,
      },
    ).lean();
    const couriers = await CourierModel.find({}, { code: 1, name: 1, pickupCutoff: 1 }).lean();
    const courierOf = new Map(couriers.map((c) => [c.code, c]));
    const byStatus = (status: Parcel['status']) => parcels.filter((p) => p.status === status);

    // Routed parcels, grouped by the cut-off of their courier: each group is a wave to start.
    const cutoffs = new Map<string, { cutoff: string; couriers: Set<string>; parcels: number }>();
    for (const p of byStatus('routed')) {
      const cutoff = courierOf.get(p.courierCode!)?.pickupCutoff ?? '23:59';
      const entry = cutoffs.get(cutoff) ?? { cutoff, couriers: new Set(), parcels: 0 };
      entry.couriers.add(p.courierCode!);
      entry.parcels += 1;
      cutoffs.set(cutoff, entry);
    }
    const packedByCourier = new Map<string, { parcels: number; grams: number }>();
    for (const p of byStatus('packed')) {
      const entry = packedByCourier.get(p.courierCode!) ?? { parcels: 0, grams: 0 };
      entry.parcels += 1;
      entry.grams += p.weightGrams ?? 0;
      packedByCourier.set(p.courierCode!, entry);
    }
    const waves = await WaveModel.find({ hubId: hub._id, status: 'picking' })
      .sort({ createdAt: 1 })
      .lean();
    return {
      hub: { code: hub.code, name: hub.name, bins: hub.bins.map((b) => b.code) },
      counts: Object.fromEntries(
        ['open', 'routed', 'picking', 'packed', 'handed_over', 'held', 'unroutable'].map((s) => [
          s,
          byStatus(s as Parcel['status']).length,
        ]),
      ),
      waveCandidates: [...cutoffs.values()]
        .sort((a, b) => a.cutoff.localeCompare(b.cutoff))
        .map((c) => ({ cutoff: c.cutoff, couriers: [...c.couriers].sort(), parcels: c.parcels })),
      waves: waves.map((w) => ({
        waveNo: w.waveNo,
        cutoff: w.pickupCutoff,
        parcels: w.parcelNos.length,
      })),
      manifests: [...packedByCourier.entries()].map(([code, v]) => ({
        courierCode: code,
        courierName: courierOf.get(code)?.name,
        parcels: v.parcels,
        grams: v.grams,
      })),
      alerts: await this.deps.firstScanOverdue(hub._id),
      exceptions: parcels
        .filter((p) => p.status === 'held' || p.status === 'unroutable')
        .map((p) => ({ parcelNo: p.parcelNo, status: p.status, exceptions: p.exceptions })),
    };
  }
}
