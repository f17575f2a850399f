// The hub's own courier link, used for every courier until a real one is plugged in: waybill
// numbers come from a Redis counter per courier (a unique index in MongoDB makes sure none is
// issued twice), and tracking events are posted to /couriers/:code/events, signed with the
// courier's secret (scripts/courier-event.ts does that by hand for the demo).
import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { Invalid, Unauthenticated, Unavailable } from '../../core/errors.ts';
import type { Redis, RedisKeys } from '../../core/redis.ts';
import { parseInput } from '../../core/validation.ts';
import {
  TRACKING_KINDS,
  type CourierAdapter,
  type TrackingEvent,
  type WaybillRequest,
} from './courier-adapter.ts';
import { WaybillModel } from './waybill.model.ts';

export const COURIER_SIGNATURE_HEADER = 'x-courier-signature';
/** How far a signature's timestamp may be from our clock (replays of old requests are refused). */
export const SIGNATURE_TOLERANCE_S = 5 * 60;
export const MAX_EVENTS_PER_REQUEST = 100;

/** A courier's signing secret: HMAC of its code under the master secret, so one secret to keep. */
export function courierSecretFor(masterSecret: string, courierCode: string): string {
  return createHmac('sha256', masterSecret).update(courierCode).digest('hex');
}

/** The `x-courier-signature` value for `body` sent at unix time `t` (seconds). */
export function signCourierEvents(secret: string, body: string | Buffer, t: number): string {
  return `t=${t},v1=${signatureHex(secret, t, body)}`;
}

function signatureHex(secret: string, t: number, body: string | Buffer): string {
  return createHmac('sha256', secret).update(`${t}.`).update(body).digest('hex');
}

/** Reads `t=<unix seconds>,v1=<hex>[,v1=<hex>…]`; more than one v1 lets a secret be rotated. */
function parseSignatureHeader(value: string | string[] | undefined): { t: number; v1: string[] } {
  if (value === undefined || value === '') {
    throw new Unauthenticated('errors.courierSignatureMissing');
  }
  const malformed = new Invalid('errors.courierSignatureMalformed');
  if (typeof value !== 'string' || value.length > 1000) throw malformed;
  let t: number | undefined;
  const v1: string[] = [];
  for (const part of value.split(',')) {
    const [key, item, extra] = part.trim().split('=');
    if (item === undefined || extra !== undefined) throw malformed;
    if (key === 't') {
      if (t !== undefined || !/^\d{1,12}$/.test(item)) throw malformed;
      t = Number(item);
    } else if (key === 'v1') {
      if (!/^[0-9a-f]{64}$/i.test(item)) throw malformed;
      v1.push(item.toLowerCase());
    }
  }
  if (t === undefined || v1.length === 0) throw malformed;
  return { t, v1 };
}

const text = (max: number, code: string) =>
  z.string({ error: code }).trim().max(max, code).optional().default('');

const eventsBody = z.object(
  {
    events: z
      .array(
        z.object(
          {
            eventId: z
              .string({ error: 'validation.trackingEventId' })
              .trim()
              .min(1, 'validation.trackingEventId')
              .max(64, 'validation.trackingEventId'),
            waybillNo: z
              .string({ error: 'validation.trackingWaybillNo' })
              .trim()
              .regex(/^[A-Za-z0-9-]{6,32}$/, 'validation.trackingWaybillNo'),
            kind: z.enum(TRACKING_KINDS, { error: 'validation.trackingKind' }),
            at: z.iso.datetime({ offset: true, error: 'validation.trackingAt' }),
            location: text(100, 'validation.trackingLocation'),
            note: text(200, 'validation.trackingNote'),
          },
          { error: 'validation.trackingEvents' },
        ),
        { error: 'validation.trackingEvents' },
      )
      .min(1, 'validation.trackingEvents')
      .max(MAX_EVENTS_PER_REQUEST, 'validation.trackingEvents'),
  },
  { error: 'validation.trackingEvents' },
);

/** Two letters that say whose number it is, the way couriers' own numbers do. */
const WAYBILL_PREFIXES: Readonly<Record<string, string>> = {
  chinapost: 'CP',
  ems: 'EM',
  sf: 'SF',
  jd: 'JD',
  zto: 'ZT',
  yto: 'YT',
  sto: 'ST',
  yunda: 'YD',
  jtexpress: 'JT',
  deppon: 'DP',
  cainiao: 'CN',
  kye: 'KY',
  zjs: 'ZJ',
};
/** Serials start here: an 11-digit body that does not begin with a run of zeros. */
const SERIAL_BASE = 73_000_000_000;
const SERIAL_MAX = 99_999_999_999;

/** Luhn check digit, so a mistyped number is caught at the scanner or the keyboard. */
function checkDigit(digits: string): number {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 0) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
    sum += d;
  }
  return (10 - (sum % 10)) % 10;
}

/** e.g. `CP730000000017`: prefix + 11-digit serial + check digit (14 characters, Code 128-friendly). */
export function formatWaybillNo(courierCode: string, seq: number): string {
  const prefix = WAYBILL_PREFIXES[courierCode] ?? courierCode.slice(0, 2).toUpperCase();
  if (!Number.isSafeInteger(seq) || seq < 1 || SERIAL_BASE + seq > SERIAL_MAX) {
    throw new Unavailable('errors.waybillUnavailable');
  }
  const serial = String(SERIAL_BASE + seq);
  return `${prefix}${serial}${checkDigit(serial)}`;
}

/** True for a number this adapter could have issued (prefix letters, 11 digits, right check digit). */
export function hasValidCheckDigit(waybillNo: string): boolean {
  const match = /^[A-Z0-9]{2}(\d{11})(\d)$/.exec(waybillNo);
  return match !== null && checkDigit(match[1]!) === Number(match[2]);
}

export interface LocalCourierDeps {
  redis: Redis;
  keys: RedisKeys;
  /** The master secret each courier's signing secret is derived from. */
  masterSecret: string;
}

export class LocalCourierAdapter implements CourierAdapter {
  private readonly deps: LocalCourierDeps;
  constructor(deps: LocalCourierDeps) {
    this.deps = deps;
  }

  secretFor(courierCode: string): string {
    return courierSecretFor(this.deps.masterSecret, courierCode);
  }

  /** A retry for the same parcel and courier gets the same number until that number is voided. */
  async issueWaybill(request: WaybillRequest): Promise<string> {
    const { courierCode, parcelNo } = request;
    const activeKey = `${courierCode}:${parcelNo}`;
    const inUse = () => WaybillModel.findOne({ activeKey }, { waybillNo: 1 }).lean();
    // The usual case is a first issue, so no look-up first: a retry's insert clashes on the
    // activeKey and finds the number in use then (the number it drew goes unused).
    const counter = this.deps.keys.key('courier-waybill-seq', courierCode);
    for (let attempt = 0; attempt < 5; attempt++) {
      const seq = await this.deps.redis.incr(counter);
      const waybillNo = formatWaybillNo(courierCode, seq);
      try {
        await WaybillModel.create({
          courierCode,
          waybillNo,
          seq,
          parcelNo,
          activeKey,
          issuedAt: new Date(),
        });
        return waybillNo;
      } catch (error) {
        if ((error as { code?: number }).code !== 11000) throw error;
        // Issued for this parcel before (a retry) or meanwhile (one running alongside).
        const issued = await inUse();
        if (issued) return issued.waybillNo;
        // Redis lost its counter (or lags behind MongoDB): carry on above the highest on record.
        const top = await WaybillModel.findOne({ courierCode }, { seq: 1 })
          .sort({ seq: -1 })
          .lean();
        const now = Number((await this.deps.redis.get(counter)) ?? 0);
        if (top && now < top.seq) await this.deps.redis.set(counter, top.seq);
      }
    }
    throw new Unavailable('errors.waybillUnavailable');
  }

  async voidWaybill(courierCode: string, waybillNo: string): Promise<void> {
    await this.deps.redis.sadd(this.voidedKey(courierCode), waybillNo);
    // The record in MongoDB keeps the void when Redis does not.
    await WaybillModel.updateOne(
      { courierCode, waybillNo, voidedAt: { $exists: false } },
      { $set: { voidedAt: new Date() }, $unset: { activeKey: 1 } },
    );
  }

  async isVoided(courierCode: string, waybillNo: string): Promise<boolean> {
    if (await this.deps.redis.sismember(this.voidedKey(courierCode), waybillNo)) return true;
    return (await WaybillModel.exists({ courierCode, waybillNo, voidedAt: { $exists: true } }))
      ? true
      : false;
  }

  private voidedKey(courierCode: string): string {
    return this.deps.keys.key('courier-voided', courierCode);
  }

  /** Signature first (over the raw bytes), then freshness, then the JSON and its shape. */
  async readEvents(
    courierCode: string,
    headers: Record<string, string | string[] | undefined>,
    rawBody: Buffer,
  ): Promise<TrackingEvent[]> {
    const signature = parseSignatureHeader(headers[COURIER_SIGNATURE_HEADER]);
    const skew = Math.abs(Math.floor(Date.now() / 1000) - signature.t);
    if (skew > SIGNATURE_TOLERANCE_S) {
      throw new Unauthenticated('errors.courierSignatureStale', {
        minutes: SIGNATURE_TOLERANCE_S / 60,
      });
    }
    const expected = Buffer.from(signatureHex(this.secretFor(courierCode), signature.t, rawBody));
    const matches = signature.v1.some((given) => timingSafeEqual(Buffer.from(given), expected));
    if (!matches) throw new Unauthenticated('errors.courierSignatureInvalid');

    let json: unknown;
    try {
      json = JSON.parse(rawBody.toString('utf8'));
    } catch (error) {
      throw new Invalid('errors.invalidJson', [], { detail: (error as Error).message });
    }
    const body = parseInput(eventsBody, json);
    return body.events.map((e) => ({
      eventId: e.eventId,
      waybillNo: e.waybillNo,
      kind: e.kind,
      at: new Date(e.at),
      location: e.location,
      note: e.note,
    }));
  }
}
