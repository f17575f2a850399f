// What the storefront shows. Transport-free: routes call these and render the result.
import type { Types } from 'mongoose';
import { pickLocalized } from '../core/localized-text.ts';
import { sellableStockBySku } from '../stock/stock-ledger.ts';
import { ProductModel } from './product.model.ts';
import { ShopModel } from './shop.model.ts';
import { SkuModel } from './sku.model.ts';
import { VillageModel } from './village.model.ts';
import { NotFound } from '../core/errors.ts';
import type { StockReservations } from '../stock/stock-reservations.ts';
import { queryTerms } from './keywords.ts';
import { certificationBadges, type CertificationBadge } from '../trace/certification.service.ts';
import { PRODUCT_CATEGORIES } from './product.model.ts';

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
  { limit = 48, ids }: { limit?: number; ids?: Types.ObjectId[] } = {},
): Promise<ProductCard[]> {
  const shops = await ShopModel.find({ status: 'approved' }).lean();
  const products = await ProductModel.find({
    status: 'active',
    shopId: { $in: shops.map((s) => s._id) },
    ...(ids ? { _id: { $in: ids } } : {}),
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

export interface SearchResult {
  query: string;
  category: string | undefined;
  products: ProductCard[];
}

/** Chinese or English keywords matched against the products' normalised keyword field. */
export async function searchProducts(
  locale: string,
  query: string,
  category: string | undefined,
): Promise<SearchResult> {
  const terms = queryTerms(query.slice(0, 60));
  const filter: Record<string, unknown> = {};
  if (terms.length > 0) filter.keywords = { $all: terms };
  if (category && (PRODUCT_CATEGORIES as readonly string[]).includes(category))
    filter.category = category;
  const ids =
    terms.length === 0 && !filter.category
      ? []
      : (
          await ProductModel.find({ ...filter, status: 'active' }, { _id: 1 })
            .limit(60)
            .lean()
        ).map((p) => p._id);
  const products = ids.length ? await listProductCards(locale, { ids }) : [];
  return { query, category: filter.category as string | undefined, products };
}

export interface SkuOption {
  id: string;
  code: string;
  spec: string;
  priceFen: number;
  available: number;
}

export interface ProductPage {
  slug: string;
  title: string;
  description: string;
  category: string;
  photos: string[];
  shop: { slug: string; name: string };
  village: { name: string; township: string; county: string };
  /** Verified, currently valid certifications covering this product. */
  badges: CertificationBadge[];
  skus: SkuOption[];
  liveSessionId: string | undefined;
}

/** A public product page: only active products of approved shops. */
export async function productPage(
  locale: string,
  slug: string,
  stock: StockReservations,
  /** The session on air with one of these SKUs pinned, if any (the live domain knows). */
  liveNowPinning: (skuIds: string[]) => Promise<string | undefined>,
): Promise<ProductPage> {
  if (!/^[a-z0-9-]{3,80}$/.test(slug)) throw new NotFound('errors.productNotFound');
  const product = await ProductModel.findOne({ slug, status: 'active' }).lean();
  const shop =
    product && (await ShopModel.findOne({ _id: product.shopId, status: 'approved' }).lean());
  if (!product || !shop) throw new NotFound('errors.productNotFound');
  const [skus, village, badges] = await Promise.all([
    SkuModel.find({ productId: product._id, active: true }).sort({ priceFen: 1 }).lean(),
    VillageModel.findById(product.originVillageId).lean(),
    certificationBadges({ productId: product._id }),
  ]);
  const available = await stock.available(skus.map((s) => String(s._id)));
  // "Watch live": a session on air right now with one of this product's SKUs pinned.
  const liveSessionId = await liveNowPinning(skus.map((s) => String(s._id)));
  return {
    slug: product.slug,
    liveSessionId,
    title: pickLocalized(product.title, locale),
    description: pickLocalized(product.description, locale),
    category: product.category,
    photos: product.photos,
    shop: { slug: shop.slug, name: pickLocalized(shop.name, locale) },
    village: {
      name: pickLocalized(village?.name, locale),
      township: pickLocalized(village?.township, locale),
      county: pickLocalized(village?.county, locale),
    },
    badges,
    skus: skus.map((s) => ({
      id: String(s._id),
      code: s.code,
      spec: pickLocalized(s.spec, locale),
      priceFen: s.priceFen,
      available: available.get(String(s._id)) ?? 0,
    })),
  };
}

export interface ShopPage {
  id: string;
  slug: string;
  name: string;
  story: string;
  photo: string | undefined;
  village: string;
  products: ProductCard[];
}

export async function shopPage(locale: string, slug: string): Promise<ShopPage> {
  if (!/^[a-z0-9-]{3,60}$/.test(slug)) throw new NotFound('errors.shopNotFound');
  const shop = await ShopModel.findOne({ slug, status: 'approved' }).lean();
  if (!shop) throw new NotFound('errors.shopNotFound');
  const [village, ids] = await Promise.all([
    VillageModel.findById(shop.villageId).lean(),
    ProductModel.find({ shopId: shop._id, status: 'active' }, { _id: 1 }).lean(),
  ]);
  return {
    id: String(shop._id),
    slug: shop.slug,
    name: pickLocalized(shop.name, locale),
    story: pickLocalized(shop.story, locale),
    photo: shop.photos[0],
    village: pickLocalized(village?.name, locale),
    products: ids.length ? await listProductCards(locale, { ids: ids.map((p) => p._id) }) : [],
  };
}
