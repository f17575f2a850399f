// What routing remembers in Redis so that a batch does not read a day's parcels and allocations
// from MongoDB: which parcel is still collecting a buyer's orders to an address, how many parcels
// each courier has booked for a ship date, and how many units of each batch are promised to
// parcels. All are kept beside the truth in MongoDB and counted from it again when missing. Losing
// them (a Redis wipe) costs a consolidation (the buyer's next order opens a parcel of its own),
// never an order; counts are rebuilt from MongoDB by the next reader. Bookings are counted by
// parcel number, so a recount and the parcels booked while it reads MongoDB count each parcel once.
import { loadLuaScripts } from '../core/lua-scripts.ts';
import type { Redis, RedisKeys } from '../core/redis.ts';
import { BatchAllocationModel } from './batch.model.ts';
import { ParcelModel } from './parcel.model.ts';

/** How long a day's booking counts are kept after they were last counted or added to. */
const BOOKINGS_TTL_S = 4 * 24 * 3600;
/**
 * How long a SKU's promised units are trusted before they are counted again from the
 * allocations: a count that drifted (a crash between two steps) is put right within this time.
 */
const BATCH_USE_TTL_S = 10 * 60;

/** Parcels booked per courier code and ship date. */
export type Bookings = Record<string, Record<string, number>>;

type RoutingRedis = Redis & {
  addIfCounted(numKeys: number, key: string, ...pairs: string[]): Promise<number>;
  rememberCounts(numKeys: number, key: string, ttl: number, ...pairs: string[]): Promise<number>;
  countBooking(
    numKeys: number,
    countsKey: string,
    parcelsKey: string,
    ttl: number,
    parcelNo: string,
    courierCode: string,
  ): Promise<number>;
  recountBookings(
    numKeys: number,
    countsKey: string,
    parcelsKey: string,
    ttl: number,
    ...pairs: string[]
  ): Promise<number>;
};

export class RoutingMemory {
  private readonly redis: RoutingRedis;
  private readonly keys: RedisKeys;

  constructor(redis: Redis, keys: RedisKeys) {
    loadLuaScripts(redis, new URL('.', import.meta.url), {
      addIfCounted: 'add-if-counted.lua',
      rememberCounts: 'remember-counts.lua',
      countBooking: 'count-booking.lua',
      recountBookings: 'recount-bookings.lua',
    });
    this.redis = redis as RoutingRedis;
    this.keys = keys;
  }

  private openKey(buyerAddressKey: string): string {
    return this.keys.key('{hub}', 'open-parcel', buyerAddressKey);
  }

  private bookingsKey(shipDate: string): string {
    return this.keys.key('{hub}', 'booked', shipDate);
  }

  private bookedParcelsKey(shipDate: string): string {
    return this.keys.key('{hub}', 'booked', shipDate, 'parcels');
  }

  private batchUseKey(skuId: string): string {
    return this.keys.key('{hub}', 'batch-use', skuId);
  }

  /** The parcel each buyer-and-address key was last seen collecting into (undefined: none). */
  async openParcels(buyerAddressKeys: string[]): Promise<Map<string, string>> {
    const found = new Map<string, string>();
    if (buyerAddressKeys.length === 0) return found;
    const parcelNos = await this.redis.mget(buyerAddressKeys.map((k) => this.openKey(k)));
    buyerAddressKeys.forEach((key, i) => {
      const parcelNo = parcelNos[i];
      if (parcelNo) found.set(key, parcelNo);
    });
    return found;
  }

  /** Remembers newly opened parcels until their consolidation window closes. */
  async parcelsOpened(opened: { buyerAddressKey: string; parcelNo: string; ms: number }[]) {
    if (opened.length === 0) return;
    const pipeline = this.redis.pipeline();
    for (const { buyerAddressKey, parcelNo, ms } of opened)
      if (ms > 0) pipeline.set(this.openKey(buyerAddressKey), parcelNo, 'PX', ms);
    await pipeline.exec();
  }

  /** Parcels booked per courier on each of the ship dates. */
  async bookings(shipDates: string[]): Promise<Bookings> {
    const usage: Bookings = {};
    const counts = await Promise.all(shipDates.map((shipDate) => this.bookedOn(shipDate)));
    for (const [i, shipDate] of shipDates.entries())
      for (const [courierCode, n] of counts[i]!) (usage[courierCode] ??= {})[shipDate] = n;
    return usage;
  }

  /**
   * One parcel booked with the courier on that date. Count it before the parcel is written (a
   * failure in between under-uses the courier, never over-books it) and again once it is written:
   * a wipe in between may have let a recount read MongoDB without it. It is counted once.
   */
  async booked(courierCode: string, shipDate: string, parcelNo: string): Promise<void> {
    await this.redis.countBooking(
      2,
      this.bookingsKey(shipDate),
      this.bookedParcelsKey(shipDate),
      BOOKINGS_TTL_S,
      parcelNo,
      courierCode,
    );
  }

  /** The day's counts, counted again from MongoDB (with the parcels booked meanwhile) if lost. */
  private async bookedOn(shipDate: string): Promise<Map<string, number>> {
    const key = this.bookingsKey(shipDate);
    let kept = await this.redis.hgetall(key);
    if (!('_counted' in kept)) {
      const parcels = await ParcelModel.find({ shipDate }, { parcelNo: 1, courierCode: 1 }).lean();
      const pairs = parcels.flatMap((p) => (p.courierCode ? [p.parcelNo, p.courierCode] : []));
      await this.redis.recountBookings(
        2,
        key,
        this.bookedParcelsKey(shipDate),
        BOOKINGS_TTL_S,
        ...pairs,
      );
      kept = await this.redis.hgetall(key);
    }
    return countsOf(kept);
  }

  /**
   * Units promised to parcels from each of a SKU's batches, by batch id. The caller holds the
   * SKU's allocation lock (ParcelLocks.withSkuAllocation), so no one else counts or allocates.
   */
  batchUse(skuId: string): Promise<Map<string, number>> {
    return this.counted(this.batchUseKey(skuId), BATCH_USE_TTL_S, async () => {
      const used = new Map<string, number>();
      for (const a of await BatchAllocationModel.find(
        { skuId },
        { batchId: 1, quantity: 1 },
      ).lean())
        used.set(String(a.batchId), (used.get(String(a.batchId)) ?? 0) + a.quantity);
      return used;
    });
  }

  /**
   * Counts units promised (positive) or given back (negative) by batch id. Promise before the
   * allocations are written and give back after they are deleted: a crash in between leaves the
   * count high (units kept back until the next recount), never low (units promised twice).
   */
  async batchesUsed(skuId: string, deltas: Map<string, number>): Promise<void> {
    if (deltas.size === 0) return;
    const pairs = [...deltas].flatMap(([batchId, n]) => [batchId, String(n)]);
    await this.redis.addIfCounted(1, this.batchUseKey(skuId), ...pairs);
  }

  /** A hash of counts, counted from MongoDB (and remembered for `ttl` s) when Redis lacks it. */
  private async counted(
    key: string,
    ttl: number,
    count: () => Promise<Map<string, number>>,
  ): Promise<Map<string, number>> {
    let kept = await this.redis.hgetall(key);
    if (!('_counted' in kept)) {
      const fresh = await count();
      const pairs = [...fresh].flatMap(([field, n]) => [field, String(n)]);
      // Another process may have counted first; then its count (and what was added since) stands.
      if (await this.redis.rememberCounts(1, key, ttl, ...pairs)) return fresh;
      kept = await this.redis.hgetall(key);
    }
    return countsOf(kept);
  }
}

/** A counts hash as read from Redis, without its `_counted` mark. */
function countsOf(kept: Record<string, string>): Map<string, number> {
  return new Map(
    Object.entries(kept).flatMap(([field, n]) =>
      field === '_counted' ? [] : [[field, Number(n)]],
    ),
  );
}

/** Adds one booking to a usage snapshot (parcels closing side by side count each other). */
export function addBooking(usage: Bookings, courierCode: string, shipDate: string): void {
  const courier = (usage[courierCode] ??= {});
  courier[shipDate] = (courier[shipDate] ?? 0) + 1;
}
