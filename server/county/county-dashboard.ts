// What /county shows, read from the figures (one document per day × key) and a few small queries:
// the villages and shops, products, hub and couriers, buyers' provinces and quality over a range.
// Nothing here reads orders one by one, so the page costs the same at 100,000 orders as at 100.
import {
  allVillages,
  approvedShops,
  productTitlesByIds,
  skusByIds,
} from '../catalogue/catalogue-reads.ts';
import { chinaDay, chinaDayStart, shiftChinaDay } from '../core/china-time.ts';
import { inParallel } from '../core/in-parallel.ts';
import { TtlCache } from '../core/ttl-cache.ts';
import { pickLocalized, type LocalizedText } from '../core/localized-text.ts';
import { batchesExpiringBetween, batchesFailedSince, courierNames } from '../hub/hub-reads.ts';
import { sellableStockBySku } from '../stock/stock-ledger.ts';
import { certificationsLapsingBetween } from '../trace/trace-reads.ts';
import { CountyFigureDayModel } from './county-figures.model.ts';
import type { DayRange, SortKey } from './county-range.ts';
import type { FigureKind } from './figure-rows.ts';

type Cells = Record<string, { keys: Record<string, string>; n: Record<string, number> }>;

/** Every China day from `from` to `to`, both included. */
export function daysOf(range: { from: string; to: string }): string[] {
  const days: string[] = [];
  for (let day = range.from; day <= range.to; day = shiftChinaDay(day, 1)) days.push(day);
  return days;
}

/** Day documents as read lately: today's for 2 s (the count job's pace), earlier days' for a minute. */
const dayDocs = new TtlCache<{ cells?: unknown } | null>(2_000, 5_000, {
  staleWhileRevalidate: true,
});
const pastDayDocs = new TtlCache<{ cells?: unknown } | null>(60_000, 5_000, {
  staleWhileRevalidate: true,
});

/** The cells of one kind's day documents, one read by `_id` per day. */
async function cellsOf(kind: FigureKind, days: (string | undefined)[]) {
  const today = chinaDay(new Date());
  const found = await inParallel(
    days,
    (day) =>
      (day && day < today ? pastDayDocs : dayDocs).get(`${kind}|${day ?? ''}`, () =>
        CountyFigureDayModel.findById(`${kind}|${day ?? ''}`, { cells: 1 })
          .lean()
          .exec(),
      ),
    8,
  );
  return found.map((doc, i) => ({ day: days[i] ?? '', cells: (doc?.cells ?? {}) as Cells }));
}

/** Counters of one kind over [from, to], summed by the key `by` picks from each cell. */
export async function sumFigures(
  kind: FigureKind,
  range: { from: string; to: string },
  by: (keys: Record<string, string>, day: string) => string,
): Promise<Map<string, Record<string, number>>> {
  const sums = new Map<string, Record<string, number>>();
  for (const { day, cells } of await cellsOf(kind, daysOf(range)))
    for (const cell of Object.values(cells)) {
      const key = by(cell.keys, day);
      const sum = sums.get(key) ?? {};
      for (const [name, value] of Object.entries(cell.n)) sum[name] = (sum[name] ?? 0) + value;
      sums.set(key, sum);
    }
  return sums;
}

/** The cells of a kind kept for now, not by day (orders by status, codes that look copied). */
export async function currentFigures(kind: FigureKind) {
  const [now] = await cellsOf(kind, [undefined]);
  return Object.values(now?.cells ?? {});
}

export interface SalesRow {
  id: string;
  name: string;
  gmvFen: number;
  orders: number;
  /** Paid orders from buyers who had bought from the shop before, in whole percent. */
  repeatPct: number;
  averageFen: number;
  refundFen: number;
}

function salesRow(id: string, name: string, n: Record<string, number> = {}): SalesRow {
  const paid = n.paid ?? 0;
  return {
    id,
    name,
    gmvFen: n.gmvFen ?? 0,
    orders: paid,
    repeatPct: paid ? Math.round(((n.repeatPaid ?? 0) * 100) / paid) : 0,
    averageFen: paid ? Math.round((n.gmvFen ?? 0) / paid) : 0,
    refundFen: n.refundFen ?? 0,
  };
}

const SORTS: Record<SortKey, (r: SalesRow) => number> = {
  gmv: (r) => r.gmvFen,
  orders: (r) => r.orders,
  repeat: (r) => r.repeatPct,
  average: (r) => r.averageFen,
};

export function sortRows(rows: SalesRow[], sort: SortKey): SalesRow[] {
  return [...rows].sort((a, b) => SORTS[sort](b) - SORTS[sort](a) || a.name.localeCompare(b.name));
}

/** GMV, orders, repeat share and average order per village and per shop, every one listed. */
export async function villagesAndShops(range: DayRange, locale: string) {
  const [villages, shops, byShop] = await Promise.all([
    allVillages(),
    approvedShops(),
    sumFigures('shop', range, (k) => k.shopId!),
  ]);
  const say = (text: LocalizedText) => pickLocalized(text, locale);
  const shopRows = shops.map((s) =>
    salesRow(String(s._id), say(s.name), byShop.get(String(s._id))),
  );
  const villageTotals = new Map<string, Record<string, number>>();
  shops.forEach((s) => {
    const total = villageTotals.get(String(s.villageId)) ?? {};
    const n = byShop.get(String(s._id)) ?? {};
    for (const [name, value] of Object.entries(n)) total[name] = (total[name] ?? 0) + value;
    villageTotals.set(String(s.villageId), total);
  });
  const villageRows = villages.map((v) =>
    salesRow(String(v._id), say(v.name), villageTotals.get(String(v._id))),
  );
  return {
    villages: sortRows(villageRows, range.sort),
    shops: sortRows(shopRows, range.sort),
    mapPoints: villages.map((v) => ({
      x: v.mapPoint?.x ?? 0,
      y: v.mapPoint?.y ?? 0,
      name: say(v.name),
      gmvFen: villageTotals.get(String(v._id))?.gmvFen ?? 0,
    })),
  };
}

const COVER_WINDOW_DAYS = 14;

/** Top SKUs, the live share of sales, stock cover in days and batches near expiry. */
export async function products(range: DayRange, locale: string, now = new Date()) {
  const say = (text: LocalizedText) => pickLocalized(text, locale);
  const bySku = await sumFigures('sku', range, (k) => k.skuId!);
  const byChannel = await sumFigures('shop', range, (k) => k.channel!);
  const coverFrom = shiftChinaDay(range.to, -(COVER_WINDOW_DAYS - 1));
  const recent = await sumFigures('sku', { from: coverFrom, to: range.to }, (k) => k.skuId!);
  const skuIds = [...new Set([...bySku.keys(), ...recent.keys()])];
  const skus = await skusByIds(skuIds);
  const titles = new Map(
    (await productTitlesByIds(skus.map((s) => s.productId))).map((p) => [
      String(p._id),
      say(p.title),
    ]),
  );
  const nameOf = new Map(
    skus.map((s) => [String(s._id), `${titles.get(String(s.productId)) ?? s.code} ${say(s.spec)}`]),
  );
  const top = [...bySku.entries()]
    .map(([skuId, n]) => ({
      skuId,
      name: nameOf.get(skuId) ?? skuId,
      units: n.units ?? 0,
      gmvFen: n.gmvFen ?? 0,
    }))
    .sort((a, b) => b.gmvFen - a.gmvFen)
    .slice(0, 10);
  const gmv = (channel: string) => byChannel.get(channel)?.gmvFen ?? 0;
  const total = gmv('live') + gmv('comment') + gmv('storefront');
  const livePct = total ? Math.round(((gmv('live') + gmv('comment')) * 100) / total) : 0;
  const sellable = await sellableStockBySku(skus.map((s) => s._id));
  const cover = skus
    .map((s) => {
      const perDay = (recent.get(String(s._id))?.units ?? 0) / COVER_WINDOW_DAYS;
      const stock = sellable.get(String(s._id)) ?? 0;
      return {
        name: nameOf.get(String(s._id)) ?? s.code,
        stock,
        perDay: Math.round(perDay * 10) / 10,
        days: perDay > 0 ? Math.floor(stock / perDay) : null,
      };
    })
    .sort((a, b) => (a.days ?? Infinity) - (b.days ?? Infinity))
    .slice(0, 10);
  const expiring = await batchesExpiringBetween(now, new Date(now.getTime() + 30 * 86_400_000));
  return {
    top,
    livePct,
    storefrontPct: total ? 100 - livePct : 0,
    cover,
    expiring: expiring.map((b) => ({
      batchNo: b.batchNo,
      name: nameOf.get(String(b.skuId)) ?? '',
      producer: b.producer,
      quantity: b.quantity,
      expiresAt: b.expiresAt,
    })),
  };
}

/** Parcels per courier, on time and late, hours from payment to handover; exceptions by reason. */
export async function hubAndCouriers(range: DayRange, locale: string) {
  const names = await courierNames();
  const byCourierDay = await sumFigures('courier', range, (k, day) => `${k.courierCode}|${day}`);
  const byCourier = new Map<string, Record<string, number>>();
  const days = new Set<string>();
  for (const [key, n] of byCourierDay) {
    const [code, day] = key.split('|') as [string, string];
    days.add(day);
    const sum = byCourier.get(code) ?? {};
    for (const [name, value] of Object.entries(n)) sum[name] = (sum[name] ?? 0) + value;
    byCourier.set(code, sum);
  }
  const couriers = [...byCourier.entries()]
    .map(([code, n]) => ({
      code,
      name: pickLocalized(names.get(code), locale) || code,
      parcels: n.handedOver ?? 0,
      onTime: n.onTime ?? 0,
      late: n.late ?? 0,
      onTimePct:
        n.onTime || n.late
          ? Math.round(((n.onTime ?? 0) * 100) / ((n.onTime ?? 0) + (n.late ?? 0)))
          : null,
      avgHours: n.timed ? Math.round(((n.paidToHandoverMin ?? 0) / n.timed / 60) * 10) / 10 : null,
    }))
    .sort((a, b) => b.parcels - a.parcels);
  const dayList = [...days].sort().slice(-14);
  const perDay = couriers.map((c) => ({
    code: c.code,
    name: c.name,
    counts: dayList.map((d) => byCourierDay.get(`${c.code}|${d}`)?.handedOver ?? 0),
  }));
  const exceptions = [...(await sumFigures('exception', range, (k) => k.reason!)).entries()]
    .map(([reason, n]) => ({ reason, parcels: n.parcels ?? 0 }))
    .sort((a, b) => b.parcels - a.parcels);
  return { couriers, days: dayList, perDay, exceptions };
}

/** Paid orders, GMV and trace scans by the province the parcels went to. */
export async function provinces(range: DayRange) {
  const [orders, scans] = await Promise.all([
    sumFigures('province', range, (k) => k.province!),
    sumFigures('scans', range, (k) => k.province!),
  ]);
  return [...new Set([...orders.keys(), ...scans.keys()])]
    .map((province) => ({
      province,
      orders: orders.get(province)?.paid ?? 0,
      gmvFen: orders.get(province)?.gmvFen ?? 0,
      scans: scans.get(province)?.scans ?? 0,
    }))
    .sort((a, b) => b.gmvFen - a.gmvFen || b.scans - a.scans);
}

const LAPSE_WINDOW_MS = 60 * 86_400_000;

/** Certifications lapsing within 60 days, failed inspections this month, codes that look copied. */
export async function quality(now = new Date()) {
  const monthStart = chinaDayStart(`${chinaDay(now).slice(0, 7)}-01`);
  const [lapsing, failed, copied] = await Promise.all([
    certificationsLapsingBetween(now, new Date(now.getTime() + LAPSE_WINDOW_MS)),
    batchesFailedSince(monthStart),
    currentFigures('copied'),
  ]);
  const shopNames = new Map(
    (await approvedShops()).map((s) => [String(s._id), s.name as LocalizedText]),
  );
  return {
    lapsing: lapsing.map((c) => ({
      kind: c.kind,
      number: c.number,
      validTo: c.validTo,
      shop: shopNames.get(String(c.shopId)),
      daysLeft: Math.ceil((c.validTo.getTime() - now.getTime()) / 86_400_000),
    })),
    failed: failed.map((b) => ({
      batchNo: b.batchNo,
      producer: b.producer,
      quantity: b.quantity,
      receivedAt: b.receivedAt,
    })),
    copied: copied
      .map((c) => ({ code: c.keys.code!, parcelNo: c.keys.parcelNo!, scans: c.n.scans ?? 0 }))
      .sort((a, b) => b.scans - a.scans)
      .slice(0, 20),
  };
}
