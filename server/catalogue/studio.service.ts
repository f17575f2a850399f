// The streamer's studio: their own shop's products, SKUs, photos, CSV import and hub stock.
import { randomBytes } from 'node:crypto';
import { parse as parseCsv } from 'csv-parse/sync';
import { Types } from 'mongoose';
import { z } from 'zod';
import type { Actor } from '../accounts/actor.ts';
import { Forbidden, Invalid, NotFound } from '../core/errors.ts';
import { pickLocalized } from '../core/localized-text.ts';
import { parseInput, plainText, wholeNumber, yuanAmount } from '../core/validation.ts';
import { sellableStockBySku } from '../stock/stock-ledger.ts';
import { keywordsOf } from './keywords.ts';
import { PRODUCT_CATEGORIES, ProductModel } from './product.model.ts';
import { ShopModel } from './shop.model.ts';
import { SkuModel } from './sku.model.ts';
import { VillageModel } from './village.model.ts';

const text = (max: number, code: string, multiline = false) =>
  plainText(code, { min: 1, max, multiline });

export const productInput = z.object({
  title_zh: text(60, 'validation.titleZh'),
  title_en: text(100, 'validation.titleEn'),
  description_zh: text(2000, 'validation.descriptionZh', true),
  description_en: plainText('validation.descriptionEn', { max: 2000, multiline: true }).default(''),
  category: z.enum(PRODUCT_CATEGORIES, { error: 'validation.category' }),
  village_code: z
    .string({ error: 'validation.village' })
    .trim()
    .regex(/^PS-[A-Z]+$/, 'validation.village'),
  status: z.enum(['draft', 'active'], { error: 'validation.productStatus' }).default('active'),
});

export const skuInput = z.object({
  sku_code: z
    .string({ error: 'validation.skuCode' })
    .trim()
    .toUpperCase()
    .regex(/^[A-Z0-9-]{3,40}$/, 'validation.skuCode'),
  spec_zh: text(40, 'validation.specZh'),
  spec_en: plainText('validation.specEn', { max: 60 }).default(''),
  price_yuan: yuanAmount('validation.price'),
  weight_grams: wholeNumber('validation.weight', { min: 1, max: 60000 }),
  barcode: z
    .string({ error: 'validation.barcode' })
    .trim()
    .regex(/^[0-9]{8,14}$/, 'validation.barcode'),
});

/** The product CSV's header, as the studio shows it for the streamer to copy and importCsv reads it. */
export const IMPORT_COLUMNS = [
  'product_slug',
  'title_zh',
  'title_en',
  'description_zh',
  'description_en',
  'category',
  'village_code',
  'sku_code',
  'spec_zh',
  'spec_en',
  'price_yuan',
  'weight_grams',
  'barcode',
];

export interface ImportReport {
  imported: number;
  errors: { row: number; field: string; code: string }[];
}

export class StudioService {
  /** The streamer's own shop; Forbidden for anyone else (the county admin included). */
  shopOf(actor: Actor | undefined) {
    return this.ownShop(actor);
  }

  private async ownShop(actor: Actor | undefined) {
    if (!actor || actor.role !== 'streamer' || !actor.shopId) throw new Forbidden();
    const shop = await ShopModel.findById(actor.shopId).lean();
    if (!shop) throw new Forbidden();
    return shop;
  }

  /** The shop's SKUs on sale, for a streamer choosing what to offer live. */
  async activeSkus(actor: Actor | undefined, locale: string) {
    const shop = await this.ownShop(actor);
    const skus = await SkuModel.find({ shopId: shop._id, active: true }).lean();
    return skus.map((s) => ({
      code: s.code,
      spec: pickLocalized(s.spec, locale),
      priceFen: s.priceFen,
    }));
  }

  private async ownProduct(actor: Actor | undefined, productId: string) {
    const shop = await this.ownShop(actor);
    if (!Types.ObjectId.isValid(productId)) throw new NotFound('errors.productNotFound');
    const product = await ProductModel.findById(productId);
    // Another shop's product is indistinguishable from a missing one.
    if (!product || String(product.shopId) !== String(shop._id))
      throw new NotFound('errors.productNotFound');
    return { shop, product };
  }

  async overview(actor: Actor | undefined, locale: string) {
    const shop = await this.ownShop(actor);
    const products = await ProductModel.find({ shopId: shop._id }).sort({ createdAt: -1 }).lean();
    const skus = await SkuModel.find({ shopId: shop._id }).lean();
    const stock = await sellableStockBySku(skus.map((s) => s._id));
    return {
      shop: { name: pickLocalized(shop.name, locale), status: shop.status, slug: shop.slug },
      products: products.map((p) => ({
        id: String(p._id),
        slug: p.slug,
        title: pickLocalized(p.title, locale),
        status: p.status,
        photo: p.photos[0],
        skus: skus
          .filter((s) => String(s.productId) === String(p._id))
          .map((s) => ({
            code: s.code,
            spec: pickLocalized(s.spec, locale),
            priceFen: s.priceFen,
            stock: stock.get(String(s._id)) ?? 0,
          })),
      })),
    };
  }

  async productForEdit(actor: Actor | undefined, productId: string) {
    const { product } = await this.ownProduct(actor, productId);
    const village = await VillageModel.findById(product.originVillageId).lean();
    const skus = await SkuModel.find({ productId: product._id }).lean();
    return { product: product.toObject(), villageCode: village?.code, skus };
  }

  async createProduct(actor: Actor | undefined, raw: unknown, skuRaw: unknown, photos: string[]) {
    const shop = await this.ownShop(actor);
    const input = parseInput(productInput, raw);
    const sku = parseInput(skuInput, skuRaw);
    const village = await VillageModel.findOne({ code: input.village_code }).lean();
    if (!village)
      throw new Invalid('errors.invalid', [{ field: 'village_code', code: 'validation.village' }]);
    await this.assertSkuCodeFree(sku.sku_code, sku.barcode);
    const product = await ProductModel.create({
      slug: slugFor(input.title_en),
      shopId: shop._id,
      title: { zh: input.title_zh, en: input.title_en },
      description: { zh: input.description_zh, en: input.description_en || input.description_zh },
      category: input.category,
      originVillageId: village._id,
      photos,
      status: input.status,
      keywords: keywordsOf(input.title_zh, input.title_en, village.name.zh, sku.spec_zh),
    });
    await createSku(shop._id, product._id, sku);
    return product.toObject();
  }

  async updateProduct(
    actor: Actor | undefined,
    productId: string,
    raw: unknown,
    newPhotos: string[],
  ) {
    const { product } = await this.ownProduct(actor, productId);
    const input = parseInput(productInput, raw);
    const village = await VillageModel.findOne({ code: input.village_code }).lean();
    if (!village)
      throw new Invalid('errors.invalid', [{ field: 'village_code', code: 'validation.village' }]);
    product.set({
      title: { zh: input.title_zh, en: input.title_en },
      description: { zh: input.description_zh, en: input.description_en || input.description_zh },
      category: input.category,
      originVillageId: village._id,
      status: input.status,
      photos: [...newPhotos, ...product.photos].slice(0, 8),
      keywords: keywordsOf(input.title_zh, input.title_en, village.name.zh),
    });
    await product.save();
    return product.toObject();
  }

  async archiveProduct(actor: Actor | undefined, productId: string) {
    const { product } = await this.ownProduct(actor, productId);
    product.status = 'archived';
    await product.save();
  }

  async addSku(actor: Actor | undefined, productId: string, raw: unknown) {
    const { shop, product } = await this.ownProduct(actor, productId);
    const sku = parseInput(skuInput, raw);
    await this.assertSkuCodeFree(sku.sku_code, sku.barcode);
    await createSku(shop._id, product._id, sku);
  }

  /** Rows that pass are created or updated (by product_slug and sku_code); the rest are reported. */
  async importCsv(actor: Actor | undefined, csv: string): Promise<ImportReport> {
    const shop = await this.ownShop(actor);
    let rows: Record<string, string>[];
    try {
      rows = parseCsv(csv.replace(/^\uFEFF/, ''), {
        columns: true,
        skip_empty_lines: true,
        trim: true,
      }) as Record<string, string>[];
    } catch {
      throw new Invalid('errors.invalid', [{ field: 'file', code: 'validation.csv' }]);
    }
    if (rows.length === 0 || rows.length > 500)
      throw new Invalid('errors.invalid', [{ field: 'file', code: 'validation.csvRows' }]);

    const report: ImportReport = { imported: 0, errors: [] };
    for (const [index, row] of rows.entries()) {
      const rowNo = index + 2; // the header is row 1
      const product = productInput.safeParse(row);
      const sku = skuInput.safeParse(row);
      const slug = (row.product_slug ?? '').trim();
      const problems = [
        ...(product.success ? [] : product.error.issues),
        ...(sku.success ? [] : sku.error.issues),
      ].map((i) => ({
        row: rowNo,
        field: i.path.join('.'),
        code: i.message.startsWith('validation.') ? i.message : 'validation.invalid',
      }));
      if (!/^[a-z0-9-]{3,80}$/.test(slug))
        problems.push({ row: rowNo, field: 'product_slug', code: 'validation.slug' });
      const village = product.success
        ? await VillageModel.findOne({ code: product.data.village_code }).lean()
        : null;
      if (product.success && !village)
        problems.push({ row: rowNo, field: 'village_code', code: 'validation.village' });
      if (problems.length > 0 || !product.success || !sku.success || !village) {
        report.errors.push(...problems);
        continue;
      }
      const existing = await ProductModel.findOne({ slug });
      if (existing && String(existing.shopId) !== String(shop._id)) {
        report.errors.push({ row: rowNo, field: 'product_slug', code: 'validation.slugTaken' });
        continue;
      }
      const otherSku = await SkuModel.findOne({
        $or: [{ code: sku.data.sku_code }, { barcode: sku.data.barcode }],
      }).lean();
      if (otherSku && String(otherSku.shopId) !== String(shop._id)) {
        report.errors.push({ row: rowNo, field: 'sku_code', code: 'validation.skuCodeTaken' });
        continue;
      }
      const barcodeOwner = await SkuModel.findOne(
        { barcode: sku.data.barcode },
        { code: 1 },
      ).lean();
      if (barcodeOwner && barcodeOwner.code !== sku.data.sku_code) {
        report.errors.push({ row: rowNo, field: 'barcode', code: 'validation.barcodeTaken' });
        continue;
      }
      const p = product.data;
      const productDoc =
        existing ?? new ProductModel({ slug, shopId: shop._id, photos: [], status: p.status });
      productDoc.set({
        title: { zh: p.title_zh, en: p.title_en },
        description: { zh: p.description_zh, en: p.description_en || p.description_zh },
        category: p.category,
        originVillageId: village._id,
        status: p.status,
        keywords: keywordsOf(p.title_zh, p.title_en, village.name.zh, sku.data.spec_zh),
      });
      await productDoc.save();
      const s = sku.data;
      await SkuModel.updateOne(
        { code: s.sku_code },
        {
          $set: {
            productId: productDoc._id,
            shopId: shop._id,
            spec: { zh: s.spec_zh, en: s.spec_en || s.spec_zh },
            priceFen: s.price_yuan,
            weightGrams: s.weight_grams,
            barcode: s.barcode,
          },
        },
        { upsert: true },
      );
      report.imported++;
    }
    return report;
  }

  private async assertSkuCodeFree(code: string, barcode: string) {
    if (await SkuModel.exists({ code }))
      throw new Invalid('errors.invalid', [{ field: 'sku_code', code: 'validation.skuCodeTaken' }]);
    if (await SkuModel.exists({ barcode }))
      throw new Invalid('errors.invalid', [{ field: 'barcode', code: 'validation.barcodeTaken' }]);
  }
}

function slugFor(titleEn: string): string {
  const base =
    titleEn
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-|-$/g, '')
      .slice(0, 60) || 'product';
  return `${base}-${randomBytes(3).toString('hex')}`;
}

function createSku(
  shopId: Types.ObjectId,
  productId: Types.ObjectId,
  sku: z.output<typeof skuInput>,
) {
  return SkuModel.create({
    code: sku.sku_code,
    productId,
    shopId,
    spec: { zh: sku.spec_zh, en: sku.spec_en || sku.spec_zh },
    priceFen: sku.price_yuan,
    weightGrams: sku.weight_grams,
    barcode: sku.barcode,
  });
}
