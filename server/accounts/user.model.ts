import { Schema, model, type InferSchemaType } from 'mongoose';
import { addressSchema } from '../orders/address.schema.ts';

export const ROLES = ['buyer', 'streamer', 'hub_staff', 'admin'] as const;
export type Role = (typeof ROLES)[number];

const userSchema = new Schema(
  {
    /** Mainland mobile number (11 digits) or null. One of phone/email is required. */
    phone: { type: String, match: /^1[3-9][0-9]{9}$/, unique: true, sparse: true },
    email: { type: String, lowercase: true, trim: true, unique: true, sparse: true },
    displayName: { type: String, required: true, trim: true, maxlength: 40 },
    passwordHash: { type: String, required: true },
    role: { type: String, enum: ROLES, required: true, default: 'buyer' },
    shopId: { type: Schema.Types.ObjectId, ref: 'Shop' },
    /** For streamers: the shop's owner, or an assistant the owner invited (场控). */
    shopRole: { type: String, enum: ['owner', 'assistant'] },
    hubId: { type: Schema.Types.ObjectId, ref: 'Hub' },
    stripeCustomerId: { type: String },
    /** The address book; the first is the default. */
    addresses: { type: [addressSchema], default: [] },
  },
  { timestamps: true },
);

export type User = InferSchemaType<typeof userSchema>;
export const UserModel = model('User', userSchema);
