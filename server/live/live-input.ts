import { z } from 'zod';
import {
  chinaDateTime,
  objectIdSchema,
  plainText,
  wholeNumber,
  yuanAmount,
} from '../core/validation.ts';
import { quantitySchema } from '../orders/order-input.ts';

const offerIdSchema = z
  .string({ error: 'validation.offer' })
  .regex(/^[a-z0-9]{6,12}$/, 'validation.offer');
export const sessionRef = z.object({ sessionId: objectIdSchema });
export const offerRef = sessionRef.extend({ offerId: offerIdSchema });

export const buyInput = offerRef.extend({
  quantity: quantitySchema,
  /** Made by the buyer's phone once per tap; a retry after a reconnect sends the same one. */
  clientKey: z
    .string({ error: 'validation.idempotencyKey' })
    .regex(/^[A-Za-z0-9_-]{8,40}$/, 'validation.idempotencyKey'),
  /** Set by the phone when it sends the same buy again (its first answer never arrived). */
  resend: z.boolean({ error: 'validation.invalid' }).optional(),
});
export type BuyInput = z.infer<typeof buyInput>;

export const chatInput = sessionRef.extend({
  text: plainText('validation.chatText', { min: 1, max: 120 }),
});

export const flashInput = offerRef.extend({
  durationS: wholeNumber('validation.flashDuration', { min: 10, max: 300 }),
});

export const allotmentInput = offerRef.extend({
  allotment: wholeNumber('validation.allotment', { min: 0, max: 100000 }),
});

export const muteInput = sessionRef.extend({ userId: objectIdSchema });
export const deleteMessageInput = sessionRef.extend({
  messageId: z.string().regex(/^[a-z0-9]{8,16}$/, 'validation.invalid'),
});
export const announceInput = chatInput;

export const scheduleInput = z.object({
  title_zh: plainText('validation.titleZh', { min: 2, max: 60 }),
  title_en: plainText('validation.titleEn', { max: 100 }).default(''),
  // Typed in China time (a datetime-local field); stored as the instant, in UTC.
  scheduled_at: chinaDateTime('validation.scheduledAt'),
  stream_url: plainText('validation.streamUrl', { max: 500 })
    .refine((v) => v === '' || /^https:\/\/\S+$/.test(v), 'validation.streamUrl')
    .default(''),
  offers: z
    .array(
      z.object({
        sku_code: z
          .string({ error: 'validation.skuCode' })
          .trim()
          .toUpperCase()
          .regex(/^[A-Z0-9-]{3,40}$/, 'validation.skuCode'),
        /** Typed in 元 ("29.80"), kept in fen. */
        live_price_yuan: yuanAmount('validation.price'),
        allotment: wholeNumber('validation.allotment', { min: 1, max: 100000 }),
        per_buyer_limit: wholeNumber('validation.buyerLimitSetting', { min: 1, max: 99 }),
      }),
    )
    .min(1, 'validation.offers')
    .max(20, 'validation.offers'),
});

// The typed input of each socket event, validated by the dispatcher before the service sees it.
export type SessionRef = z.output<typeof sessionRef>;
export type OfferRef = z.output<typeof offerRef>;
export type ChatInput = z.output<typeof chatInput>;
export type FlashInput = z.output<typeof flashInput>;
export type AllotmentInput = z.output<typeof allotmentInput>;
export type MuteInput = z.output<typeof muteInput>;
export type DeleteMessageInput = z.output<typeof deleteMessageInput>;
export type AnnounceInput = z.output<typeof announceInput>;
