import { isValidObjectId } from 'mongoose';
import { z } from 'zod';
import { ORDER_CHANNELS } from './order.model.ts';

export const objectIdSchema = z.string().refine((v) => isValidObjectId(v), 'validation.id');

export const addressInput = z.object({
  recipient: z.string().trim().min(1, 'validation.recipient').max(40, 'validation.recipient'),
  phone: z
    .string()
    .trim()
    .regex(/^1[3-9][0-9]{9}$/, 'validation.mobile'),
  province: z.string().trim().min(2, 'validation.province').max(20, 'validation.province'),
  city: z.string().trim().min(2, 'validation.city').max(30, 'validation.city'),
  county: z.string().trim().min(2, 'validation.county').max(30, 'validation.county'),
  township: z.string().trim().max(30, 'validation.township').default(''),
  village: z.string().trim().max(30, 'validation.village').default(''),
  detail: z.string().trim().min(2, 'validation.addressDetail').max(120, 'validation.addressDetail'),
});

export const quantitySchema = z.coerce
  .number({ error: 'validation.quantity' })
  .int('validation.quantity')
  .min(1, 'validation.quantity')
  .max(99, 'validation.quantityMax');

export const placeOrderInput = z.object({
  idempotencyKey: z.string().regex(/^[A-Za-z0-9_-]{8,64}$/, 'validation.idempotencyKey'),
  channel: z.enum(ORDER_CHANNELS).default('storefront'),
  lines: z
    .array(z.object({ skuId: objectIdSchema, quantity: quantitySchema }), {
      error: 'validation.lines',
    })
    .min(1, 'validation.lines')
    .max(20, 'validation.lines'),
  address: addressInput,
  /** The buyer's courier, where the checkout offers a choice; the hub honours it if it can. */
  preferredCourier: z
    .string()
    .regex(/^[a-z0-9-]{2,20}$/, 'validation.courier')
    .optional(),
});

export type PlaceOrderInput = z.input<typeof placeOrderInput>;

/** A live buy: the address is the buyer's default, read once the units are won. */
export const livePlaceOrderInput = placeOrderInput.omit({ address: true });
export type LivePlaceOrderInput = z.input<typeof livePlaceOrderInput>;
