// The demo county's past: weeks of orders that have run their course (delivered, some short-picked,
// refunded, cancelled or expired), with their parcels and trace codes, so /county opens on a
// living county. Written straight to the collections with insertMany (FerretDB takes 2,000–4,000
// documents a second that way, ~250 one by one) and never through the order services: nothing here
// is left in a state a worker would act on, and no stock movement or batch allocation is written,
// so today's sellable stock is untouched. Deterministic for a given seed and `now`.
import { Types } from 'mongoose';
import { hashPassword } from '../accounts/passwords.ts';
import { UserModel } from '../accounts/user.model.ts';
import { ProductModel } from '../catalogue/product.model.ts';
import { ShopModel } from '../catalogue/shop.model.ts';
import { SkuModel } from '../catalogue/sku.model.ts';
import { chinaClock, chinaDay, chinaDayStart, shiftChinaDay } from '../core/china-time.ts';
import type { LocalizedText } from '../core/localized-text.ts';
import { handoverDue } from '../county/figure-rows.ts';
import { BatchModel } from '../hub/batch.model.ts';
import { CourierModel } from '../hub/courier.model.ts';
import { normaliseProvince, zoneFor, type DestinationZone } from '../hub/destination-zones.ts';
import { HubModel } from '../hub/hub.model.ts';
import { ParcelModel } from '../hub/parcel.model.ts';
import { DIVISIONS } from '../orders/china-divisions.ts';
import { OrderModel, type OrderChannel, type OrderStatus } from '../orders/order.model.ts';
import { TraceCodeModel } from '../trace/trace-code.model.ts';
import { DEMO_PASSWORD } from './demo-county.ts';

/** History order numbers: H, run (2 digits), China day (yymmdd), serial (7 digits). Real ones start CB. */
export const HISTORY_ORDER_PREFIX = 'H';
/** What `npm start` seeds: about five weeks of a small county's trade. */
export const DEMO_HISTORY = { orders: 2000, days: 35 } as const;
const DEFAULT_SEED = 14;
const CHUNK = 500;
/** Orders generated (and written) at a time, so 100,000 never sit in memory at once. */
const BATCH = 5000;
const MAX_RUNS = 100;
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

export interface HistoryOptions {
  orders: number;
  days: number;
  now?: Date;
  seed?: number;
  /** Add another run even if history exists (`npm run seed -- --history N`). */
  more?: boolean;
}

export interface HistorySummary {
  /** 0 for the demo's own history, 1, 2 … for each `--history` run; -1 when nothing was added. */
  run: number;
  orders: number;
  parcels: number;
  codes: number;
  buyers: number;
  byStatus: Record<string, number>;
  /** Orders delivered after a short pick (status delivered, part refunded). */
  shortPicked: number;
  /** Handovers after the courier's cut-off. */
  lateHandovers: number;
  days: number;
  provinces: number;
  ms: number;
}

// ---------- a seeded random source ----------

/** sfc32 seeded through splitmix32: 128 bits of state, so runs with other seeds do not overlap. */
class Random {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    let s = seed >>> 0;
    const split = () => {
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = split();
    this.b = split();
    this.c = split();
    this.d = split();
    for (let i = 0; i < 15; i++) this.next();
  }

  /** [0, 1) */
  next(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return (t >>> 0) / 4294967296;
  }

  /** An integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }

  /** Milliseconds in [minMinutes, maxMinutes) minutes. */
  minutes(minMinutes: number, maxMinutes: number): number {
    return Math.round((minMinutes + this.next() * (maxMinutes - minMinutes)) * MINUTE);
  }
}

/** Picks by weight in O(log n). */
class Weighted<T> {
  private readonly items: T[];
  private readonly cumulative: number[];

  constructor(entries: [T, number][]) {
    this.items = entries.map(([item]) => item);
    let sum = 0;
    this.cumulative = entries.map(([, w]) => (sum += Math.max(0, w)));
  }

  pick(random: Random): T {
    const target = random.next() * this.cumulative.at(-1)!;
    let lo = 0;
    let hi = this.cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.cumulative[mid]! > target) hi = mid;
      else lo = mid + 1;
    }
    return this.items[lo]!;
  }
}

// ---------- the county's shape ----------

/** Where Pingshun's produce goes: home province and the big northern and coastal markets first. */
const PROVINCE_WEIGHTS: Record<string, number> = {
  山西: 14,
  北京: 10,
  广东: 8,
  河北: 7,
  河南: 7,
  山东: 7,
  江苏: 6,
  浙江: 6,
  上海: 6,
  陕西: 4,
  天津: 3,
  四川: 3,
  湖北: 3,
  湖南: 2,
  安徽: 2,
  辽宁: 2,
  福建: 2,
  重庆: 2,
  内蒙古: 1.5,
  新疆: 0.5,
  西藏: 0.2,
  青海: 0.3,
};
/** Shares of the county's orders by shop (slug); another approved shop takes 10. */
const SHOP_WEIGHTS: Record<string, number> = {
  'xigou-pepper': 34,
  'hongti-millet': 22,
  'shicheng-mountain': 18,
  'dongsitou-herbs': 13,
  'longxi-kitchen': 13,
};
/** Courier shares of the hub's parcels (by code); a courier not listed takes 3. */
const COURIER_WEIGHTS: Record<string, number> = {
  chinapost: 14,
  zto: 16,
  yto: 12,
  yunda: 11,
  sto: 9,
  jtexpress: 9,
  sf: 10,
  jd: 7,
  ems: 5,
  cainiao: 3,
  deppon: 1,
  kye: 1,
  zjs: 2,
};
/** Orders by China hour: quiet at night, busy at lunch, busiest in the evening. */
const HOUR_WEIGHTS = [
  0.6, 0.3, 0.15, 0.1, 0.1, 0.2, 0.5, 1.2, 2, 2.6, 3, 3.2, 3.4, 3, 2.8, 2.8, 3, 3.2, 3.8, 5, 6.5,
  6.8, 5, 2.5,
];
/** Live-room orders follow the sessions: lunchtime and evening. */
const LIVE_HOUR_WEIGHTS = [
  0.2, 0.1, 0, 0, 0, 0, 0, 0, 0.2, 0.5, 0.8, 1, 2, 1.5, 0.8, 0.8, 0.8, 1, 1.5, 4, 9, 10, 7, 2,
];
/** Pick waves at the hub (China time), each picked and packed within the hour. */
const WAVES = ['08:30', '10:30', '13:30', '15:00', '16:20'] as const;
/** Days from the courier's first scan to delivery, by destination zone. */
const TRANSIT_DAYS: Record<DestinationZone, [number, number]> = {
  local: [0.6, 1.3],
  near: [1, 2.2],
  mid: [1.6, 3.2],
  far: [2.4, 4.2],
  remote: [3.5, 7],
};
const SURNAMES = [
  ...'王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段雷钱汤尹黎易常武乔贺赖龚文',
];
const GIVEN = [
  ...'伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰红梅鹏飞慧建国志宇晨浩然欣怡婷雪琳子涵佳思雨博文俊凯',
];
const STREETS = ['人民路', '建设路', '解放路', '中山路', '和平街', '幸福路', '花园路', '新华街', '文化路', '朝阳路', '胜利街', '长江路', '青年路', '光明街']; // prettier-ignore
const COMPOUNDS = ['小区', '花园', '家园', '公寓', '苑', '新村'];
/** How each order ends, by cumulative share: most delivered, a few refunded, cancelled or expired. */
const PATHS = [
  { path: 'delivered', upTo: 0.83 },
  { path: 'short', upTo: 0.855 }, // short-picked, part refunded, the rest delivered
  { path: 'expired', upTo: 0.915 },
  { path: 'cancelled', upTo: 0.95 }, // by the buyer before paying
  { path: 'cancelledPaid', upTo: 0.98 }, // paid, cancelled before picking: refunded in full
  { path: 'lateRefund', upTo: 0.992 }, // paid after it expired, sold out: refunded
  { path: 'cancelRefund', upTo: 1.01 }, // paid after it was cancelled: refunded
] as const;
const QUANTITIES = [1, 1, 1, 1, 1, 1, 2, 2, 2, 3, 3, 4, 5, 6];
const METHODS = ['alipay', 'alipay', 'wechat_pay', 'wechat_pay', 'wechat_pay', 'card'];
/** Couriers a buyer sometimes asks for by name at checkout. */
const PREMIUM = ['sf', 'jd', 'ems'];
/** Scans of a code by its own household. */
const SCANS = [0, 0, 0, 0, 1, 1, 1, 2, 2, 3];
const TRACE_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

// ---------- what the seed reads first ----------

/** A timeline step: when, from, to, who, the note (timeline.*) and its parameters. */
type Step = [Date, OrderStatus | null, OrderStatus, string, string, Record<string, unknown>?];

interface CatalogueSku {
  _id: Types.ObjectId;
  code: string;
  shopId: Types.ObjectId;
  productId: Types.ObjectId;
  productSlug: string;
  title: LocalizedText;
  spec: LocalizedText;
  photo: string | undefined;
  priceFen: number;
  weightGrams: number;
  barcode: string;
  batch: { batchNo: string; binCode: string } | undefined;
}

interface CourierFacts {
  code: string;
  name: LocalizedText;
  pickupCutoff: string;
  provinces: string[];
  excluded: Set<string>;
  zones: Set<string>;
  minGrams: number;
  maxGrams: number;
  weight: number;
}

interface Place {
  province: string;
  city: string;
  county: string;
  short: string;
  zone: DestinationZone;
}

interface Buyer {
  _id: Types.ObjectId;
  name: string;
  phone: string;
  addresses: Address[];
}

interface Address {
  recipient: string;
  phone: string;
  province: string;
  city: string;
  county: string;
  township: string;
  village: string;
  detail: string;
}

async function readCounty() {
  const shops = await ShopModel.find({ status: 'approved' }, { slug: 1 }).lean();
  const products = await ProductModel.find(
    { status: 'active', shopId: { $in: shops.map((s) => s._id) } },
    { slug: 1, title: 1, photos: 1, shopId: 1 },
  ).lean();
  const skus = await SkuModel.find(
    { active: true, productId: { $in: products.map((p) => p._id) } },
    { code: 1, shopId: 1, productId: 1, spec: 1, priceFen: 1, weightGrams: 1, barcode: 1 },
  ).lean();
  const batches = await BatchModel.find(
    { batchNo: { $in: skus.map((s) => `SEED-${s.code}`) } },
    { batchNo: 1, binCode: 1, skuId: 1 },
  ).lean();
  const productById = new Map(products.map((p) => [String(p._id), p]));
  const batchBySku = new Map(batches.map((b) => [String(b.skuId), b]));
  const catalogue: CatalogueSku[] = skus.flatMap((s) => {
    const product = productById.get(String(s.productId));
    if (!product) return [];
    const batch = batchBySku.get(String(s._id));
    return [
      {
        _id: s._id,
        code: s.code,
        shopId: s.shopId,
        productId: s.productId,
        productSlug: product.slug,
        title: { zh: product.title.zh, en: product.title.en },
        spec: { zh: s.spec.zh, en: s.spec.en },
        photo: product.photos[0],
        priceFen: s.priceFen,
        weightGrams: s.weightGrams,
        barcode: s.barcode,
        batch: batch ? { batchNo: batch.batchNo, binCode: batch.binCode } : undefined,
      },
    ];
  });
  const slugOf = new Map(shops.map((s) => [String(s._id), s.slug]));
  const skusByShop = Map.groupBy(catalogue, (s) => String(s.shopId));
  const couriers: CourierFacts[] = (await CourierModel.find({ active: true }).lean()).map((c) => ({
    code: c.code,
    name: { zh: c.name.zh, en: c.name.en },
    pickupCutoff: c.pickupCutoff,
    provinces: c.coverage.provinces,
    excluded: new Set(c.coverage.excludedCounties),
    zones: new Set(c.rateCard.map((r) => r.zone)),
    minGrams: c.weightBand.minWeightGrams,
    maxGrams: c.weightBand.maxWeightGrams,
    weight: COURIER_WEIGHTS[c.code] ?? 3,
  }));
  const hub = await HubModel.findOne({}, { _id: 1 }).lean();
  const staff = await UserModel.find({ role: 'hub_staff' }, { _id: 1 }).lean();
  return {
    hubId: hub?._id,
    staffIds: staff.map((u) => String(u._id)),
    couriers,
    shops: new Weighted(
      [...skusByShop.keys()].map((id) => [id, SHOP_WEIGHTS[slugOf.get(id) ?? ''] ?? 10]),
    ),
    skusByShop,
  };
}

/** Every mainland county the divisions list, weighted by where the county's buyers live. */
function destinations(): Weighted<Place> {
  const entries: [Place, number][] = [];
  for (const province of DIVISIONS) {
    const short = normaliseProvince(province.n);
    const zone = short ? zoneFor(short) : undefined;
    if (!short || !zone) continue;
    const places = province.c.flatMap((city) =>
      city.a.map((county) => ({ province: province.n, city: city.n, county, short, zone })),
    );
    const weight = PROVINCE_WEIGHTS[short] ?? 1;
    // In Shanxi, Changzhi (the county's own city) and Taiyuan take half the province's orders.
    const home = (p: Place) => short === '山西' && (p.city === '长治市' || p.city === '太原市');
    const homeCount = places.filter(home).length;
    for (const place of places)
      entries.push([
        place,
        homeCount === 0
          ? weight / places.length
          : home(place)
            ? weight / 2 / homeCount
            : weight / 2 / (places.length - homeCount),
      ]);
  }
  return new Weighted(entries);
}

// ---------- numbers and names ----------

const pad = (n: number | string, width: number) => String(n).padStart(width, '0');
/** "260315" for a China day "2026-03-15". */
const yymmdd = (day: string) => day.slice(2).replaceAll('-', '');
/** The instant of a China day's "HH:MM". */
const atChina = (day: string, hhmm: string) => new Date(`${day}T${hhmm}:00+08:00`);

/** An ObjectId that sorts by `at` and cannot repeat: time, "h", the run, a serial. */
function historyId(at: Date, run: number, serial: number): Types.ObjectId {
  const hex =
    pad(Math.floor(at.getTime() / 1000).toString(16), 8) +
    '68' +
    pad(run.toString(16), 4) +
    pad(((serial / 0x1000000) >>> 0).toString(16), 4).slice(-4) +
    pad((serial % 0x1000000).toString(16), 6);
  return new Types.ObjectId(hex);
}

function personName(random: Random): string {
  return (
    random.pick(SURNAMES) + random.pick(GIVEN) + (random.chance(0.6) ? random.pick(GIVEN) : '')
  );
}

function addressFor(random: Random, place: Place, recipient: string, phone: string): Address {
  const compound = `${random.pick(['东', '西', '南', '北', '新', '春', '华', '金', '锦', '阳'])}${random.pick(['苑', '城', '湖', '园', '景', '辉', '泰', '和'])}${random.pick(COMPOUNDS)}`;
  return {
    recipient,
    phone,
    province: place.province,
    city: place.city,
    county: place.county,
    township: '',
    village: '',
    detail: `${random.pick(STREETS)} ${random.int(1, 999)} 号 ${compound} ${random.int(1, 30)} 栋 ${random.int(1, 28)}${pad(random.int(1, 6), 2)}`,
  };
}

function traceCode(random: Random): string {
  let code = '';
  for (let i = 0; i < 20; i++) code += TRACE_ALPHABET[random.int(0, 63)];
  return code;
}

// ---------- the seed ----------

/** The phone of a run's i-th history buyer: 170, the run, six digits (no demo login or test uses 170). */
const buyerPhone = (run: number, i: number) => `170${pad(run, 2)}${pad(i, 6)}`;

/**
 * The last run's number, or -1 before the first. Each run's first buyer is written before its
 * orders, and a look-up by phone is one index probe, where a range over order numbers would read
 * every order (FerretDB does not hand ranges to PostgreSQL).
 */
async function lastRun(): Promise<number> {
  let run = -1;
  while (run + 1 < MAX_RUNS && (await UserModel.exists({ phone: buyerPhone(run + 1, 0) }))) run++;
  return run;
}

/**
 * Writes `orders` past orders over the last `days` China days. Without `more`, does nothing when
 * history is already there (the demo seed runs again on every `npm run seed`); with it, adds a
 * run with fresh numbers. The county's figures do not see these by themselves (their times are in
 * the past): rebuild them afterwards, or let the worker's first catch-up on a new database do it.
 */
export async function seedOrderHistory(options: HistoryOptions): Promise<HistorySummary> {
  const started = Date.now();
  const now = options.now ?? new Date();
  const empty: HistorySummary = {
    run: -1,
    orders: 0,
    parcels: 0,
    codes: 0,
    buyers: 0,
    byStatus: {},
    shortPicked: 0,
    lateHandovers: 0,
    days: 0,
    provinces: 0,
    ms: 0,
  };
  if (!Number.isSafeInteger(options.orders) || options.orders < 1) return empty;
  if (!Number.isSafeInteger(options.days) || options.days < 7)
    throw new Error('order history needs at least 7 days');
  const previous = await lastRun();
  if (previous >= 0 && !options.more) return { ...empty, ms: Date.now() - started };
  const run = previous + 1;
  if (run >= MAX_RUNS) throw new Error(`at most ${MAX_RUNS} history runs`);
  const random = new Random((options.seed ?? DEFAULT_SEED) + run * 7919);

  const county = await readCounty();
  if (!county.hubId || county.couriers.length === 0 || county.skusByShop.size === 0)
    throw new Error('seed the demo county before its history');
  const places = destinations();
  const passwordHash = await hashPassword(DEMO_PASSWORD);

  // The days, oldest first: growing trade, busier weekends, and a few big live-session days.
  const today = chinaDay(now);
  const dayList = Array.from({ length: options.days }, (_, i) =>
    shiftChinaDay(today, i - options.days + 1),
  );
  const liveDays = new Set<string>();
  while (liveDays.size < Math.max(2, Math.round(options.days / 7)))
    liveDays.add(dayList[random.int(0, dayList.length - 4)]!);
  const dayWeight = (day: string, i: number) => {
    const weekday = new Date(`${day}T12:00:00+08:00`).getUTCDay();
    return (
      (1 + (0.5 * i) / options.days) *
      (weekday === 0 || weekday === 6 ? 1.15 : 1) *
      (liveDays.has(day) ? 2.4 : 1)
    );
  };
  const allDays = new Weighted(dayList.map((d, i) => [d, dayWeight(d, i)]));
  // Days whose orders have certainly finished their journey by now.
  const pastDays = new Weighted(dayList.slice(0, -6).map((d, i) => [d, dayWeight(d, i)]));
  const hours = new Weighted(HOUR_WEIGHTS.map((w, h) => [h, w]));
  const liveHours = new Weighted(LIVE_HOUR_WEIGHTS.map((w, h) => [h, w]));

  let serial = 0;
  const nextId = (at: Date) => historyId(at, run, serial++);

  // Buyers: one for every eight orders (the regulars among them order far more often).
  const buyerCount = Math.max(1, Math.round(options.orders / 8));
  const buyers: Buyer[] = [];
  const windowStart = chinaDayStart(dayList[0]!).getTime();
  for (let i = 0; i < buyerCount; i++) {
    const name = personName(random);
    const phone = buyerPhone(run, i);
    const home = places.pick(random);
    const addresses = [addressFor(random, home, name, phone)];
    if (random.chance(0.2))
      addresses.push(
        addressFor(
          random,
          random.chance(0.5) ? home : places.pick(random),
          personName(random),
          phone,
        ),
      );
    const joined = new Date(windowStart - random.minutes(60, 120 * 24 * 60));
    buyers.push({ _id: nextId(joined), name, phone, addresses });
  }
  let buyersWritten = 0;
  for (let i = 0; i < buyers.length; i += CHUNK) {
    const docs = buyers.slice(i, i + CHUNK).map((b) => ({
      _id: b._id,
      phone: b.phone,
      displayName: b.name,
      passwordHash,
      role: 'buyer',
      addresses: b.addresses,
      createdAt: b._id.getTimestamp(),
      updatedAt: b._id.getTimestamp(),
      __v: 0,
    }));
    if (i === 0) await validateSample(UserModel, docs);
    await UserModel.insertMany(docs, { lean: true, ordered: true });
    buyersWritten += docs.length;
  }

  const summary: HistorySummary = { ...empty, run, buyers: buyersWritten };
  const serialOfDay = new Map<string, number>();
  const provinces = new Set<string>();
  const days = new Set<string>();
  const todayStart = chinaDayStart(today).getTime();
  const settled = now.getTime() - 2 * MINUTE;

  for (let from = 0; from < options.orders; from += BATCH) {
    const orders: object[] = [];
    const parcels: object[] = [];
    const codes: object[] = [];
    for (let k = from; k < Math.min(options.orders, from + BATCH); k++) {
      const order = planOrder();
      orders.push(order.order);
      if (order.parcel) parcels.push(order.parcel);
      if (order.code) codes.push(order.code);
    }
    if (from === 0) {
      await validateSample(OrderModel, orders);
      await validateSample(ParcelModel, parcels);
      await validateSample(TraceCodeModel, codes);
    }
    // Three collections side by side: FerretDB answers each insertMany on its own connection.
    await Promise.all([
      insertChunks(OrderModel, orders),
      insertChunks(ParcelModel, parcels),
      insertChunks(TraceCodeModel, codes),
    ]);
    summary.orders += orders.length;
    summary.parcels += parcels.length;
    summary.codes += codes.length;
  }
  summary.days = days.size;
  summary.provinces = provinces.size;
  summary.ms = Date.now() - started;
  return summary;

  /** One order from placement to its end, with its parcel and trace code if it travelled. */
  function planOrder() {
    // A tenth of the buyers are regulars who place two fifths of the orders.
    const regular = random.chance(0.4);
    const buyer =
      buyers[Math.floor(random.next() * Math.max(1, buyers.length * (regular ? 0.1 : 1)))]!;
    const second = buyer.addresses.length > 1 && random.chance(0.3);
    const address = buyer.addresses[second ? 1 : 0]!;
    const short = normaliseProvince(address.province)!;
    const zone = zoneFor(short)!;
    const shopSkus = county.skusByShop.get(county.shops.pick(random))!;
    const skus: CatalogueSku[] = [];
    const wanted = random.chance(0.22) && shopSkus.length > 1 ? 2 : 1;
    while (skus.length < wanted) {
      const sku = random.pick(shopSkus);
      if (!skus.includes(sku)) skus.push(sku);
    }
    const fate = random.next();
    let path = PATHS.find((p) => fate < p.upTo)!.path;

    // When: a day (busier days more often), an hour and a channel.
    let day = allDays.pick(random);
    const channel: OrderChannel = random.chance(liveDays.has(day) ? 0.65 : 0.3)
      ? random.chance(0.8)
        ? 'live'
        : 'comment'
      : 'storefront';
    const timeOn = (d: string) =>
      new Date(
        atChina(
          d,
          `${pad((channel === 'storefront' ? hours : liveHours).pick(random), 2)}:00`,
        ).getTime() + random.minutes(0, 60),
      );
    let placedAt = timeOn(day);
    const lines = skus.map((sku) => {
      const quantity = random.pick(QUANTITIES);
      // Live rooms sell a little below the shop's price.
      const unitPriceFen =
        channel === 'storefront' ? sku.priceFen : Math.round((sku.priceFen * 9) / 10);
      return { sku, quantity, unitPriceFen, lineTotalFen: unitPriceFen * quantity };
    });
    const itemsTotalFen = lines.reduce((s, l) => s + l.lineTotalFen, 0);
    // A short pick leaves something to ship.
    if (path === 'short' && lines.length === 1 && lines[0]!.quantity === 1) path = 'delivered';
    const shortUnits =
      path === 'short'
        ? random.int(1, Math.max(1, lines[0]!.quantity - (lines.length > 1 ? 0 : 1)))
        : 0;
    const shortFen = shortUnits * lines[0]!.unitPriceFen;
    const travels = path === 'delivered' || path === 'short';
    const courier = chooseCourier(short, address.county, lines);

    // Every order is placed on a day from which a parcel would have arrived by now, so the last
    // few days thin out alike for every outcome (yesterday's paid share stays believable).
    let journey = travel(placedAt, courier, zone, path === 'short');
    for (let tries = 0; !journey.fits && tries < 50; tries++) {
      day = pastDays.pick(random);
      placedAt = timeOn(day);
      journey = travel(placedAt, courier, zone, path === 'short');
    }
    if (!journey.fits) throw new Error('history: no day lets an order arrive by now');
    day = chinaDay(placedAt);
    days.add(day);
    const daySerial = (serialOfDay.get(day) ?? 0) + 1;
    serialOfDay.set(day, daySerial);
    const orderNo = `${HISTORY_ORDER_PREFIX}${pad(run, 2)}${yymmdd(day)}${pad(daySerial, 7)}`;
    const parcelNo = `HP${orderNo.slice(1)}`;
    const buyerActor = `buyer:${String(buyer._id)}`;
    const payBy = new Date(placedAt.getTime() + 15 * MINUTE);
    const later = (at: Date, min: number, max: number) =>
      new Date(at.getTime() + random.minutes(min, max));

    const steps: Step[] = [[placedAt, null, 'pending_payment', buyerActor, 'placed', { channel }]];
    if (path === 'expired' || path === 'lateRefund') {
      const expiredAt = later(payBy, 0, 1);
      steps.push([expiredAt, 'pending_payment', 'expired', 'system:order-expiry', 'notPaidInTime']);
      if (path === 'lateRefund')
        steps.push([
          later(expiredAt, 1, 40),
          'expired',
          'refunded',
          'system:payments',
          'paidLateRefunded',
        ]);
    } else if (path === 'cancelled' || path === 'cancelRefund') {
      const cancelledAt = later(placedAt, 0.5, 12);
      steps.push([cancelledAt, 'pending_payment', 'cancelled', buyerActor, 'cancelledByBuyer']);
      if (path === 'cancelRefund')
        steps.push([
          later(cancelledAt, 0.1, 3),
          'cancelled',
          'refunded',
          'system:payments',
          'paidAfterCancelRefunded',
        ]);
    } else {
      const paidAt = journey.paidAt;
      steps.push([
        paidAt,
        'pending_payment',
        'paid',
        'system:payments',
        'paidWith',
        { method: random.pick(METHODS) },
      ]);
      if (path === 'cancelledPaid')
        steps.push([
          later(paidAt, 0.5, 9),
          'paid',
          'cancelled',
          buyerActor,
          'cancelledBeforePicking',
        ]);
    }

    let parcel: object | undefined;
    let code: object | undefined;
    const preferred = travels && PREMIUM.includes(courier.code) && random.chance(0.3);
    if (travels) {
      const j = journey;
      const staffId = county.staffIds.length ? random.pick(county.staffIds) : 'hub';
      const staff = `hub:${staffId}`;
      const waybill = `${courier.code.slice(0, 3).toUpperCase()}${orderNo.slice(1)}`;
      const courierActor = `system:courier:${courier.code}`;
      const name = courier.name;
      steps.push([
        j.routedAt,
        'paid',
        'routed',
        'system:hub-routing',
        'routed',
        { parcel: parcelNo, courier: name, waybill },
      ]);
      steps.push([j.pickingAt, 'routed', 'picking', staff, 'picking', { wave: j.waveNo }]);
      if (j.shortAt)
        steps.push([
          j.shortAt,
          'picking',
          'partially_refunded',
          staff,
          'shortPickRefund',
          { amountFen: shortFen },
        ]);
      steps.push([
        j.packedAt,
        j.shortAt ? 'partially_refunded' : 'picking',
        'packed',
        staff,
        'packed',
        { parcel: parcelNo },
      ]);
      steps.push([
        j.firstScanAt,
        'packed',
        'shipped',
        courierActor,
        'collected',
        { courier: name, waybill },
      ]);
      steps.push([
        j.deliveredAt,
        'shipped',
        'delivered',
        courierActor,
        'delivered',
        { courier: name, waybill },
      ]);
      if (j.shortAt) summary.shortPicked++;
      if (j.late) summary.lateHandovers++;
      const exceptions: object[] = [];
      if (j.unreachableAt)
        exceptions.push({
          code: 'address_unreachable',
          note: '电话无人接听，门牌号不全',
          by: staffId,
          at: j.unreachableAt,
          resolvedAt: j.fixedAt,
        });
      if (j.shortAt)
        exceptions.push({ code: 'short_pick', note: '货位缺货', by: staffId, at: j.shortAt });
      if (j.damagedAt)
        exceptions.push({
          code: 'damaged',
          note: '外包装破损，已另拣一件',
          by: staffId,
          at: j.damagedAt,
          resolvedAt: j.packedAt,
        });
      const parcelCode = random.chance(0.35) ? traceCode(random) : undefined;
      const estimated = lines.reduce((s, l) => s + l.sku.weightGrams * l.quantity, 0) + 150;
      const station = `${address.county}营业部`;
      const tracking = [
        ['collected', j.firstScanAt, '山西长治平顺'],
        ['in_transit', j.inTransitAt, '山西太原转运中心'],
        ['at_station', j.atStationAt, station],
        ['delivered', j.deliveredAt, station],
      ] as const;
      const shipDay = chinaDay(j.handedOverAt);
      parcel = {
        _id: nextId(j.routedAt),
        parcelNo,
        hubId: county.hubId,
        buyerId: buyer._id,
        addressKey: `history:${String(buyer._id)}:${second ? 1 : 0}`,
        address,
        orderNos: [orderNo],
        lines: lines.map((l, i) => {
          const missing = i === 0 ? shortUnits : 0;
          return {
            orderNo,
            shopId: l.sku.shopId,
            skuId: l.sku._id,
            skuCode: l.sku.code,
            barcode: l.sku.barcode,
            title: l.sku.title.zh,
            spec: l.sku.spec.zh,
            quantity: l.quantity,
            weightGrams: l.sku.weightGrams,
            allocations:
              l.sku.batch && l.quantity > missing
                ? [{ ...l.sku.batch, walkOrder: 1, quantity: l.quantity - missing }]
                : [],
            picked: l.quantity - missing,
            packed: l.quantity - missing,
            short: missing,
          };
        }),
        status: 'delivered',
        openUntil: new Date(j.paidAt.getTime() + 10 * MINUTE),
        ...(preferred ? { preferredCourier: courier.code } : {}),
        courierCode: courier.code,
        waybillNo: waybill,
        ...(parcelCode ? { traceCode: parcelCode } : {}),
        voidedWaybills: [],
        shipDate: shipDay,
        waveNo: j.waveNo,
        estimatedWeightGrams: estimated,
        weightGrams: Math.max(1, Math.round(estimated * (0.97 + 0.06 * random.next()))),
        labelPrints: j.unreachableAt ? 2 : 1,
        manifestNo: `M${shipDay.replaceAll('-', '')}-${courier.code.toUpperCase()}`,
        packedAt: j.packedAt,
        handedOverAt: j.handedOverAt,
        handedOverBy: `${name.zh} ${random.pick(SURNAMES)}师傅`,
        firstScanAt: j.firstScanAt,
        tracking: tracking.map(([kind, at, location]) => ({
          eventId: `${waybill}-${kind}`,
          kind,
          at,
          location,
          note: '',
        })),
        exceptions,
        createdAt: j.routedAt,
        updatedAt: j.deliveredAt,
        __v: 0,
      };
      if (parcelCode) {
        // Most codes are read a few times by the household; a handful are copied and read by many.
        const copied = random.chance(0.005);
        const firstScanAt = later(j.deliveredAt, 5, 48 * 60);
        const scans =
          firstScanAt.getTime() > settled ? 0 : copied ? random.int(30, 160) : random.pick(SCANS);
        const lastScanAt =
          scans > 1
            ? new Date(
                Math.min(settled, later(firstScanAt, 10, (copied ? 20 : 3) * 1440).getTime()),
              )
            : firstScanAt;
        code = {
          _id: nextId(j.packedAt),
          code: parcelCode,
          parcelNo,
          scans,
          ...(scans > 0 ? { firstScanAt, lastScanAt } : {}),
          createdAt: j.packedAt,
          updatedAt: scans > 0 ? lastScanAt : j.packedAt,
          __v: 0,
        };
      }
    }

    const status = steps.at(-1)![2];
    summary.byStatus[status] = (summary.byStatus[status] ?? 0) + 1;
    provinces.add(address.province);
    const timeline = steps.map(([at, from, to, actor, reason, params]) => ({
      at,
      from,
      to,
      actor,
      reason: `timeline.${reason}`,
      ...(params ? { params } : {}),
    }));
    const order = {
      _id: nextId(placedAt),
      orderNo,
      idempotencyKey: `${String(buyer._id)}:history-${orderNo}`,
      buyerId: buyer._id,
      shopId: skus[0]!.shopId,
      channel,
      lines: lines.map((l) => ({
        skuId: l.sku._id,
        skuCode: l.sku.code,
        productId: l.sku.productId,
        productSlug: l.sku.productSlug,
        title: l.sku.title,
        spec: l.sku.spec,
        ...(l.sku.photo ? { photo: l.sku.photo } : {}),
        unitPriceFen: l.unitPriceFen,
        quantity: l.quantity,
        lineTotalFen: l.lineTotalFen,
        weightGrams: l.sku.weightGrams,
        stockEpoch: 'history',
      })),
      itemsTotalFen,
      shippingFen: 0,
      totalFen: itemsTotalFen,
      currency: 'CNY',
      address,
      status,
      payBy,
      stockRound: 1,
      ...(preferred ? { preferredCourier: courier.code } : {}),
      ...(travels ? { parcelNo } : {}),
      timeline,
      createdAt: placedAt,
      updatedAt: timeline.at(-1)!.at,
      __v: 0,
    };
    return { order, parcel, code };
  }

  /** A courier that takes this destination and weight, by the hub's usual shares. */
  function chooseCourier(
    province: string,
    countyName: string,
    lines: { sku: CatalogueSku; quantity: number }[],
  ): CourierFacts {
    const grams = lines.reduce((s, l) => s + l.sku.weightGrams * l.quantity, 0) + 150;
    const zone = zoneFor(province);
    const able = county.couriers.filter(
      (c) =>
        (c.provinces.includes('*') || c.provinces.includes(province)) &&
        !c.excluded.has(`${province}/${countyName}`) &&
        zone !== undefined &&
        c.zones.has(zone) &&
        grams >= c.minGrams &&
        grams <= c.maxGrams,
    );
    const choice = able.length ? able : county.couriers;
    return new Weighted(choice.map((c) => [c, c.weight] as [CourierFacts, number])).pick(random);
  }

  /**
   * The parcel's journey from payment to delivery: routed after the consolidation window, picked
   * in the next wave, packed, handed over at the courier's first visit after packing (on time
   * when that is the cut-off the payment was due for, else late; now and then the truck itself
   * comes after the cut-off), scanned, carried and delivered. `fits` when it was handed over
   * before today (today's courier capacity stays free) and delivered by now.
   */
  function travel(placedAt: Date, courier: CourierFacts, zone: DestinationZone, short: boolean) {
    const paidAt = new Date(placedAt.getTime() + random.minutes(0.3, 9));
    const routedAt = new Date(paidAt.getTime() + 10 * MINUTE + random.minutes(0.05, 1.5));
    const unreachableAt = random.chance(0.008)
      ? new Date(routedAt.getTime() + random.minutes(5, 60))
      : undefined;
    const fixedAt = unreachableAt
      ? new Date(unreachableAt.getTime() + random.minutes(120, 20 * 60))
      : undefined;
    const ready = fixedAt ?? routedAt;
    let waveAt: Date | undefined;
    for (let d = 0; !waveAt; d++) {
      const day = shiftChinaDay(chinaDay(ready), d);
      waveAt = WAVES.map((w) => atChina(day, w)).find((w) => w.getTime() > ready.getTime());
    }
    const wave = chinaClock(waveAt);
    const waveNo = `W${wave.date.replaceAll('-', '')}-${pad(Math.floor(wave.minutes / 60), 2)}${pad(wave.minutes % 60, 2)}`;
    const pickingAt = new Date(waveAt.getTime() + random.minutes(0, 6));
    const shortAt = short ? new Date(pickingAt.getTime() + random.minutes(4, 20)) : undefined;
    const damagedAt =
      !short && random.chance(0.01)
        ? new Date(pickingAt.getTime() + random.minutes(4, 20))
        : undefined;
    const packedAt = new Date(
      Math.max(pickingAt.getTime(), shortAt?.getTime() ?? 0, damagedAt?.getTime() ?? 0) +
        random.minutes(6, 35),
    );
    const due = handoverDue(paidAt, courier.pickupCutoff);
    let handedOverAt: Date | undefined;
    for (let d = 0; !handedOverAt; d++) {
      const day = shiftChinaDay(chinaClock(due).date, d);
      const truck = atChina(day, courier.pickupCutoff).getTime() - random.minutes(5, 40);
      if (truck > packedAt.getTime() + 10 * MINUTE) handedOverAt = new Date(truck);
    }
    if (handedOverAt.getTime() <= due.getTime() && random.chance(0.025))
      handedOverAt = new Date(due.getTime() + random.minutes(10, 90));
    const firstScanAt = new Date(handedOverAt.getTime() + random.minutes(10, 150));
    const [minDays, maxDays] = TRANSIT_DAYS[zone];
    let deliveredAt = new Date(
      firstScanAt.getTime() + random.minutes(minDays * 1440, maxDays * 1440),
    );
    // Couriers deliver by day: a parcel due at night arrives the next morning.
    const clock = chinaClock(deliveredAt);
    if (clock.minutes < 8 * 60 || clock.minutes > 21 * 60)
      deliveredAt = new Date(
        atChina(
          clock.minutes < 8 * 60 ? clock.date : shiftChinaDay(clock.date, 1),
          '08:00',
        ).getTime() + random.minutes(10, 180),
      );
    const inTransitAt = new Date(firstScanAt.getTime() + random.minutes(180, 480));
    const atStationAt = new Date(
      Math.max(inTransitAt.getTime() + HOUR, deliveredAt.getTime() - random.minutes(60, 360)),
    );
    return {
      fits: handedOverAt.getTime() < todayStart && deliveredAt.getTime() <= settled,
      paidAt,
      routedAt,
      unreachableAt,
      fixedAt,
      waveNo,
      pickingAt,
      shortAt,
      damagedAt,
      packedAt,
      handedOverAt,
      late: handedOverAt.getTime() > due.getTime(),
      firstScanAt,
      inTransitAt,
      atStationAt,
      deliveredAt,
    };
  }
}

/** Mongoose's own check of the first few documents, so a schema change is caught at once. */
async function validateSample(
  model: { new (doc: object): { validate(): Promise<void> } },
  docs: object[],
) {
  for (const doc of docs.slice(0, 20)) await new model(doc).validate();
}

async function insertChunks(
  model: {
    insertMany(docs: object[], options: { lean: true; ordered: boolean }): Promise<unknown>;
  },
  docs: object[],
): Promise<void> {
  for (let i = 0; i < docs.length; i += CHUNK)
    await model.insertMany(docs.slice(i, i + CHUNK), { lean: true, ordered: true });
}
