// What the storefront shows. Transport-free: routes call these and render the result.
import type { Types } from 'mongoose';
import { pickLocalized } from '../core/localized-text.ts';
import { sellableStockBySku } from '../hub/stock-ledger.ts';
import { ProductModel } from './product.model.ts';
import { ShopModel } from './shop.model.ts';
import { SkuModel } from './sku.model.ts';
import { VillageModel } from './village.model.ts';

export interface ProductCard {
  slug: string;
  title: string;
  shopName: string;
  villageName: string;
  photo: string | undefined;
  fromPriceFen: number;
  inStock: boolean;
  category: string;
}

export interface VillageCard {
  code: string;
  name: string;
  township: string;
  productCount: number;
}

/** Active products of approved shops, as cards with their lowest price and stock state. */
export async function listProductCards(
  locale: string,
  { limit = 48 } = {},
): Promise<ProductCard[]> {
  const shops = await ShopModel.find({ status: 'approved' }).lean();
  const products = await ProductModel.find({
    status: 'active',
    shopId: { $in: shops.map((s) => s._id) },
  })
    .sort({ featured: -1, createdAt: 1 })
    .limit(limit)
    .lean();
  if (products.length === 0) return [];
  const [skus, villages] = await Promise.all([
    SkuModel.find({ productId: { $in: products.map((p) => p._id) }, active: true }).lean(),
    VillageModel.find({ _id: { $in: products.map((p) => p.originVillageId) } }).lean(),
  ]);
  const stock = await sellableStockBySku(skus.map((s) => s._id));
  const shopById = byId(shops);
  const villageById = byId(villages);

  return products.map((p) => {
    const own = skus.filter((s) => String(s.productId) === String(p._id));
    return {
      slug: p.slug,
      title: pickLocalized(p.title, locale),
      shopName: pickLocalized(shopById.get(String(p.shopId))?.name, locale),
      villageName: pickLocalized(villageById.get(String(p.originVillageId))?.name, locale),
      photo: p.photos[0],
      fromPriceFen: Math.min(...own.map((s) => s.priceFen)),
      inStock: own.some((s) => (stock.get(String(s._id)) ?? 0) > 0),
      category: p.category,
    };
  });
}

export async function listVillageCards(locale: string): Promise<VillageCard[]> {
  const [villages, counts] = await Promise.all([
    VillageModel.find().sort({ code: 1 }).lean(),
    ProductModel.aggregate<{ _id: Types.ObjectId; count: number }>([
      { $match: { status: 'active' } },
      { $group: { _id: '$originVillageId', count: { $sum: 1 } } },
    ]),
  ]);
  const countById = new Map(counts.map((c) => [String(c._id), c.count]));
  return villages.map((v) => ({
    code: v.code,
    name: pickLocalized(v.name, locale),
    township: pickLocalized(v.township, locale),
    productCount: countById.get(String(v._id)) ?? 0,
  }));
}

function byId<T extends { _id: Types.ObjectId }>(docs: T[]): Map<string, T> {
  return new Map(docs.map((d) => [String(d._id), d]));
}
