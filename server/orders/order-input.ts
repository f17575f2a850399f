import { z } from 'zod';
import { objectIdSchema, parseInput, plainText, wholeNumber } from '../core/validation.ts';
import { divisionProblem } from './china-divisions.ts';
import type { Placement } from './order-service.ts';

export { objectIdSchema };

const text = (min: number, max: number, code: string) => plainText(code, { min, max });

/** The fields of a delivery address, as its forms name them. */
export const ADDRESS_FIELDS = [
  'recipient',
  'phone',
  'province',
  'city',
  'county',
  'township',
  'village',
  'detail',
] as const;

const addressFields = z.object({
  recipient: text(1, 40, 'validation.recipient'),
  phone: z
    .string({ error: 'validation.mobile' })
    .trim()
    .regex(/^1[3-9][0-9]{9}$/, 'validation.mobile'),
  province: text(2, 20, 'validation.province'),
  city: text(2, 30, 'validation.city'),
  county: text(2, 30, 'validation.county'),
  township: text(0, 30, 'validation.township').default(''),
  village: text(0, 30, 'validation.village').default(''),
  detail: text(2, 120, 'validation.addressDetail'),
});

/** A delivery address whose province, city and county are real and belong together. */
export const addressInput = addressFields.superRefine((a, ctx) => {
  const wrong = divisionProblem(a.province, a.city, a.county);
  if (wrong) ctx.addIssue({ code: 'custom', path: [wrong], message: `validation.${wrong}` });
});

export const quantitySchema = wholeNumber('validation.quantity', {
  min: 1,
  max: 99,
  maxCode: 'validation.quantityMax',
});

export const placeOrderInput = z.object({
  idempotencyKey: z
    .string({ error: 'validation.idempotencyKey' })
    .regex(/^[A-Za-z0-9_-]{8,64}$/, 'validation.idempotencyKey'),
  lines: z
    .array(z.object({ skuId: objectIdSchema, quantity: quantitySchema }), {
      error: 'validation.lines',
    })
    .min(1, 'validation.lines')
    .max(20, 'validation.lines'),
  address: addressInput,
  /** The buyer's courier, where the checkout offers a choice; the hub honours it if it can. */
  preferredCourier: z
    .string({ error: 'validation.courier' })
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
