// What a coupon takes off an order, and how a person reads it. Pure: money in integer fen.
import { z } from 'zod';
import { objectIdSchema, wholeNumber, yuanAmount } from '../core/validation.ts';
import type { CouponKind } from './coupon.model.ts';

export interface CouponTerms {
  kind: CouponKind;
  offFen: number;
  percent: number;
  capFen: number;
  minFen: number;
}

/** The most a coupon may take off: goods worth ¥100 are still charged at least ¥10. */
export const MAX_PERCENT = 90;

/**
 * Fen off goods worth `itemsTotalFen`, or `under_threshold`. Never the whole price: an amount
 * coupon needs a threshold above its amount (checked when it is dropped), and a percentage is
 * at most 90.
 */
export function discountFen(terms: CouponTerms, itemsTotalFen: number): number | 'under_threshold' {
  if (itemsTotalFen < Math.max(1, terms.minFen)) return 'under_threshold';
  const off =
    terms.kind === 'amount'
      ? terms.offFen
      : Math.min(terms.capFen, Math.floor((itemsTotalFen * terms.percent) / 100));
  // A cap or an amount can never make the order free.
  return Math.max(0, Math.min(off, itemsTotalFen - 1));
}

/** The coupon as the buyer reads it: an i18n code and its parameters (fen, formatted by the view). */
export function couponLabel(terms: CouponTerms): { code: string; params: Record<string, number> } {
  if (terms.kind === 'amount')
    return terms.minFen > 0
      ? { code: 'coupons.amountOver', params: { offFen: terms.offFen, minFen: terms.minFen } }
      : { code: 'coupons.amount', params: { offFen: terms.offFen } };
  return {
    code: terms.minFen > 0 ? 'coupons.percentOver' : 'coupons.percent',
    params: { percent: terms.percent, capFen: terms.capFen, minFen: terms.minFen },
  };
}

const couponIdSchema = z
  .string({ error: 'validation.coupon' })
  .regex(/^[a-z0-9]{10}$/, 'validation.coupon');

/** A field left empty is a field not given. */
const optional = <S extends z.ZodType>(schema: S) =>
  z.preprocess((v) => (v === '' || v === null ? undefined : v), schema.optional());

/** The console's drop, typed in 元 as on every money field a person fills in. */
export const dropCouponInput = z
  .object({
    sessionId: objectIdSchema,
    kind: z.enum(['amount', 'percent'], { error: 'validation.couponKind' }),
    off_yuan: optional(yuanAmount('validation.couponOff')),
    percent: optional(wholeNumber('validation.couponPercent', { min: 5, max: MAX_PERCENT })),
    cap_yuan: optional(yuanAmount('validation.couponCap')),
    /** Empty or absent: no threshold (a percentage coupon only). */
    min_yuan: optional(yuanAmount('validation.couponMin')),
    total: wholeNumber('validation.couponTotal', { min: 1, max: 10_000 }),
    hours_after: wholeNumber('validation.couponHours', { min: 0, max: 72 }),
  })
  .superRefine((v, ctx) => {
    const problem = (path: string, message: string) =>
      ctx.addIssue({ code: 'custom', path: [path], message });
    if (v.kind === 'amount') {
      if (v.off_yuan === undefined) problem('off_yuan', 'validation.couponOff');
      // An amount off needs a threshold above it, or the coupon would give goods away.
      else if (v.min_yuan === undefined || v.min_yuan <= v.off_yuan)
        problem('min_yuan', 'validation.couponMinAboveOff');
    } else {
      if (v.percent === undefined) problem('percent', 'validation.couponPercent');
      if (v.cap_yuan === undefined) problem('cap_yuan', 'validation.couponCap');
    }
  })
  .transform((v): CouponTerms & { sessionId: string; total: number; hoursAfter: number } => ({
    sessionId: v.sessionId,
    kind: v.kind,
    offFen: v.kind === 'amount' ? (v.off_yuan ?? 0) : 0,
    percent: v.kind === 'percent' ? (v.percent ?? 0) : 0,
    capFen: v.kind === 'percent' ? (v.cap_yuan ?? 0) : 0,
    minFen: v.min_yuan ?? 0,
    total: v.total,
    hoursAfter: v.hours_after,
  }));
export type DropCouponInput = z.output<typeof dropCouponInput>;

export const claimCouponInput = z.object({ sessionId: objectIdSchema, couponId: couponIdSchema });
export type ClaimCouponInput = z.output<typeof claimCouponInput>;

/** The pay page's form: which of the buyer's coupons goes on the order. */
export const useCouponInput = z.object({ couponId: couponIdSchema });
