// The county admin keeps the couriers' rules: active or not, daily capacity, pickup cut-off, and
// rate cards imported from CSV (all rows or none).
import { z } from 'zod';
import type { Actor } from '../accounts/actor.ts';
import { Forbidden, NotFound } from '../core/errors.ts';
import { pickLocalized } from '../core/localized-text.ts';
import type { Logger } from '../core/logger.ts';
import { parseInput } from '../core/validation.ts';
import { CourierModel, PICKUP_CUTOFF_PATTERN, type Courier } from './courier.model.ts';
import {
  ALL_PROVINCES,
  DESTINATION_ZONES,
  MAINLAND_PROVINCES,
  provinceNameEn,
  type DestinationZone,
} from './destination-zones.ts';
import { parseRateCardCsv, type RateCardProblem } from './rate-card-csv.ts';

export interface CourierAdminDeps {
  logger: Logger;
}

export interface RateCardImportReport {
  /** True when the file was good and its rates are now in force. */
  applied: boolean;
  /** Data rows in the file (applied or not). */
  rows: number;
  /** Couriers whose rate cards changed. */
  couriers: string[];
  errors: RateCardProblem[];
}

export interface CourierAdminRow {
  code: string;
  name: string;
  active: boolean;
  provinces: string;
  excludedCounties: string;
  reachesVillages: boolean;
  band: string;
  dailyCapacity: number;
  pickupCutoff: string;
  rates: {
    zone: DestinationZone;
    rate?: { firstKgFen: number; extraKgFen: number; promisedDays: number };
  }[];
}

interface RateRow {
  zone: DestinationZone;
  firstKgFen: number;
  extraKgFen: number;
  promisedDays: number;
}

type Translate = (key: string, params: Record<string, unknown>) => string;

const courierCode = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^[a-z0-9-]{2,20}$/, 'validation.courierCode');

const activeInput = z.object({
  code: courierCode,
  active: z.enum(['true', 'false'], { error: 'validation.courierActive' }),
});

const scheduleInput = z.object({
  code: courierCode,
  dailyCapacity: z
    .string({ error: 'validation.courierCapacity' })
    .trim()
    .regex(/^\d{1,6}$/, 'validation.courierCapacity')
    .transform(Number),
  pickupCutoff: z
    .string({ error: 'validation.pickupCutoff' })
    .trim()
    .regex(PICKUP_CUTOFF_PATTERN, 'validation.pickupCutoff'),
});

export class CourierAdminService {
  private readonly logger: Logger;

  constructor(deps: CourierAdminDeps) {
    this.logger = deps.logger;
  }

  private assertAdmin(actor: Actor | undefined): asserts actor is Actor {
    if (actor?.role !== 'admin') throw new Forbidden();
  }

  /** The couriers a buyer may prefer at checkout: the active ones, by name in their language. */
  async activeChoices(locale: string): Promise<{ code: string; name: string }[]> {
    const couriers = await CourierModel.find({ active: true }, { code: 1, name: 1 }).lean();
    return couriers.map((c) => ({ code: c.code, name: pickLocalized(c.name, locale) }));
  }

  /** Whether `code` is a courier that takes parcels now. */
  async isActive(code: string): Promise<boolean> {
    return (await CourierModel.exists({ code, active: true })) !== null;
  }

  /** Every courier with its rules, ready for the admin page. */
  async list(actor: Actor | undefined, locale: string, t: Translate): Promise<CourierAdminRow[]> {
    this.assertAdmin(actor);
    const couriers = await CourierModel.find().sort({ code: 1 }).lean();
    return couriers.map((c) => ({
      code: c.code,
      name: pickLocalized(c.name, locale),
      active: c.active,
      provinces: describeProvinces(c.coverage.provinces, locale, t),
      excludedCounties: c.coverage.excludedCounties.join(locale === 'en' ? ', ' : '、'),
      reachesVillages: c.coverage.reachesVillages,
      band: `${grams(c.weightBand.minWeightGrams)} – ${grams(c.weightBand.maxWeightGrams)}`,
      dailyCapacity: c.dailyCapacity,
      pickupCutoff: c.pickupCutoff,
      rates: DESTINATION_ZONES.map((zone) => {
        const rate = c.rateCard.find((r) => r.zone === zone);
        return rate
          ? {
              zone,
              rate: {
                firstKgFen: rate.firstKgFen,
                extraKgFen: rate.extraKgFen,
                promisedDays: rate.promisedDays,
              },
            }
          : { zone };
      }),
    }));
  }

  async setActive(actor: Actor | undefined, input: unknown): Promise<void> {
    this.assertAdmin(actor);
    const { code, active } = parseInput(activeInput, input);
    await this.update(actor, code, { active: active === 'true' });
  }

  /** Daily capacity (parcels per ship date) and pickup cut-off ('HH:MM', China time). */
  async updateSchedule(actor: Actor | undefined, input: unknown): Promise<void> {
    this.assertAdmin(actor);
    const { code, dailyCapacity, pickupCutoff } = parseInput(scheduleInput, input);
    await this.update(actor, code, { dailyCapacity, pickupCutoff });
  }

  private async update(actor: Actor, code: string, change: Partial<Courier>): Promise<void> {
    const result = await CourierModel.updateOne(
      { code },
      { $set: change },
      { runValidators: true },
    );
    if (result.matchedCount === 0) throw new NotFound('errors.courierNotFound', { code });
    this.logger.info({ actor: actor.id, courier: code, change }, 'courier rules changed');
  }

  /**
   * Replaces the rates of the couriers and zones the file names; other zones keep theirs. One bad
   * row and nothing changes: the report lists every problem by line.
   */
  async importRateCards(actor: Actor | undefined, csv: string): Promise<RateCardImportReport> {
    this.assertAdmin(actor);
    const couriers = await CourierModel.find();
    const parsed = parseRateCardCsv(csv, new Set(couriers.map((c) => c.code)));
    if (!parsed.ok) return { applied: false, rows: 0, couriers: [], errors: parsed.problems };

    const changed = couriers.filter((c) => parsed.rows.some((r) => r.courierCode === c.code));
    const cards = new Map<string, RateRow[]>();
    for (const courier of changed) {
      const byZone = new Map<DestinationZone, RateRow>(
        courier.rateCard.map((r) => [
          r.zone,
          {
            zone: r.zone,
            firstKgFen: r.firstKgFen,
            extraKgFen: r.extraKgFen,
            promisedDays: r.promisedDays,
          },
        ]),
      );
      for (const row of parsed.rows.filter((r) => r.courierCode === courier.code))
        byZone.set(row.zone, {
          zone: row.zone,
          firstKgFen: row.firstKgFen,
          extraKgFen: row.extraKgFen,
          promisedDays: row.promisedDays,
        });
      const card = DESTINATION_ZONES.flatMap((zone) => byZone.get(zone) ?? []);
      courier.set('rateCard', card);
      cards.set(courier.code, card);
    }
    // Everything is checked before the first write: no transactions on FerretDB v1.
    await Promise.all(changed.map((c) => c.validate()));
    for (const courier of changed)
      await CourierModel.updateOne(
        { _id: courier._id },
        { $set: { rateCard: cards.get(courier.code) } },
        { runValidators: true },
      );
    const codes = changed.map((c) => c.code).sort();
    this.logger.info(
      { actor: actor.id, couriers: codes, rows: parsed.rows.length },
      'courier rate cards imported',
    );
    return { applied: true, rows: parsed.rows.length, couriers: codes, errors: [] };
  }
}

function grams(value: number): string {
  return value < 1000 ? `${value} g` : `${value / 1000} kg`;
}

function describeProvinces(provinces: readonly string[], locale: string, t: Translate): string {
  const name = (p: string) => (locale === 'en' ? (provinceNameEn(p) ?? p) : p);
  const separator = locale === 'en' ? ', ' : '、';
  const missing = MAINLAND_PROVINCES.filter((p) => !provinces.includes(p));
  if (provinces.includes(ALL_PROVINCES) || missing.length === 0)
    return t('couriers.admin.allProvinces', {});
  // A long list reads better as what it leaves out.
  if (missing.length <= 8)
    return t('couriers.admin.allProvincesExcept', { list: missing.map(name).join(separator) });
  return provinces.map(name).join(separator);
}
