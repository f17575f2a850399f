import { isValidObjectId } from 'mongoose';
import { z } from 'zod';
import { parseInput } from '../core/validation.ts';
import type { Placement } from './order-service.ts';

export const objectIdSchema = z.string().refine((v) => isValidObjectId(v), 'validation.id');

/** Printable text: control characters (a NUL above all) make the document store refuse a write. */
const text = (min: number, max: number, code: string) =>
  z
    .string()
    .trim()
    .min(min, code)
    .max(max, code)
    // eslint-disable-next-line no-control-regex -- control characters are what this refuses
    .regex(/^[^\u0000-\u001f\u007f]*$/, code);

export const addressInput = z.object({
  recipient: text(1, 40, 'validation.recipient'),
  phone: z
    .string()
    .trim()
    .regex(/^1[3-9][0-9]{9}$/, 'validation.mobile'),
  province: text(2, 20, 'validation.province'),
  city: text(2, 30, 'validation.city'),
  county: text(2, 30, 'validation.county'),
  township: text(0, 30, 'validation.township').default(''),
  village: text(0, 30, 'validation.village').default(''),
  detail: text(2, 120, 'validation.addressDetail'),
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
