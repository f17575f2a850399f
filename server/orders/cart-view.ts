import { Types } from 'mongoose';
import { pickLocalized } from '../core/localized-text.ts';
import type { StockReservations } from '../stock/stock-reservations.ts';
import { productsByIds, shopsByIds, skusByIds } from '../catalogue/catalogue-reads.ts';

export interface CartLineView {
  skuId: string;
  title: string;
  spec: string;
  photo: string | undefined;
  productSlug: string;
  unitPriceFen: number;
  quantity: number;
  lineTotalFen: number;
  available: number;
  short: boolean;
}

export interface CartShopGroup {
  shopId: string;
  shopName: string;
  lines: CartLineView[];
  totalFen: number;
}

/** The cart as the buyer sees it: grouped by shop (each shop becomes one order). */
export async function cartView(
  locale: string,
  lines: { skuId: string; quantity: number }[],
  stock: StockReservations,
): Promise<{ groups: CartShopGroup[]; totalFen: number; count: number }> {
  const ids = lines
    .filter((l) => Types.ObjectId.isValid(l.skuId))
    .map((l) => new Types.ObjectId(l.skuId));
  const skus = await skusByIds(ids, { onSale: true });
  const products = await productsByIds(
    skus.map((s) => s.productId),
    { active: true },
  );
  const shops = await shopsByIds(
    skus.map((s) => s.shopId),
    { approved: true },
  );
  const available = await stock.available(skus.map((s) => String(s._id)));
  const groups = new Map<string, CartShopGroup>();
  for (const line of lines) {
    const sku = skus.find((s) => String(s._id) === line.skuId);
    const product = sku && products.find((p) => String(p._id) === String(sku.productId));
    const shop = sku && shops.find((s) => String(s._id) === String(sku.shopId));
    if (!sku || !product || !shop) continue;
    const group = groups.get(String(shop._id)) ?? {
      shopId: String(shop._id),
      shopName: pickLocalized(shop.name, locale),
      lines: [],
      totalFen: 0,
    };
    const left = available.get(line.skuId) ?? 0;
    const view: CartLineView = {
      skuId: line.skuId,
      title: pickLocalized(product.title, locale),
      spec: pickLocalized(sku.spec, locale),
      photo: product.photos[0],
      productSlug: product.slug,
      unitPriceFen: sku.priceFen,
      quantity: line.quantity,
      lineTotalFen: sku.priceFen * line.quantity,
      available: left,
      short: left < line.quantity,
    };
    group.lines.push(view);
    group.totalFen += view.lineTotalFen;
    groups.set(group.shopId, group);
  }
  const list = [...groups.values()];
  return {
    groups: list,
    totalFen: list.reduce((s, g) => s + g.totalFen, 0),
    count: list.reduce((s, g) => s + g.lines.reduce((n, l) => n + l.quantity, 0), 0),
  };
}
