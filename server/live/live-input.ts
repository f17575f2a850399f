import { z } from 'zod';
import { parseChinaLocalTime } from '../core/china-time.ts';
import { objectIdSchema, quantitySchema } from '../orders/order-input.ts';

const offerIdSchema = z.string().regex(/^[a-z0-9]{6,12}$/, 'validation.offer');
export const sessionRef = z.object({ sessionId: objectIdSchema });
export const offerRef = sessionRef.extend({ offerId: offerIdSchema });

export const buyInput = offerRef.extend({
  quantity: quantitySchema,
  /** Made by the buyer's phone once per tap; a retry after a reconnect sends the same one. */
  clientKey: z.string().regex(/^[A-Za-z0-9_-]{8,40}$/, 'validation.idempotencyKey'),
  /** Set by the phone when it sends the same buy again (its first answer never arrived). */
  resend: z.boolean().optional(),
});
export type BuyInput = z.infer<typeof buyInput>;

export const chatInput = sessionRef.extend({
  text: z.string().trim().min(1, 'validation.chatText').max(120, 'validation.chatText'),
});

export const flashInput = offerRef.extend({
  durationS: z.coerce
    .number()
    .int('validation.flashDuration')
    .min(10, 'validation.flashDuration')
    .max(300, 'validation.flashDuration'),
});

export const allotmentInput = offerRef.extend({
  allotment: z.coerce
    .number()
    .int('validation.allotment')
    .min(0, 'validation.allotment')
    .max(100000, 'validation.allotment'),
});

export const muteInput = sessionRef.extend({ userId: objectIdSchema });
export const deleteMessageInput = sessionRef.extend({
  messageId: z.string().regex(/^[a-z0-9]{8,16}$/, 'validation.invalid'),
});
export const announceInput = chatInput;

export const scheduleInput = z.object({
  title_zh: z.string().trim().min(2, 'validation.titleZh').max(60, 'validation.titleZh'),
  title_en: z.string().trim().max(100, 'validation.titleEn').default(''),
  // Typed in China time (a datetime-local field); stored as the instant, in UTC.
  scheduled_at: z.string({ error: 'validation.scheduledAt' }).transform((text, ctx) => {
    const at = parseChinaLocalTime(text);
    if (!at) ctx.addIssue({ code: 'custom', message: 'validation.scheduledAt' });
    return at ?? new Date(NaN);
  }),
  stream_url: z
    .string()
    .trim()
    .max(500, 'validation.streamUrl')
    .refine((v) => v === '' || /^https:\/\/\S+$/.test(v), 'validation.streamUrl')
    .default(''),
  offers: z
    .array(
      z.object({
        sku_code: z
          .string()
          .trim()
          .toUpperCase()
          .regex(/^[A-Z0-9-]{3,40}$/, 'validation.skuCode'),
        live_price_fen: z.coerce.number().int('validation.price').min(1, 'validation.price'),
        allotment: z.coerce
          .number()
          .int('validation.allotment')
          .min(1, 'validation.allotment')
          .max(100000, 'validation.allotment'),
        per_buyer_limit: z.coerce
          .number()
          .int('validation.buyerLimitSetting')
          .min(1, 'validation.buyerLimitSetting')
          .max(99, 'validation.buyerLimitSetting'),
      }),
    )
    .min(1, 'validation.offers')
    .max(20, 'validation.offers'),
});
