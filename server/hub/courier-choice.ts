// Which of the hub's couriers takes a parcel, decided from the couriers' rules as data alone: no
// database, no clock (the caller passes `now`), so every rule can be table-tested. The result
// carries codes, not sentences; `summariseChoice` renders it in the reader's language.
import { chinaClock, shiftChinaDay } from '../core/china-time.ts';
import { formatFen } from '../core/http/views.ts';
import {
  ALL_PROVINCES,
  normaliseProvince,
  zoneFor,
  type DestinationZone,
} from './destination-zones.ts';

/** The part of a courier the choice reads; a lean Courier document fits. */
export interface CourierRules {
  code: string;
  active: boolean;
  coverage: {
    provinces: readonly string[];
    excludedCounties: readonly string[];
    reachesVillages: boolean;
  };
  weightBand: { minWeightGrams: number; maxWeightGrams: number };
  rateCard: readonly RateCardEntry[];
  dailyCapacity: number;
  /** 'HH:MM', Asia/Shanghai. */
  pickupCutoff: string;
}

export interface RateCardEntry {
  zone: string;
  firstKgFen: number;
  extraKgFen: number;
  promisedDays: number;
}

export interface ChoiceRequest {
  destination: {
    province: string;
    county: string;
    /** Non-empty means the parcel goes to a village address. */
    village?: string;
  };
  weightGrams: number;
  /** A courier code the buyer picked, where the shop offers a choice. */
  preferredCourier?: string;
  now: Date;
}

/** Parcels already booked: usage[courierCode][shipDate 'YYYY-MM-DD'] = count. */
export type CourierUsage = Readonly<Record<string, Readonly<Record<string, number>>>>;

/** Checked in this order; a rejected courier carries the first rule it fails. */
export const REJECTION_CODES = [
  'inactive',
  'province_not_covered',
  'county_excluded',
  'no_village_delivery',
  'weight_out_of_band',
  'no_rate_for_zone',
  'capacity_full',
] as const;
export type RejectionCode = (typeof REJECTION_CODES)[number];

export interface CourierRejection {
  courierCode: string;
  code: RejectionCode;
  /** For capacity_full: the ship date that is full. */
  shipDate?: string;
}

export interface ChoiceReason {
  /** 'preferred': the buyer's pick was eligible; 'cheapest': lowest fee among the eligible. */
  rule: 'preferred' | 'cheapest';
  /** The buyer's pick as asked, whether or not it was honoured. */
  preferredCourier?: string;
  rejected: CourierRejection[];
}

export interface CourierChosen {
  kind: 'chosen';
  courierCode: string;
  feeFen: number;
  zone: DestinationZone;
  /** 'YYYY-MM-DD' in China: today before the courier's cut-off, else tomorrow. */
  shipDate: string;
  promisedDays: number;
  /** shipDate + promisedDays, 'YYYY-MM-DD'. */
  promisedDeliveryDate: string;
  reason: ChoiceReason;
}

export interface NoCourier {
  kind: 'none';
  /** Undefined when the destination is not a mainland province. */
  zone?: DestinationZone;
  preferredCourier?: string;
  rejected: CourierRejection[];
}

export type CourierChoice = CourierChosen | NoCourier;

const FIRST_KG_GRAMS = 1000;

/** First kilogram, then each started kilogram beyond it: 1000 g → first only, 1001 g → +1 extra. */
export function parcelFeeFen(rate: RateCardEntry, weightGrams: number): number {
  const extraKg = Math.max(0, Math.ceil((weightGrams - FIRST_KG_GRAMS) / FIRST_KG_GRAMS));
  return rate.firstKgFen + extraKg * rate.extraKgFen;
}

/** The only ship dates a choice at `now` can land on: today and tomorrow, China time. */
export function candidateShipDates(now: Date): [today: string, tomorrow: string] {
  const today = chinaClock(now).date;
  return [today, shiftChinaDay(today, 1)];
}

/** Today (China time) if `now` is before the cut-off; at or after it, tomorrow. */
export function shipDateFor(now: Date, pickupCutoff: string): string {
  const clock = chinaClock(now);
  const [hours, minutes] = pickupCutoff.split(':').map(Number);
  const cutoff = (hours ?? 0) * 60 + (minutes ?? 0);
  return clock.minutes < cutoff ? clock.date : shiftChinaDay(clock.date, 1);
}

function excludesCounty(entries: readonly string[], province: string, county: string): boolean {
  const wanted = county.trim();
  return entries.some((entry) => {
    const slash = entry.indexOf('/');
    if (slash < 0) return entry.trim() === wanted;
    return (
      normaliseProvince(entry.slice(0, slash)) === province &&
      entry.slice(slash + 1).trim() === wanted
    );
  });
}

interface Candidate {
  courier: CourierRules;
  rate: RateCardEntry;
  feeFen: number;
  shipDate: string;
  promisedDeliveryDate: string;
}

function assess(
  courier: CourierRules,
  request: ChoiceRequest,
  province: string | undefined,
  zone: DestinationZone | undefined,
  usage: CourierUsage,
): Candidate | CourierRejection {
  const reject = (code: RejectionCode, shipDate?: string): CourierRejection => ({
    courierCode: courier.code,
    code,
    ...(shipDate ? { shipDate } : {}),
  });
  const { coverage, weightBand } = courier;
  if (!courier.active) return reject('inactive');
  const coversProvince =
    province !== undefined &&
    coverage.provinces.some((p) => p === ALL_PROVINCES || normaliseProvince(p) === province);
  if (!coversProvince || !zone) return reject('province_not_covered');
  if (excludesCounty(coverage.excludedCounties, province, request.destination.county))
    return reject('county_excluded');
  if ((request.destination.village ?? '').trim() !== '' && !coverage.reachesVillages)
    return reject('no_village_delivery');
  if (
    request.weightGrams < weightBand.minWeightGrams ||
    request.weightGrams > weightBand.maxWeightGrams
  )
    return reject('weight_out_of_band');
  const rate = courier.rateCard.find((r) => r.zone === zone);
  if (!rate) return reject('no_rate_for_zone');
  const shipDate = shipDateFor(request.now, courier.pickupCutoff);
  if ((usage[courier.code]?.[shipDate] ?? 0) >= courier.dailyCapacity)
    return reject('capacity_full', shipDate);
  return {
    courier,
    rate,
    feeFen: parcelFeeFen(rate, request.weightGrams),
    shipDate,
    promisedDeliveryDate: shiftChinaDay(shipDate, rate.promisedDays),
  };
}

const cheaperFirst = (a: Candidate, b: Candidate) =>
  a.feeFen - b.feeFen ||
  a.promisedDeliveryDate.localeCompare(b.promisedDeliveryDate) ||
  (a.courier.code < b.courier.code ? -1 : a.courier.code > b.courier.code ? 1 : 0);

/**
 * Picks the courier for one parcel: the buyer's pick when it is eligible, otherwise the cheapest
 * eligible one (ties: earlier promised delivery, then code). Every courier passed in that is not
 * eligible is listed with the first rule it fails.
 */
export function chooseCourier(
  request: ChoiceRequest,
  couriers: readonly CourierRules[],
  usage: CourierUsage,
): CourierChoice {
  if (!Number.isSafeInteger(request.weightGrams) || request.weightGrams < 1)
    throw new RangeError(`weightGrams must be a positive integer, got ${request.weightGrams}`);
  if (Number.isNaN(request.now.getTime())) throw new RangeError('now is not a valid date');

  const province = normaliseProvince(request.destination.province);
  const zone = province === undefined ? undefined : zoneFor(province);
  const preferred = request.preferredCourier?.trim().toLowerCase() || undefined;
  const eligible: Candidate[] = [];
  const rejected: CourierRejection[] = [];
  for (const courier of couriers) {
    const outcome = assess(courier, request, province, zone, usage);
    if ('code' in outcome) rejected.push(outcome);
    else eligible.push(outcome);
  }

  const preferredCandidate = eligible.find((c) => c.courier.code === preferred);
  const pick = preferredCandidate ?? eligible.sort(cheaperFirst)[0];
  if (!pick || !zone)
    return {
      kind: 'none',
      ...(zone ? { zone } : {}),
      ...(preferred ? { preferredCourier: preferred } : {}),
      rejected,
    };
  return {
    kind: 'chosen',
    courierCode: pick.courier.code,
    feeFen: pick.feeFen,
    zone,
    shipDate: pick.shipDate,
    promisedDays: pick.rate.promisedDays,
    promisedDeliveryDate: pick.promisedDeliveryDate,
    reason: {
      rule: preferredCandidate ? 'preferred' : 'cheapest',
      ...(preferred ? { preferredCourier: preferred } : {}),
      rejected,
    },
  };
}

/** i18next's `t` fits: `i18n.getFixedT(locale)` or `req.t`. */
export type Translate = (key: string, params: Record<string, unknown>) => string;

/**
 * The choice as one or two sentences in the reader's language, from the stored codes. `nameOf`
 * turns a courier code into its display name (defaults to the code).
 */
export function summariseChoice(
  choice: CourierChoice,
  t: Translate,
  nameOf: (code: string) => string = (code) => code,
): string {
  const rejected = choice.kind === 'chosen' ? choice.reason.rejected : choice.rejected;
  const preferred =
    choice.kind === 'chosen' ? choice.reason.preferredCourier : choice.preferredCourier;
  const why = (code: string) => {
    const r = rejected.find((x) => x.courierCode === code);
    return r ? t(`couriers.rejection.${r.code}`, { shipDate: r.shipDate ?? '' }) : undefined;
  };
  const parts: string[] = [];
  if (choice.kind === 'chosen') {
    parts.push(
      t(`couriers.choice.${choice.reason.rule}`, {
        courier: nameOf(choice.courierCode),
        fee: formatFen(choice.feeFen),
        zone: t(`couriers.zone.${choice.zone}`, {}),
        shipDate: choice.shipDate,
        deliveryDate: choice.promisedDeliveryDate,
      }),
    );
  } else {
    parts.push(t('couriers.choice.none', {}));
  }
  if (preferred && !(choice.kind === 'chosen' && choice.reason.rule === 'preferred')) {
    const reason = why(preferred);
    parts.push(
      reason
        ? t('couriers.choice.preferenceIgnored', { courier: nameOf(preferred), why: reason })
        : t('couriers.choice.preferenceUnknown', { courier: nameOf(preferred) }),
    );
  }
  if (rejected.length > 0) {
    const list = rejected
      .map((r) =>
        t('couriers.choice.rejectedItem', {
          courier: nameOf(r.courierCode),
          why: t(`couriers.rejection.${r.code}`, { shipDate: r.shipDate ?? '' }),
        }),
      )
      .join(t('couriers.choice.listSeparator', {}));
    parts.push(t('couriers.choice.rejected', { list }));
  }
  return parts.join(t('couriers.choice.sentenceSeparator', { defaultValue: '' }));
}
