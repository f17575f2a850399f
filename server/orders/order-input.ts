import { isValidObjectId } from 'mongoose';
import { z } from 'zod';
import { parseInput } from '../core/validation.ts';
import type { Placement } from './order-service.ts';

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

/**
 * A checkout's placement from what the client sent: the edge's one validation. The channel is
 * never the client's to choose; the reservation step sets it.
 */
export function checkoutPlacement(raw: unknown): Placement {
  const input = parseInput(placeOrderInput, raw);
  return {
    idempotencyKey: input.idempotencyKey,
    lines: input.lines,
    address: input.address,
    ...(input.preferredCourier ? { preferredCourier: input.preferredCourier } : {}),
  };
}
