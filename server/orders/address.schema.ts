import { Schema, type InferSchemaType } from 'mongoose';
import { maskPhone } from '../core/masking.ts';

/** A Chinese delivery address: province / city / county / township / village / detail. */
export const addressSchema = new Schema(
  {
    recipient: { type: String, required: true, maxlength: 40 },
    phone: { type: String, required: true, match: /^1[3-9][0-9]{9}$/ },
    province: { type: String, required: true, maxlength: 20 },
    city: { type: String, required: true, maxlength: 30 },
    county: { type: String, required: true, maxlength: 30 },
    township: { type: String, default: '', maxlength: 30 },
    village: { type: String, default: '', maxlength: 30 },
    detail: { type: String, required: true, maxlength: 120 },
  },
  { _id: false },
);

export type Address = InferSchemaType<typeof addressSchema>;

/** Where an order goes, as a buyer checks it at a glance: the phone masked, the place short. */
export function shipToOf(address: Address | null | undefined) {
  if (!address) return null;
  return {
    recipient: address.recipient,
    phone: maskPhone(address.phone),
    place: `${address.province}${address.city}${address.county}`,
  };
}
