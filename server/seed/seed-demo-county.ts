// Seeds the demo county. Idempotent: every record is found by its natural key (code, slug,
// phone) and only created when missing; stock arrives once per SKU through the ledger.
import mongoose from 'mongoose';
import { hashPassword } from '../accounts/passwords.ts';
import { UserModel, type User } from '../accounts/user.model.ts';
import { keywordsOf } from '../catalogue/keywords.ts';
import { ProductModel } from '../catalogue/product.model.ts';
import { ShopModel } from '../catalogue/shop.model.ts';
import { SkuModel } from '../catalogue/sku.model.ts';
import { VillageModel } from '../catalogue/village.model.ts';
import type { Logger } from '../core/logger.ts';
import { BatchModel } from '../hub/batch.model.ts';
import { ProducerModel } from '../trace/producer.model.ts';
import { seedDeliveredParcel } from './demo-delivered-parcel.ts';
import { DEMO_HISTORY, seedOrderHistory } from './demo-history.ts';
import { CourierModel } from '../hub/courier.model.ts';
import { HubModel } from '../hub/hub.model.ts';
import { recordMovement } from '../stock/stock-ledger.ts';
import { LiveSessionModel } from '../live/live-session.model.ts';
import { DEFAULTS } from '../core/config.ts';
import { CertificationModel } from '../trace/certification.model.ts';
import { storeDocument } from '../trace/uploads.ts';
import { DEMO_CERTIFICATIONS, demoCertificatePdf } from './demo-certifications.ts';
import {
  DEMO_COURIERS,
  DEMO_PRODUCERS,
  DEMO_HUB,
  DEMO_PASSWORD,
  DEMO_PRODUCTS,
  DEMO_REGION,
  DEMO_SHOPS,
  DEMO_USERS,
  DEMO_VILLAGES,
  type DemoCourier,
} from './demo-county.ts';

export interface SeedSummary {
  created: Record<string, number>;
}

/** Creates the document if no document matches `filter`; returns it either way. */
async function ensure<T>(
  model: mongoose.Model<T>,
  filter: mongoose.QueryFilter<T>,
  create: () => Promise<object> | object,
  created: Record<string, number>,
): Promise<mongoose.HydratedDocument<T>> {
  const existing = await model.findOne(filter);
  if (existing) return existing;
  const doc = await model.create(await create());
  created[model.modelName] = (created[model.modelName] ?? 0) + 1;
  return doc as mongoose.HydratedDocument<T>;
}

export async function isDatabaseEmpty(): Promise<boolean> {
  return (await HubModel.countDocuments()) === 0;
}

/**
 * `dataDir` is where generated demo files (certificates) go: the configured DATA_DIR. `history`:
 * the past orders /county opens on (DEMO_HISTORY), written once; `false` leaves them out.
 */
export async function seedDemoCounty(
  logger: Logger,
  {
    dataDir = DEFAULTS.DATA_DIR,
    history = DEMO_HISTORY,
  }: { dataDir?: string; history?: { orders: number; days: number } | false } = {},
): Promise<SeedSummary> {
  const created: Record<string, number> = {};

  const bins = DEMO_HUB.zones.flatMap((zone, z) =>
    Array.from({ length: DEMO_HUB.aisles * DEMO_HUB.shelves }, (_, i) => {
      const aisle = Math.floor(i / DEMO_HUB.shelves) + 1;
      const shelf = (i % DEMO_HUB.shelves) + 1;
      return { code: `${zone}-${pad(aisle)}-${pad(shelf)}`, zone, walkOrder: z * 100 + i + 1 };
    }),
  );
  const hub = await ensure(
    HubModel,
    { code: DEMO_HUB.code },
    () => ({ ...DEMO_HUB, bins }),
    created,
  );

  // Created when missing, never overwritten: the admin edits rate cards, capacity and cut-offs.
  for (const courier of DEMO_COURIERS) {
    await ensure(CourierModel, { code: courier.code }, () => courier, created);
    await upgradeFlatCourier(courier);
  }

  const villages = new Map<string, mongoose.Types.ObjectId>();
  for (const village of DEMO_VILLAGES) {
    const doc = await ensure(
      VillageModel,
      { code: village.code },
      () => ({
        ...village,
        county: DEMO_REGION.county,
        province: DEMO_REGION.province,
        city: DEMO_REGION.city,
      }),
      created,
    );
    villages.set(village.code, doc._id);
  }

  const passwordHash = await hashPassword(DEMO_PASSWORD);
  const users = new Map<string, mongoose.HydratedDocument<User>>();
  for (const user of DEMO_USERS) {
    const doc = await ensure(
      UserModel,
      { phone: user.phone },
      () => ({
        phone: user.phone,
        displayName: user.displayName,
        role: user.role,
        passwordHash,
        ...(user.role === 'hub_staff' ? { hubId: hub._id } : {}),
      }),
      created,
    );
    users.set(user.phone, doc);
  }

  const shops = new Map<string, mongoose.Types.ObjectId>();
  for (const shop of DEMO_SHOPS) {
    const owner = DEMO_USERS.find((u) => u.shop === shop.slug);
    const ownerDoc = owner && users.get(owner.phone);
    if (!ownerDoc) throw new Error(`demo shop ${shop.slug} has no streamer`);
    const doc = await ensure(
      ShopModel,
      { slug: shop.slug },
      () => ({
        slug: shop.slug,
        name: shop.name,
        story: shop.story,
        villageId: mustGet(villages, shop.village),
        ownerId: ownerDoc._id,
        photos: [`/demo/shops/${shop.slug}.svg`],
        status: shop.approved ? ('approved' as const) : ('pending' as const),
        ...(shop.approved ? { approvedAt: new Date() } : {}),
      }),
      created,
    );
    shops.set(shop.slug, doc._id);
    if (!ownerDoc.shopId) {
      ownerDoc.set({ shopId: doc._id, shopRole: 'owner' });
      await ownerDoc.save();
    }
  }

  const producers = new Map<string, mongoose.Types.ObjectId>();
  for (const producer of DEMO_PRODUCERS) {
    const doc = await ensure(
      ProducerModel,
      { registrationCode: producer.registrationCode },
      () => ({
        registrationCode: producer.registrationCode,
        name: producer.name,
        kind: producer.kind,
        villageId: mustGet(villages, producer.village),
        contact: { person: producer.person, phone: producer.phone },
        shopIds: producer.shops.map((slug) => mustGet(shops, slug)),
      }),
      created,
    );
    producers.set(producer.registrationCode, doc._id);
  }
  const cooperativeOf = (shop: string) =>
    DEMO_PRODUCERS.find((p) => p.kind === 'cooperative' && p.shops.includes(shop))!;

  let binIndex = 0;
  for (const product of DEMO_PRODUCTS) {
    const shopId = mustGet(shops, product.shop);
    const villageDef = DEMO_VILLAGES.find((x) => x.code === product.village);
    const doc = await ensure(
      ProductModel,
      { slug: product.slug },
      () => ({
        slug: product.slug,
        shopId,
        title: product.title,
        description: product.description,
        category: product.category,
        originVillageId: mustGet(villages, product.village),
        photos: [`/demo/products/${product.slug}.svg`],
        status: 'active' as const,
        featured: product.featured ?? false,
        keywords: keywordsOf(
          product.title.zh,
          product.title.en,
          villageDef?.name.zh ?? '',
          ...product.skus.map((x) => x.spec.zh),
        ),
      }),
      created,
    );
    for (const sku of product.skus) {
      const skuDoc = await ensure(
        SkuModel,
        { code: sku.code },
        () => ({
          code: sku.code,
          productId: doc._id,
          shopId,
          spec: sku.spec,
          priceFen: sku.priceFen,
          weightGrams: sku.weightGrams,
          barcode: barcodeFor(sku.code),
        }),
        created,
      );
      const bin = bins[binIndex++ % bins.length]!;
      const isNew = await recordMovement({
        movementId: `seed:received:${sku.code}`,
        skuId: skuDoc._id,
        hubId: hub._id,
        kind: 'received',
        delta: sku.stock,
        binCode: bin.code,
        reason: 'demo opening stock',
      });
      if (isNew) created.StockMovement = (created.StockMovement ?? 0) + 1;
      // The same opening stock as a batch, so the hub can allocate it first expiry first out.
      const harvested = new Date('2026-09-20T00:00:00+08:00');
      await ensure(
        BatchModel,
        { batchNo: `SEED-${sku.code}` },
        () => ({
          batchNo: `SEED-${sku.code}`,
          hubId: hub._id,
          skuId: skuDoc._id,
          producer: cooperativeOf(product.shop).name,
          producerId: mustGet(producers, cooperativeOf(product.shop).registrationCode),
          villageId: mustGet(villages, product.village),
          plot: `${DEMO_VILLAGES.find((v) => v.code === product.village)?.name.zh ?? ''} 合作社基地`,
          processing: ['sorted', 'packed'],
          harvestDate: harvested,
          expiresAt: new Date(harvested.getTime() + 365 * 86_400_000),
          quantity: sku.stock,
          binCode: bin.code,
          qc: {
            result: 'passed' as const,
            note: '期初库存，已抽检',
            station: '平顺县农产品质量安全检测站',
            reportNo: `PSJC-2026-${sku.code}`,
            inspectedAt: new Date('2026-09-25T00:00:00+08:00'),
            items: [
              { name: 'pesticide_residue', value: '未检出', passed: true },
              { name: 'moisture', value: '合格', passed: true },
            ],
          },
          receivedBy: 'seed',
          receivedAt: new Date('2026-09-26T10:00:00+08:00'),
        }),
        created,
      );
    }
  }

  // One session on air and one coming up, so the live room can be tried at once.
  const sku = async (code: string) => (await SkuModel.findOne({ code }).lean())!._id;
  await ensure(
    LiveSessionModel,
    { 'title.zh': '西沟大红袍花椒 产地直发专场' },
    async () => ({
      shopId: mustGet(shops, 'xigou-pepper'),
      title: {
        zh: '西沟大红袍花椒 产地直发专场',
        en: 'Xigou Dahongpao pepper, straight from the village',
      },
      scheduledAt: new Date(),
      status: 'live' as const,
      startedAt: new Date(),
      offers: [
        {
          offerId: 'demopepper',
          skuId: await sku('HJ-DHP-TJ-250'),
          livePriceFen: 3280,
          allotment: 100,
          perBuyerLimit: 3,
          pinOrder: 0,
          pinned: true,
        },
        {
          offerId: 'demosauce',
          skuId: await sku('LJ-HJY-WL-210'),
          livePriceFen: 1590,
          allotment: 200,
          perBuyerLimit: 5,
          pinOrder: 1,
        },
      ],
    }),
    created,
  );
  // Last week's session, ended, with its recording: the shoppable replay's chapters are the
  // pins, the announcement and the flash sale it made on air (the recording is a short demo
  // video in public/demo/replays, made as docs/promotions.md says).
  const lastWeek = Date.now() - 7 * 24 * 3600 * 1000;
  const onAir = (seconds: number) => new Date(lastWeek + seconds * 1000);
  await ensure(
    LiveSessionModel,
    { 'title.zh': '西沟花椒 上周专场' },
    async () => ({
      shopId: mustGet(shops, 'xigou-pepper'),
      title: { zh: '西沟花椒 上周专场', en: "Xigou pepper, last week's session" },
      scheduledAt: onAir(0),
      status: 'ended' as const,
      startedAt: onAir(0),
      endedAt: onAir(40 * 60),
      replayUrl: '/demo/replays/pepper-session.webm',
      offers: [
        {
          offerId: 'replaypepper',
          skuId: await sku('HJ-DHP-TJ-250'),
          livePriceFen: 3180,
          allotment: 80,
          perBuyerLimit: 3,
          pinOrder: 0,
        },
        {
          offerId: 'replaysauce',
          skuId: await sku('LJ-HJY-WL-210'),
          livePriceFen: 1490,
          allotment: 120,
          perBuyerLimit: 5,
          pinOrder: 1,
        },
      ],
      moments: [
        { at: onAir(20), kind: 'pin' as const, offerId: 'replaypepper' },
        { at: onAir(70), kind: 'announce' as const, text: '下一款：花椒芽辣酱，拌面一绝' },
        { at: onAir(110), kind: 'flash' as const, offerId: 'replaysauce' },
      ],
    }),
    created,
  );
  await ensure(
    LiveSessionModel,
    { 'title.zh': '虹梯关新小米 开仓直播' },
    async () => ({
      shopId: mustGet(shops, 'hongti-millet'),
      title: { zh: '虹梯关新小米 开仓直播', en: 'New millet from Hongtiguan' },
      scheduledAt: new Date(Date.now() + 24 * 3600 * 1000),
      offers: [
        {
          offerId: 'demomillet',
          skuId: await sku('XM-QZH-1KG'),
          livePriceFen: 2880,
          allotment: 150,
          perBuyerLimit: 4,
          pinOrder: 0,
        },
      ],
    }),
    created,
  );

  // Certifications: a verified 地理标志 that shows a badge, a pending one, an expired one.
  const admin = DEMO_USERS.find((u) => u.role === 'admin')!;
  for (const cert of DEMO_CERTIFICATIONS) {
    const shopId = mustGet(shops, cert.shop);
    await ensure(
      CertificationModel,
      { shopId, number: cert.number },
      async () => ({
        shopId,
        kind: cert.kind,
        number: cert.number,
        issuer: cert.issuer,
        productIds: (await ProductModel.find({ slug: { $in: cert.products } }, { _id: 1 })).map(
          (p) => p._id,
        ),
        validFrom: new Date(`${cert.validFrom}T00:00:00+08:00`),
        validTo: new Date(`${cert.validTo}T23:59:59.999+08:00`),
        certificate: await storeDocument(dataDir, {
          buffer: demoCertificatePdf(cert.certificateText),
          originalname: `${cert.number}.pdf`,
        }),
        status: cert.status,
        ...(cert.status === 'verified'
          ? { review: { by: users.get(admin.phone)!._id, at: new Date() } }
          : {}),
        submittedBy: users.get(DEMO_USERS.find((u) => u.shop === cert.shop)!.phone)!._id,
      }),
      created,
    );
  }

  // A parcel that has made the whole journey: the trace page and the buyer's tracking at once.
  if ((await seedDeliveredParcel()).created) created.DeliveredParcel = 1;

  // Weeks of past orders, so /county opens on a living county (once: none are added again).
  if (history) {
    const past = await seedOrderHistory(history);
    if (past.orders > 0) {
      created.HistoryOrder = past.orders;
      logger.info(
        { orders: past.orders, parcels: past.parcels, codes: past.codes, ms: past.ms },
        'demo order history seeded',
      );
    }
  }

  logger.info(
    { created },
    Object.keys(created).length ? 'demo county seeded' : 'demo county already seeded',
  );
  return { created };
}

/**
 * A courier seeded before rate cards existed (one flat price, no coverage) gets the seed's coverage,
 * weight band and rate card once; its capacity, cut-off and active flag stay as the admin left them.
 */
async function upgradeFlatCourier(courier: DemoCourier): Promise<void> {
  await CourierModel.collection.updateOne(
    { code: courier.code, rateCard: { $exists: false } },
    {
      $set: {
        coverage: courier.coverage,
        weightBand: courier.weightBand,
        rateCard: courier.rateCard,
      },
      $unset: {
        firstKgFen: '',
        extraKgFen: '',
        maxWeightGrams: '',
        promisedDays: '',
        reachesVillages: '',
      },
    },
  );
}

/** Drops the whole database (demo data only; `npm run seed -- --reset`). */
export async function resetDatabase(): Promise<void> {
  await mongoose.connection.dropDatabase();
  await Promise.all(Object.values(mongoose.models).map((model) => model.init()));
}

/** A stable EAN-13 with a valid check digit, derived from the SKU code. */
export function barcodeFor(code: string): string {
  let hash = 0;
  for (const ch of code) hash = (hash * 31 + ch.charCodeAt(0)) % 1_000_000_000;
  const body = `690${String(hash).padStart(9, '0')}`; // 690–699: China's GS1 prefixes
  const sum = [...body].reduce((acc, d, i) => acc + Number(d) * (i % 2 === 0 ? 1 : 3), 0);
  return body + String((10 - (sum % 10)) % 10);
}

function mustGet<T>(map: Map<string, T>, key: string): T {
  const value = map.get(key);
  if (value === undefined) throw new Error(`demo data refers to unknown ${key}`);
  return value;
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}
