// Keeping the county's figures: order changes arrive as events (OrderEventBus), are gathered for
// a second and counted as one job on the county-figures queue; a catch-up job every few seconds
// counts the orders, parcels and trace codes changed since its last pass, which covers what no
// event reports (placements, hub work, scans) and any event lost in a crash. Counting reads each
// record as it is now and adds the difference from what it added before (figure-ledger.ts), so a
// replayed event or an overlapping pass counts once. `rebuild` counts everything from nothing.
import type { Queue } from 'bullmq';
import type { Types } from 'mongoose';
import { shopsByIds } from '../catalogue/catalogue-reads.ts';
import type { Logger } from '../core/logger.ts';
import {
  courierCutoffs,
  parcelNosChangedBetween,
  parcelPageForFigures,
  parcelProvinces,
  parcelsForFigures,
  type ParcelForFigures,
} from '../hub/hub-reads.ts';
import type { OrderListener } from '../orders/order-events.ts';
import {
  firstOrdersOfBuyers,
  orderNosChangedBetween,
  orderPageForFigures,
  ordersForFigures,
  paidTimesOf,
  type OrderForFigures,
} from '../orders/order-reads.ts';
import {
  codesChangedBetween,
  codesForFigures,
  scannedCodePage,
  type CodeForFigures,
} from '../trace/trace-reads.ts';
import { codeRows, orderRows, parcelRows } from './figure-rows.ts';
import { FigureLedger, type RecordRows } from './figure-ledger.ts';

export const COUNTY_FIGURES_QUEUE = 'county-figures';
export const COUNT_ORDERS_JOB = 'count-orders';
export const CATCH_UP_JOB = 'catch-up';
export const CATCH_UP_EVERY_MS = 5_000;
/** A record changed this long ago has certainly been written: the catch-up stops there. */
export const SETTLE_MS = 10_000;
const GATHER_MS = 1_000;
const PAGE = 1_000;

export interface CountyFiguresDeps {
  queue: Queue;
  logger: Logger;
}

function firstKey(buyerId: Types.ObjectId, shopId: Types.ObjectId): string {
  return `${String(buyerId)}|${String(shopId)}`;
}

export class CountyFigures {
  private readonly deps: CountyFiguresDeps;
  private readonly ledger = new FigureLedger();
  private readonly gathered = new Set<string>();
  private gatherTimer: NodeJS.Timeout | undefined;

  constructor(deps: CountyFiguresDeps) {
    this.deps = deps;
  }

  /** The order listener: gathers changed orders for a second, then queues one job for them. */
  orderListener(): OrderListener {
    return (order) => {
      this.gathered.add(order.orderNo);
      this.gatherTimer ??= setTimeout(() => void this.flushGathered(), GATHER_MS).unref();
    };
  }

  /** Queues the gathered orders now (also on shutdown); a failure is left to the catch-up. */
  async flushGathered(): Promise<void> {
    clearTimeout(this.gatherTimer);
    this.gatherTimer = undefined;
    if (this.gathered.size === 0) return;
    const orderNos = [...this.gathered];
    this.gathered.clear();
    await this.deps.queue
      .add(COUNT_ORDERS_JOB, { orderNos }, { removeOnComplete: 100, removeOnFail: 1000 })
      .catch((error: unknown) =>
        this.deps.logger.warn({ err: error }, 'county figures not queued; the catch-up will'),
      );
  }

  /** Counts these orders as they are now. */
  async countOrders(orderNos: readonly string[]): Promise<number> {
    const orders = await ordersForFigures(orderNos);
    const first = await firstOrdersOfBuyers([...new Set(orders.map((o) => o.buyerId))]);
    return this.ledger.apply(await this.orderRecords(orders, first));
  }

  async countParcels(parcelNos: readonly string[]): Promise<number> {
    return this.ledger.apply(await this.parcelRecords(await parcelsForFigures(parcelNos)));
  }

  async countCodes(codes: readonly string[]): Promise<number> {
    return this.ledger.apply(await this.codeRecords(await codesForFigures(codes)));
  }

  /**
   * Counts what changed since the last pass, up to SETTLE_MS ago. The first pass, with no
   * figures yet, rebuilds them.
   */
  async catchUp(now = new Date()): Promise<{ orders: number; parcels: number; codes: number }> {
    const state = await this.ledger.state();
    if (!state.rebuiltAt) {
      await this.rebuild(now);
      return { orders: 0, parcels: 0, codes: 0 };
    }
    await this.ledger.finishCutShort();
    const until = new Date(now.getTime() - SETTLE_MS);
    const since = (mark: Date | null | undefined) => mark ?? state.rebuiltAt!;
    const orderNos = await orderNosChangedBetween(since(state.ordersSeenUntil), until);
    const parcelNos = await parcelNosChangedBetween(since(state.parcelsSeenUntil), until);
    const codes = await codesChangedBetween(since(state.codesSeenUntil), until);
    for (let i = 0; i < orderNos.length; i += PAGE)
      await this.countOrders(orderNos.slice(i, i + PAGE));
    for (let i = 0; i < parcelNos.length; i += PAGE)
      await this.countParcels(parcelNos.slice(i, i + PAGE));
    for (let i = 0; i < codes.length; i += PAGE) await this.countCodes(codes.slice(i, i + PAGE));
    await this.ledger.setWatermarks({
      ordersSeenUntil: until,
      parcelsSeenUntil: until,
      codesSeenUntil: until,
    });
    return { orders: orderNos.length, parcels: parcelNos.length, codes: codes.length };
  }

  /**
   * Counts every order, parcel and trace code from nothing and replaces the figures. What
   * changes while it reads is counted by the next catch-up (its marks start SETTLE_MS before).
   */
  async rebuild(now = new Date()): Promise<{ figures: number; records: number }> {
    const from = new Date(now.getTime() - SETTLE_MS);
    const records: RecordRows[] = [];
    const orders: OrderForFigures[] = [];
    for (let after: Types.ObjectId | undefined; ;) {
      const page = await orderPageForFigures(after, PAGE);
      if (page.length === 0) break;
      orders.push(...page);
      after = page.at(-1)!._id;
    }
    const first = new Map<string, Date>();
    for (const o of orders) {
      const key = firstKey(o.buyerId, o.shopId);
      const seen = first.get(key);
      if (!seen || o.createdAt < seen) first.set(key, o.createdAt);
    }
    records.push(...(await this.orderRecords(orders, first)));
    for (let after: Types.ObjectId | undefined; ;) {
      const page = await parcelPageForFigures(after, PAGE);
      if (page.length === 0) break;
      records.push(...(await this.parcelRecords(page)));
      after = page.at(-1)!._id;
    }
    for (let after: Types.ObjectId | undefined; ;) {
      const page = await scannedCodePage(after, PAGE);
      if (page.length === 0) break;
      records.push(...(await this.codeRecords(page)));
      after = page.at(-1)!._id;
    }
    const result = await this.ledger.replaceAll(records);
    await this.ledger.setWatermarks({
      ordersSeenUntil: from,
      parcelsSeenUntil: from,
      codesSeenUntil: from,
    });
    return result;
  }

  // ---------- records to rows ----------

  private async orderRecords(
    orders: OrderForFigures[],
    first: Map<string, Date>,
  ): Promise<RecordRows[]> {
    const shopIds = [...new Set(orders.map((o) => String(o.shopId)))];
    const shops = await shopsByIds(shopIds);
    const villageOf = new Map(shops.map((s) => [String(s._id), String(s.villageId)]));
    return orders.map((o) => {
      const firstAt = first.get(firstKey(o.buyerId, o.shopId));
      return {
        id: `order:${o.orderNo}`,
        rows: orderRows(o, {
          villageId: villageOf.get(String(o.shopId)) ?? '',
          repeat: firstAt !== undefined && o.createdAt.getTime() > firstAt.getTime(),
        }),
      };
    });
  }

  private async parcelRecords(parcels: ParcelForFigures[]): Promise<RecordRows[]> {
    const handed = parcels.filter((p) => p.handedOverAt);
    const paid = await paidTimesOf(handed.flatMap((p) => p.orderNos));
    const cutoffs = handed.length > 0 ? await courierCutoffs() : new Map<string, string>();
    return parcels.map((p) => {
      const paidAts = p.orderNos.map((no) => paid.get(no)).filter((d): d is Date => !!d);
      const paidAt = paidAts.length
        ? new Date(Math.max(...paidAts.map((d) => d.getTime())))
        : undefined;
      const pickupCutoff = p.courierCode ? cutoffs.get(p.courierCode) : undefined;
      return {
        id: `parcel:${p.parcelNo}`,
        rows: parcelRows(p, {
          ...(paidAt ? { paidAt } : {}),
          ...(pickupCutoff ? { pickupCutoff } : {}),
        }),
      };
    });
  }

  private async codeRecords(codes: CodeForFigures[]): Promise<RecordRows[]> {
    const provinces = await parcelProvinces([...new Set(codes.map((c) => c.parcelNo))]);
    return codes.map((c) => ({
      id: `code:${c.code}`,
      rows: codeRows(c, provinces.get(c.parcelNo) ?? ''),
    }));
  }
}
