// Which adapter speaks for which courier. Every courier the county works with starts on the local
// adapter; a real integration replaces it for its own code with register().
import { NotFound } from '../../core/errors.ts';
import { DEMO_COURIERS } from '../../seed/demo-county.ts';
import type { CourierAdapter } from './courier-adapter.ts';

/** An adapter that remembers voided waybills itself (events for them are refused). */
interface KnowsVoidedWaybills {
  isVoided(courierCode: string, waybillNo: string): Promise<boolean>;
}

export const SEEDED_COURIER_CODES: readonly string[] = DEMO_COURIERS.map((c) => c.code);

export class CourierAdapters {
  private readonly byCode = new Map<string, CourierAdapter>();

  constructor(fallback: CourierAdapter, courierCodes: readonly string[] = SEEDED_COURIER_CODES) {
    for (const code of courierCodes) this.byCode.set(code, fallback);
  }

  register(courierCode: string, adapter: CourierAdapter): void {
    this.byCode.set(courierCode, adapter);
  }

  has(courierCode: string): boolean {
    return this.byCode.has(courierCode);
  }

  /** The adapter for a courier; NotFound for a code no adapter speaks for. */
  adapterFor(courierCode: string): CourierAdapter {
    const adapter = this.byCode.get(courierCode);
    if (!adapter) throw new NotFound('errors.courierNotFound', { code: courierCode });
    return adapter;
  }

  async isVoided(courierCode: string, waybillNo: string): Promise<boolean> {
    const adapter = this.adapterFor(courierCode) as CourierAdapter & Partial<KnowsVoidedWaybills>;
    return adapter.isVoided ? adapter.isVoided(courierCode, waybillNo) : false;
  }
}
