// What the console sends to start a lucky bag, and what the room sends to enter one. Money typed
// in 元 and kept in fen, as on every form.
import { z } from 'zod';
import { objectIdSchema, plainText, wholeNumber, yuanAmount } from '../core/validation.ts';

/** A field left empty is a field not given. */
const optional = <S extends z.ZodType>(schema: S) =>
  z.preprocess((v) => (v === '' || v === null ? undefined : v), schema.optional());

export const giveawayIdSchema = z
  .string({ error: 'validation.giveaway' })
  .regex(/^[a-z0-9]{10}$/, 'validation.giveaway');

export const startGiveawayInput = z
  .object({
    sessionId: objectIdSchema,
    prize: z.enum(['sku', 'coupon'], { error: 'validation.giveawayPrize' }),
    /** `sku`: one of the session's offers; its SKU is the prize, one unit per winner. */
    offerId: optional(z.string().regex(/^[a-z0-9]{6,12}$/, 'validation.offer')),
    /** `coupon`: ¥X off orders over ¥Y, usable for `hours_after` after the session. */
    off_yuan: optional(yuanAmount('validation.couponOff')),
    min_yuan: optional(yuanAmount('validation.couponMin')),
    hours_after: optional(wholeNumber('validation.couponHours', { min: 0, max: 72 })),
    winners: wholeNumber('validation.giveawayWinners', { min: 1, max: 100 }),
    entry: z.enum(['tap', 'keyword'], { error: 'validation.giveawayEntry' }),
    keyword: optional(plainText('validation.giveawayKeyword', { min: 1, max: 12 })),
    duration_s: wholeNumber('validation.giveawayDuration', { min: 10, max: 1800 }),
  })
  .superRefine((v, ctx) => {
    const problem = (path: string, message: string) =>
      ctx.addIssue({ code: 'custom', path: [path], message });
    if (v.prize === 'sku' && !v.offerId) problem('offerId', 'validation.giveawayOffer');
    if (v.prize === 'coupon') {
      if (v.off_yuan === undefined) problem('off_yuan', 'validation.couponOff');
      // Never the goods for nothing: the threshold is above the amount, as for any coupon.
      else if (v.min_yuan === undefined || v.min_yuan <= v.off_yuan)
        problem('min_yuan', 'validation.couponMinAboveOff');
    }
    if (v.entry === 'keyword' && !v.keyword) problem('keyword', 'validation.giveawayKeyword');
  })
  .transform((v) => ({
    sessionId: v.sessionId,
    prize: v.prize,
    offerId: v.offerId,
    coupon:
      v.prize === 'coupon'
        ? { offFen: v.off_yuan!, minFen: v.min_yuan!, hoursAfter: v.hours_after ?? 24 }
        : undefined,
    winners: v.winners,
    entry: v.entry,
    keyword: v.entry === 'keyword' ? v.keyword : undefined,
    durationS: v.duration_s,
  }));
export type StartGiveawayInput = z.output<typeof startGiveawayInput>;

export const enterGiveawayInput = z.object({
  sessionId: objectIdSchema,
  giveawayId: giveawayIdSchema,
});
export type EnterGiveawayInput = z.output<typeof enterGiveawayInput>;

export const giveawayRef = enterGiveawayInput;

/** A comment enters a keyword giveaway when it is the keyword, give or take spaces and case. */
export const sameKeyword = (comment: string, keyword: string) =>
  comment.replace(/\s+/g, '').toLowerCase() === keyword.replace(/\s+/g, '').toLowerCase();
