import { Schema, model, type InferSchemaType } from 'mongoose';
import { localizedTextSchema } from '../core/localized-text.ts';

export const PRODUCT_CATEGORIES = [
  'pepper',
  'sauce',
  'grain',
  'herb',
  'tea',
  'nuts',
  'honey',
  'dried',
  'noodles',
] as const;
export const PRODUCT_STATUSES = ['draft', 'active', 'archived'] as const;

const productSchema = new Schema(
  {
    slug: { type: String, required: true, unique: true, match: /^[a-z0-9-]{3,80}$/ },
    shopId: { type: Schema.Types.ObjectId, ref: 'Shop', required: true, index: true },
    title: { type: localizedTextSchema, required: true },
    description: { type: localizedTextSchema, required: true },
    category: { type: String, enum: PRODUCT_CATEGORIES, required: true, index: true },
    originVillageId: { type: Schema.Types.ObjectId, ref: 'Village', required: true },
    photos: { type: [String], default: [] },
    status: { type: String, enum: PRODUCT_STATUSES, required: true, default: 'draft', index: true },
    featured: { type: Boolean, default: false },
    /** Normalised search terms (FerretDB has no text index): lower-cased words and CJK bigrams. */
    keywords: { type: [String], default: [], index: true },
  },
  { timestamps: true },
);

export type Product = InferSchemaType<typeof productSchema>;
export const ProductModel = model('Product', productSchema);
