// Keeping the county's figures. What changed is noted in Redis sets as it happens: orders from
// order events and from the order writer (placements), parcels from the hub (handover,
// exceptions), trace codes from the trace page (scans). Notes gather in the process for half a
// second and go in one SADD. Every two seconds a job on the county-figures queue takes up to a
// few thousand notes and counts those records as they are now, adding the difference from what
// each added before (figure-ledger.ts), so a note taken twice counts once. A note lost with a
// crashed process is healed by the nightly rebuild (or `npm run stats:rebuild`), which counts
// everything from nothing, as does the first pass on a database with no figures yet.
import type { Redis } from 'ioredis';
import { shopsByIds } from '../catalogue/catalogue-reads.ts';
import { inParallel } from '../core/in-parallel.ts';
import type { Logger } from '../core/logger.ts';
import type { RedisKeys } from '../core/redis.ts';
import {
  allParcelsForFigures,
  courierCutoffs,
  parcelProvinces,
  parcelsForFigures,
  type ParcelForFigures,
} from '../hub/hub-reads.ts';
import type { OrderListener } from '../orders/order-events.ts';
import {
  allOrdersForFigures,
  ordersForFigures,
  paidAt,
  paidTimesOf,
  type OrderForFigures,
} from '../orders/order-reads.ts';
import { allCodesForFigures, codesForFigures, type CodeForFigures } from '../trace/trace-reads.ts';
import { CountyFirstOrderModel } from './county-figures.model.ts';
import { codeRows, orderRows, parcelRows } from './figure-rows.ts';
import { emptyCollection, FigureLedger, type RecordRows } from './figure-ledger.ts';

export const COUNTY_FIGURES_QUEUE = 'county-figures';
export const COUNT_CHANGES_JOB = 'count-changes';
export const COUNT_CHANGES_EVERY_MS = 2_000;
export const NIGHTLY_REBUILD_JOB = 'rebuild-nightly';
/** 03:30 China time, when the county sleeps. */
export const NIGHTLY_REBUILD_CRON = '30 3 * * *';
const GATHER_MS = 500;
const TAKE = 2_000;
const CHUNK = 500;

const KINDS = ['orders', 'parcels', 'codes'] as const;
type Kind = (typeof KINDS)[number];

export interface CountyFiguresDeps {
  redis: Redis;
  keys: RedisKeys;
  logger: Logger;
}

function firstKey(o: Pick<OrderForFigures, 'buyerId' | 'shopId'>): string {
  return `${String(o.buyerId)}|${String(o.shopId)}`;
}

export class CountyFigures {
  private readonly deps: CountyFiguresDeps;
  private readonly ledger = new FigureLedger();
  private readonly gathered: Record<Kind, Set<string>> = {
    orders: new Set(),
    parcels: new Set(),
    codes: new Set(),
  };
  private gatherTimer: NodeJS.Timeout | undefined;

  constructor(deps: CountyFiguresDeps) {
    this.deps = deps;
  }

  private changedKey(kind: Kind): string {
    return this.deps.keys.key('county', 'changed', kind);
  }

  // ---------- noting what changed (cheap, in the process that changed it) ----------

  noteOrders(orderNos: readonly string[]): void {
    this.note('orders', orderNos);
  }

  noteParcels(parcelNos: readonly string[]): void {
    this.note('parcels', parcelNos);
  }

  noteCodes(codes: readonly string[]): void {
    this.note('codes', codes);
  }

  /** The order listener: every changed order is noted. */
  orderListener(): OrderListener {
    return (order) => this.noteOrders([order.orderNo]);
  }

  private note(kind: Kind, ids: readonly string[]): void {
    for (const id of ids) this.gathered[kind].add(id);
    this.gatherTimer ??= setTimeout(() => void this.flushNotes(), GATHER_MS).unref();
  }

  /** Sends the gathered notes to Redis now (also on shutdown and in tests). */
  async flushNotes(): Promise<void> {
    clearTimeout(this.gatherTimer);
    this.gatherTimer = undefined;
    for (const kind of KINDS) {
      const ids = [...this.gathered[kind]];
      this.gathered[kind].clear();
      if (ids.length === 0) continue;
      await this.deps.redis.sadd(this.changedKey(kind), ...ids).catch((error: unknown) => {
        this.deps.logger.warn(
          { err: error, kind, count: ids.length },
          'county changes not noted; the nightly rebuild will count them',
        );
      });
    }
  }

  // ---------- counting (the worker, one job at a time) ----------

  /**
   * Counts what was noted since the last pass (up to TAKE of each kind; the rest next time). A
   * database with no figures yet is rebuilt instead.
   */
  async countChanges(): Promise<{ orders: number; parcels: number; codes: number }> {
    const state = await this.ledger.state();
    if (!state.rebuiltAt) {
      await this.rebuild();
      return { orders: 0, parcels: 0, codes: 0 };
    }
    await this.ledger.finishCutShort();
    const counted = { orders: 0, parcels: 0, codes: 0 };
    for (const kind of KINDS) {
      const ids = await this.deps.redis.spop(this.changedKey(kind), TAKE);
      if (ids.length === 0) continue;
      try {
        for (let i = 0; i < ids.length; i += CHUNK) {
          const part = ids.slice(i, i + CHUNK);
          if (kind === 'orders') await this.countOrders(part);
          if (kind === 'parcels') await this.countParcels(part);
          if (kind === 'codes') await this.countCodes(part);
        }
      } catch (error) {
        // Put them back for the next pass: counting again is harmless.
        await this.deps.redis.sadd(this.changedKey(kind), ...ids);
        throw error;
      }
      counted[kind] = ids.length;
    }
    return counted;
  }

  /** Counts these orders as they are now. */
  async countOrders(orderNos: readonly string[]): Promise<number> {
    const orders = await ordersForFigures(orderNos);
    const repeats = await this.repeatsOf(orders);
    return this.ledger.apply(await this.orderRecords(orders, (o) => repeats.has(o.orderNo)));
  }

  async countParcels(parcelNos: readonly string[]): Promise<number> {
    const parcels = await parcelsForFigures(parcelNos);
    const paid = await paidTimesOf(parcels.flatMap((p) => (p.handedOverAt ? p.orderNos : [])));
    return this.ledger.apply(await this.parcelRecords(parcels, paid));
  }

  async countCodes(codes: readonly string[]): Promise<number> {
    const found = await codesForFigures(codes);
    return this.ledger.apply(
      this.codeRecords(found, await parcelProvinces([...new Set(found.map((c) => c.parcelNo))])),
    );
  }

  /**
   * Counts every order, parcel and trace code from nothing and replaces the figures, reading each
   * collection once. Changes noted meanwhile are counted by the next pass.
   */
  async rebuild(): Promise<{ figures: number; records: number }> {
    const orders: OrderForFigures[] = [];
    for await (const o of allOrdersForFigures()) orders.push(o);
    const first = new Map<string, OrderForFigures>();
    for (const o of orders) {
      const seen = first.get(firstKey(o));
      if (!seen || o.createdAt < seen.createdAt) first.set(firstKey(o), o);
    }
    const records = await this.orderRecords(
      orders,
      (o) => first.get(firstKey(o))!.orderNo !== o.orderNo,
    );
    const paid = new Map<string, Date>();
    for (const o of orders) {
      const at = paidAt(o);
      if (at) paid.set(o.orderNo, at);
    }
    const parcels: ParcelForFigures[] = [];
    for await (const p of allParcelsForFigures()) parcels.push(p);
    for (const r of await this.parcelRecords(parcels, paid)) records.push(r);
    const provinces = new Map(parcels.map((p) => [p.parcelNo, p.address?.province ?? '']));
    const codes: CodeForFigures[] = [];
    for await (const c of allCodesForFigures()) if (c.scans > 0) codes.push(c);
    for (const r of this.codeRecords(codes, provinces)) records.push(r);
    await emptyCollection(CountyFirstOrderModel);
    const firsts = [...first.entries()].map(([id, o]) => ({
      _id: id,
      orderNo: o.orderNo,
      at: o.createdAt,
    }));
    for (let i = 0; i < firsts.length; i += CHUNK)
      await CountyFirstOrderModel.insertMany(firsts.slice(i, i + CHUNK), { ordered: false });
    return this.ledger.replaceAll(records);
  }

  // ---------- records to rows ----------

  /**
   * Which of these orders are repeats: the buyer ordered from the shop before (by placement
   * time). Each buyer × shop keeps its first order; an order earlier than the one kept (counted
   * late) takes its place, and the one it displaced is counted again, now as a repeat.
   */
  private async repeatsOf(orders: OrderForFigures[]): Promise<Set<string>> {
    const sorted = [...orders].sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
    const keys = [...new Set(sorted.map(firstKey))];
    const kept = await inParallel(keys, (id) => CountyFirstOrderModel.findById(id).lean());
    const first = new Map(
      keys.map((id, i) => [id, kept[i] ? { orderNo: kept[i].orderNo, at: kept[i].at } : undefined]),
    );
    const repeats = new Set<string>();
    const displaced: string[] = [];
    const changed = new Map<string, { orderNo: string; at: Date }>();
    for (const o of sorted) {
      const seen = first.get(firstKey(o));
      if (seen && seen.orderNo === o.orderNo) continue;
      if (seen && seen.at.getTime() <= o.createdAt.getTime()) {
        repeats.add(o.orderNo);
        continue;
      }
      if (seen) displaced.push(seen.orderNo);
      const mine = { orderNo: o.orderNo, at: o.createdAt };
      first.set(firstKey(o), mine);
      changed.set(firstKey(o), mine);
    }
    await inParallel([...changed.entries()], ([id, f]) =>
      CountyFirstOrderModel.updateOne({ _id: id }, { $set: f }, { upsert: true }),
    );
    if (displaced.length > 0) this.noteOrders(displaced);
    return repeats;
  }

  private async orderRecords(
    orders: OrderForFigures[],
    isRepeat: (o: OrderForFigures) => boolean,
  ): Promise<RecordRows[]> {
    const shopIds = [...new Set(orders.map((o) => String(o.shopId)))];
    const shops = shopIds.length > 0 ? await shopsByIds(shopIds) : [];
    const villageOf = new Map(shops.map((s) => [String(s._id), String(s.villageId)]));
    return orders.map((o) => ({
      id: `order:${o.orderNo}`,
      rows: orderRows(o, {
        villageId: villageOf.get(String(o.shopId)) ?? '',
        repeat: isRepeat(o),
      }),
    }));
  }

  private async parcelRecords(
    parcels: ParcelForFigures[],
    paid: Map<string, Date>,
  ): Promise<RecordRows[]> {
    const cutoffs = parcels.some((p) => p.handedOverAt)
      ? await courierCutoffs()
      : new Map<string, string>();
    return parcels.map((p) => {
      const paidAts = p.orderNos.map((no) => paid.get(no)).filter((d): d is Date => !!d);
      const lastPaid = paidAts.length
        ? new Date(Math.max(...paidAts.map((d) => d.getTime())))
        : undefined;
      const pickupCutoff = p.courierCode ? cutoffs.get(p.courierCode) : undefined;
      return {
        id: `parcel:${p.parcelNo}`,
        rows: parcelRows(p, {
          ...(lastPaid ? { paidAt: lastPaid } : {}),
          ...(pickupCutoff ? { pickupCutoff } : {}),
        }),
      };
    });
  }

  private codeRecords(codes: CodeForFigures[], provinces: Map<string, string>): RecordRows[] {
    return codes.map((c) => ({
      id: `code:${c.code}`,
      rows: codeRows(c, provinces.get(c.parcelNo) ?? ''),
    }));
  }
}
