import { Schema, model, type InferSchemaType } from 'mongoose';
import { localizedTextSchema } from '../core/localized-text.ts';

const skuSchema = new Schema(
  {
    code: { type: String, required: true, unique: true, match: /^[A-Z0-9-]{3,40}$/ },
    productId: { type: Schema.Types.ObjectId, ref: 'Product', required: true, index: true },
    shopId: { type: Schema.Types.ObjectId, ref: 'Shop', required: true, index: true },
    spec: { type: localizedTextSchema, required: true }, // 特级 500g
    priceFen: { type: Number, required: true, min: 1, validate: Number.isSafeInteger },
    weightGrams: { type: Number, required: true, min: 1, validate: Number.isSafeInteger },
    barcode: { type: String, required: true, unique: true, match: /^[0-9]{8,14}$/ },
    active: { type: Boolean, default: true },
  },
  { timestamps: true },
);

export type Sku = InferSchemaType<typeof skuSchema>;
export const SkuModel = model('Sku', skuSchema);

/** Every SKU's id, streamed (the stock resync walks them all without holding them). */
export async function* eachSkuId(): AsyncGenerator<string> {
  for await (const sku of SkuModel.find({}, { _id: 1 }).lean().cursor()) yield String(sku._id);
}
