// The catalogue as other domains read it: SKUs, products, shops and villages, as plain objects.
// Orders, live rooms, the hub and the trace page call these, never the catalogue's models
// (`npm run lint` checks). Each query is the one its caller made before it moved here.
import type { Types } from 'mongoose';
import { ProductModel } from './product.model.ts';
import { ShopModel } from './shop.model.ts';
import { SkuModel } from './sku.model.ts';
import { VillageModel } from './village.model.ts';

type Id = string | Types.ObjectId;

// ---- SKUs ----

/** Whether any SKU carries this barcode (a scan at the hub). */
export async function isKnownBarcode(barcode: string): Promise<boolean> {
  return (await SkuModel.exists({ barcode })) !== null;
}

/** Whether the SKU exists and is on sale (a cart line). */
export async function isSkuOnSale(skuId: Id): Promise<boolean> {
  return (await SkuModel.exists({ _id: skuId, active: true })) !== null;
}

export function skuByBarcode(barcode: string) {
  return SkuModel.findOne({ barcode }).lean();
}

export function skuById(skuId: Id) {
  return SkuModel.findById(skuId).lean();
}

/** A shop's SKU on sale by its code (what a streamer offers live). */
export function skuOnSaleInShop(shopId: Id, code: string) {
  return SkuModel.findOne({ code, shopId, active: true }).lean();
}

/** SKUs by id; with `onSale`, only those on sale. */
export function skusByIds(skuIds: Id[], { onSale = false } = {}) {
  return SkuModel.find({ _id: { $in: skuIds }, ...(onSale ? { active: true } : {}) }).lean();
}

// ---- products ----

export function productById(productId: Id) {
  return ProductModel.findById(productId).lean();
}

/** Products by id; with `active`, only those on sale. */
export function productsByIds(productIds: Id[], { active = false } = {}) {
  return ProductModel.find({
    _id: { $in: productIds },
    ...(active ? { status: 'active' as const } : {}),
  }).lean();
}

/** How many of these products belong to the shop (another shop's look the same as missing). */
export function countShopProducts(shopId: Id, productIds: Id[]): Promise<number> {
  return ProductModel.countDocuments({ _id: { $in: productIds }, shopId });
}

/** The titles of a shop's products not archived, oldest first (a form's product list). */
export function shopProductTitles(shopId: Id) {
  return ProductModel.find({ shopId, status: { $ne: 'archived' } }, { title: 1 })
    .sort({ createdAt: 1 })
    .lean();
}

export function productTitlesByIds(productIds: Id[]) {
  return ProductModel.find({ _id: { $in: productIds } }, { title: 1 }).lean();
}

// ---- shops and villages ----

export function shopById(shopId: Id) {
  return ShopModel.findById(shopId).lean();
}

/** The shop if the county admin approved it (only approved shops sell). */
export function approvedShop(shopId: Id) {
  return ShopModel.findOne({ _id: shopId, status: 'approved' }).lean();
}

/** Shops by id; with `approved`, only approved ones. */
export function shopsByIds(shopIds: Id[], { approved = false } = {}) {
  return ShopModel.find({
    _id: { $in: shopIds },
    ...(approved ? { status: 'approved' as const } : {}),
  }).lean();
}

export function shopNamesByIds(shopIds: Id[]) {
  return ShopModel.find({ _id: { $in: shopIds } }, { name: 1 }).lean();
}

export function villageById(villageId: Id) {
  return VillageModel.findById(villageId).lean();
}

/** Every village, by code (the county's tables and map list each, sales or not). */
export function allVillages() {
  return VillageModel.find({}, { code: 1, name: 1, mapPoint: 1 }).sort({ code: 1 }).lean();
}

/** Every shop approved to sell, with its village (the county's tables). */
export function approvedShops() {
  return ShopModel.find({ status: 'approved' }, { name: 1, villageId: 1, slug: 1 }).lean();
}
