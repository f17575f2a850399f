// Which adapter speaks for which courier. Every courier the county works with (the couriers
// collection, kept by the admin) is served by the local adapter until a real integration
// replaces it for its own code with register(). Whether a courier exists is the collection's to
// say, not this table's: a courier added at /admin/couriers works at once.
import type { CourierAdapter } from './courier-adapter.ts';

/** An adapter that remembers voided waybills itself (events for them are refused). */
interface KnowsVoidedWaybills {
  isVoided(courierCode: string, waybillNo: string): Promise<boolean>;
}

export class CourierAdapters {
  private readonly byCode = new Map<string, CourierAdapter>();
  private readonly fallback: CourierAdapter;

  constructor(fallback: CourierAdapter) {
    this.fallback = fallback;
  }

  register(courierCode: string, adapter: CourierAdapter): void {
    this.byCode.set(courierCode, adapter);
  }

  /** The adapter for a courier: its own integration, or the local adapter. */
  adapterFor(courierCode: string): CourierAdapter {
    return this.byCode.get(courierCode) ?? this.fallback;
  }

  async isVoided(courierCode: string, waybillNo: string): Promise<boolean> {
    const adapter = this.adapterFor(courierCode) as CourierAdapter & Partial<KnowsVoidedWaybills>;
    return adapter.isVoided ? adapter.isVoided(courierCode, waybillNo) : false;
  }
}
