// What routing remembers in Redis so that a batch does not read a day's parcels from MongoDB:
// which parcel is still collecting a buyer's orders to an address, and how many parcels each
// courier has booked for a ship date. Both are hints kept beside the truth in MongoDB. Losing
// them (a Redis wipe) costs a consolidation (the buyer's next order opens a parcel of its own) or
// a few bookings counted late (capacity is a courier's daily plan, not stock), never an order.
import { loadLuaScripts } from '../core/lua-scripts.ts';
import type { Redis, RedisKeys } from '../core/redis.ts';
import { ParcelModel } from './parcel.model.ts';

/** How long a day's booking counts are kept after they were last touched. */
const BOOKINGS_TTL_S = 4 * 24 * 3600;

type RoutingRedis = Redis & {
  countBookingsIfKnown(numKeys: number, key: string, courierCode: string): Promise<number>;
  rememberBookings(numKeys: number, key: string, ttl: number, ...pairs: string[]): Promise<number>;
};

export class RoutingMemory {
  private readonly redis: RoutingRedis;
  private readonly keys: RedisKeys;

  constructor(redis: Redis, keys: RedisKeys) {
    loadLuaScripts(redis, new URL('.', import.meta.url), {
      countBookingsIfKnown: 'count-booking.lua',
      rememberBookings: 'remember-bookings.lua',
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

  /**
   * Parcels booked per courier on each of the ship dates. A date Redis does not know yet (or
   * forgot) is counted from MongoDB once and remembered.
   */
  async bookings(shipDates: string[]): Promise<Record<string, Record<string, number>>> {
    const usage: Record<string, Record<string, number>> = {};
    const counts = await Promise.all(shipDates.map((d) => this.redis.hgetall(this.bookingsKey(d))));
    for (const [i, shipDate] of shipDates.entries()) {
      let count = counts[i]!;
      if (!('_counted' in count)) count = await this.countFromParcels(shipDate);
      for (const [courierCode, n] of Object.entries(count))
        if (courierCode !== '_counted') (usage[courierCode] ??= {})[shipDate] = Number(n);
    }
    return usage;
  }

  /** One more parcel for the courier on that date (if the date is counted in Redis at all). */
  async booked(courierCode: string, shipDate: string): Promise<void> {
    await this.redis.countBookingsIfKnown(1, this.bookingsKey(shipDate), courierCode);
  }

  private async countFromParcels(shipDate: string): Promise<Record<string, string>> {
    const counted: Record<string, number> = {};
    for (const p of await ParcelModel.find({ shipDate }, { courierCode: 1 }).lean())
      if (p.courierCode) counted[p.courierCode] = (counted[p.courierCode] ?? 0) + 1;
    const pairs = Object.entries(counted).flatMap(([code, n]) => [code, String(n)]);
    // Another process may have counted first; then its count (and what was booked since) stands.
    await this.redis.rememberBookings(1, this.bookingsKey(shipDate), BOOKINGS_TTL_S, ...pairs);
    return this.redis.hgetall(this.bookingsKey(shipDate));
  }
}

/** Adds one booking to a usage snapshot (parcels closing side by side count each other). */
export function addBooking(
  usage: Record<string, Record<string, number>>,
  courierCode: string,
  shipDate: string,
): void {
  const courier = (usage[courierCode] ??= {});
  courier[shipDate] = (courier[shipDate] ?? 0) + 1;
}
