import { Schema, model, type InferSchemaType } from 'mongoose';
import { localizedTextSchema } from '../core/localized-text.ts';

export const SHOP_STATUSES = ['pending', 'approved', 'suspended'] as const;

const shopSchema = new Schema(
  {
    slug: { type: String, required: true, unique: true, match: /^[a-z0-9-]{3,60}$/ },
    name: { type: localizedTextSchema, required: true },
    story: { type: localizedTextSchema, required: true },
    villageId: { type: Schema.Types.ObjectId, ref: 'Village', required: true, index: true },
    ownerId: { type: Schema.Types.ObjectId, ref: 'User', required: true, index: true },
    photos: { type: [String], default: [] },
    status: { type: String, enum: SHOP_STATUSES, required: true, default: 'pending' },
    approvedAt: { type: Date },
  },
  { timestamps: true },
);

export type Shop = InferSchemaType<typeof shopSchema>;
export const ShopModel = model('Shop', shopSchema);
