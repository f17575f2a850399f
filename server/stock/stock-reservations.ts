// Live stock counters in Redis, decided by Lua scripts (DESIGN invariants 2 and 3).
// MongoDB's ledger is the truth; a counter is a cache of "sellable now" that is rebuilt from
// the ledger whenever it is missing (after a Redis wipe, or for a SKU never sold before).
//
// A reservation is in flight from the script that takes the units until its order is durable.
// Each process holds a lease (a Redis key it refreshes); every in-flight reservation is recorded
// under its process together with the compensation that gives it back. If the process dies, its
// lease runs out and `reapDeadOwners` gives back whatever it had not written.
import { randomBytes } from 'node:crypto';
import { Types } from 'mongoose';
import type { Redis } from 'ioredis';
import { loadLuaScripts } from '../core/lua-scripts.ts';
import type { RedisKeys } from '../core/redis.ts';
import {
  movementIds,
  reservedInLedger,
  recordMovements,
  sellableStockBySku,
  theHubId,
} from './stock-ledger.ts';

type ScriptedRedis = Redis & {
  reserveStock(numKeys: number, ...args: (string | number)[]): Promise<string[]>;
  settleStock(numKeys: number, ...args: (string | number)[]): Promise<number[]>;
  abandonPlacement(numKeys: number, ...args: (string | number)[]): Promise<number>;
  releaseStock(numKeys: number, ...args: (string | number)[]): Promise<number>;
  rebuildStock(numKeys: number, ...args: (string | number)[]): Promise<number>;
};

export interface StockLine {
  skuId: string;
  quantity: number;
}

export interface ReservedLine extends StockLine {
  epoch: string;
}

export type ReserveOutcome =
  | { kind: 'reserved'; lines: ReservedLine[] }
  | { kind: 'duplicate'; orderNo: string }
  | { kind: 'sold_out'; skuId: string; available: number };

/** A placement whose order was written: its order number and the lines it reserved. */
export interface WrittenPlacement {
  orderNo: string;
  lines: ReservedLine[];
}

const IDEMPOTENCY_TTL_S = 24 * 3600;
const RELEASE_MARKER_TTL_S = 7 * 24 * 3600;
/** How long a process's in-flight reservations outlive its last heartbeat. */
export const LEASE_MS = 10_000;
const HEARTBEAT_MS = 2_000;

/** An in-flight count untouched this long is a placement that died (as in rebuild-stock.lua). */
const STALE_INFLIGHT_S = 120;

export class StockReservations {
  private readonly redis: ScriptedRedis;
  private readonly keys: RedisKeys;
  /** This process's lease owner id: new at every start, so a restarted process is a new owner. */
  readonly owner = randomBytes(6).toString('hex');
  private heartbeat: NodeJS.Timeout | undefined;
  private readonly rebuilding = new Map<string, Promise<void>>();

  constructor(redis: Redis, keys: RedisKeys) {
    loadLuaScripts(redis, new URL('.', import.meta.url), {
      reserveStock: 'reserve-stock.lua',
      settleStock: 'settle-stock.lua',
      abandonPlacement: 'abandon-placement.lua',
      releaseStock: 'release-stock.lua',
      rebuildStock: 'rebuild-stock.lua',
    });
    this.redis = redis as ScriptedRedis;
    this.keys = keys;
  }

  // One hash tag for every stock key: multi-SKU orders touch several counters in one script,
  // which Redis Cluster allows only within one slot.
  counterKey(skuId: string): string {
    return this.keys.key('{stock}', 'sku', skuId);
  }

  placementKey(idempotencyKey: string): string {
    return this.keys.key('{stock}', 'placement', idempotencyKey);
  }

  /** Where this process (or another owner) records its in-flight reservations. */
  inflightKey(owner = this.owner): string {
    return this.keys.key('{stock}', 'inflight', owner);
  }

  private leaseKey(owner: string): string {
    return this.keys.key('{stock}', 'lease', owner);
  }

  private ownersKey(): string {
    return this.keys.key('{stock}', 'owners');
  }

  /** Starts refreshing this process's lease; every process that reserves stock runs one. */
  async startLease(): Promise<void> {
    await this.renewLease();
    this.heartbeat = setInterval(() => void this.renewLease().catch(() => {}), HEARTBEAT_MS);
    this.heartbeat.unref();
  }

  stopLease(): void {
    clearInterval(this.heartbeat);
  }

  private async renewLease(): Promise<void> {
    await this.redis
      .multi()
      .set(this.leaseKey(this.owner), String(process.pid), 'PX', LEASE_MS)
      .sadd(this.ownersKey(), this.owner)
      .exec();
  }

  /** Whether any process still holds this order's reservation in flight (not yet written). */
  async inFlight(orderNo: string): Promise<boolean> {
    const owners = await this.redis.smembers(this.ownersKey());
    if (owners.length === 0) return false;
    const pipeline = this.redis.pipeline();
    for (const owner of owners) pipeline.hexists(this.inflightKey(owner), orderNo);
    const answers = (await pipeline.exec()) ?? [];
    return answers.some(([error, held]) => !error && held === 1);
  }

  /** The order number remembered for a placement key, if Redis still has it. */
  async placedOrderNo(idempotencyKey: string): Promise<string | null> {
    return this.redis.get(this.placementKey(idempotencyKey));
  }

  /** Reserves every line or none. Counters missing in Redis are rebuilt from the ledger first. */
  async reserve(
    idempotencyKey: string,
    orderNo: string,
    lines: StockLine[],
  ): Promise<ReserveOutcome> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const keys = [
        this.placementKey(idempotencyKey),
        this.inflightKey(),
        ...lines.map((l) => this.counterKey(l.skuId)),
      ];
      const reply = await this.redis.reserveStock(
        keys.length,
        ...keys,
        orderNo,
        IDEMPOTENCY_TTL_S,
        ...lines.map((l) => l.quantity),
      );
      const [kind, ...rest] = reply;
      if (kind === 'ok')
        return { kind: 'reserved', lines: lines.map((l, i) => ({ ...l, epoch: rest[i]! })) };
      if (kind === 'duplicate') return { kind: 'duplicate', orderNo: rest[0]! };
      const line = lines[Number(rest[0]) - 1]!;
      if (kind === 'sold_out')
        return { kind: 'sold_out', skuId: line.skuId, available: Number(rest[1]) };
      await this.rebuild(line.skuId); // 'missing'
    }
    throw new Error('stock counters kept disappearing while reserving');
  }

  /**
   * Called once orders are durable in MongoDB, for a whole write batch in one script. Returns,
   * per order number, the lines whose reservation is no longer counted (the counter was rebuilt
   * meanwhile, or the placement was abandoned because this process's lease ran out): those
   * must be taken again before the buyer is told.
   */
  async settle(
    placements: WrittenPlacement[],
    owner = this.owner,
  ): Promise<Map<string, ReservedLine[]>> {
    const stale = new Map<string, ReservedLine[]>();
    if (placements.length === 0) return stale;
    const lines = placements.flatMap((p) => p.lines);
    const flags = await this.redis.settleStock(
      lines.length + 1,
      this.inflightKey(owner),
      ...lines.map((l) => this.counterKey(l.skuId)),
      placements.length,
      ...placements.map((p) => p.orderNo),
      ...placements.flatMap((p) => [p.lines.length, ...p.lines.map((l) => l.epoch)]),
    );
    let i = 0;
    for (const placement of placements) {
      const lost = placement.lines.filter(() => flags[i++] === 0);
      if (lost.length > 0) stale.set(placement.orderNo, lost);
    }
    return stale;
  }

  /**
   * Gives back what a placement reserved, once, using the compensation its reservation script
   * recorded. `keepKey` keeps the idempotency key (its order exists under another number).
   * Returns false if the placement was already settled or abandoned.
   */
  async abandon(orderNo: string, keepKey = false, owner = this.owner): Promise<boolean> {
    const done = await this.redis.abandonPlacement(
      1,
      this.inflightKey(owner),
      orderNo,
      keepKey ? 'keep' : 'forget',
    );
    return done === 1;
  }

  /** Gives units back once per `releaseId`; safe to retry. */
  async release(releaseId: string, lines: ReservedLine[]): Promise<void> {
    const keys = [
      this.keys.key('{stock}', 'released', releaseId),
      ...lines.map((l) => this.counterKey(l.skuId)),
    ];
    await this.redis.releaseStock(
      keys.length,
      ...keys,
      RELEASE_MARKER_TTL_S,
      ...lines.flatMap((l) => [l.quantity, l.epoch]),
    );
  }

  /**
   * Gives back the in-flight reservations of processes whose lease ran out (killed, crashed,
   * or cut off from Redis for longer than LEASE_MS). An order that did reach MongoDB keeps its
   * units; for one that did not, a ledger reservation that landed is released first, then the
   * Redis counters get the units back. `durable` says which order numbers are in MongoDB.
   * Returns the number of placements given back.
   */
  async reapDeadOwners(durable: (orderNos: string[]) => Promise<Set<string>>): Promise<number> {
    let reaped = 0;
    for (const owner of await this.redis.smembers(this.ownersKey())) {
      if (owner === this.owner || (await this.redis.exists(this.leaseKey(owner))) === 1) continue;
      const entries = await this.redis.hgetall(this.inflightKey(owner));
      const orderNos = Object.keys(entries);
      if (orderNos.length === 0) {
        await this.redis.srem(this.ownersKey(), owner);
        continue;
      }
      const written = await durable(orderNos);
      const settled = orderNos
        .filter((no) => written.has(no))
        .map((orderNo) => ({ orderNo, lines: inflightLines(entries[orderNo]!) }));
      await this.settle(settled, owner);
      const lost = orderNos.filter((no) => !written.has(no));
      const lines = lost.flatMap((orderNo) =>
        inflightLines(entries[orderNo]!).map((line) => ({ orderNo, ...line })),
      );
      const reserved = await reservedInLedger(lines);
      const hubId = await theHubId();
      const { failed } = await recordMovements(
        lines
          .filter((l) => reserved.has(`${l.orderNo}:${l.skuId}`))
          .map((l) => ({
            movementId: movementIds.abandon(l.orderNo, l.skuId),
            skuId: new Types.ObjectId(l.skuId),
            hubId,
            kind: 'released' as const,
            delta: l.quantity,
            reason: `order ${l.orderNo} never written: its process stopped`,
          })),
      );
      for (const orderNo of lost) {
        // A ledger release that did not land: leave the entry for the next round.
        if (
          inflightLines(entries[orderNo]!).some((l) =>
            failed.has(movementIds.abandon(orderNo, l.skuId)),
          )
        )
          continue;
        if (await this.abandon(orderNo, false, owner)) reaped++;
      }
    }
    return reaped;
  }

  /**
   * Creates a missing counter from the ledger balance. Concurrent callers in this process share
   * one rebuild: the first buys of a rush all find the counter missing at once.
   */
  rebuild(skuId: string): Promise<void> {
    let pending = this.rebuilding.get(skuId);
    if (!pending) {
      pending = this.rebuildNow(skuId).finally(() => this.rebuilding.delete(skuId));
      this.rebuilding.set(skuId, pending);
    }
    return pending;
  }

  private async rebuildNow(skuId: string): Promise<void> {
    const balance = (await sellableStockBySku([new Types.ObjectId(skuId)])).get(skuId) ?? 0;
    await this.redis.rebuildStock(
      1,
      this.counterKey(skuId),
      Math.max(0, balance),
      newEpoch(),
      'create',
      '',
    );
  }

  /**
   * Heals a counter that drifted below the ledger (after a crash or a Redis wipe). Only
   * replaces it when no placement was in flight before the ledger was read nor is when it is
   * written, and the counter did not move meanwhile, so the new value is exact. (A placement in
   * flight at the first read may write its ledger entry and settle before the write: the counter
   * would not have moved, and the old, higher ledger balance would put a sold unit back on sale.)
   * Returns true if the counter was corrected.
   */
  async resync(skuId: string): Promise<boolean> {
    const [before, inflight, since] = await this.redis.hmget(
      this.counterKey(skuId),
      'available',
      'inflight',
      'inflight_at',
    );
    if (before == null) return false;
    // In flight, unless untouched for two minutes (a placement that died: see rebuild-stock.lua).
    const stale = Date.now() / 1000 - Number(since ?? 0) > STALE_INFLIGHT_S;
    if (Number(inflight ?? 0) !== 0 && !stale) return false;
    const balance = (await sellableStockBySku([new Types.ObjectId(skuId)])).get(skuId) ?? 0;
    if (String(balance) === before) return false;
    const written = await this.redis.rebuildStock(
      1,
      this.counterKey(skuId),
      Math.max(0, balance),
      newEpoch(),
      'resync',
      before,
    );
    return written === 1;
  }

  /** Resyncs every SKU given (the worker walks them all); returns how many were corrected. */
  async resyncAll(skuIds: AsyncIterable<string>): Promise<number> {
    let corrected = 0;
    for await (const skuId of skuIds) if (await this.resync(skuId)) corrected++;
    return corrected;
  }

  /** Units sellable now, per SKU (rebuilding counters that are missing). */
  async available(skuIds: string[]): Promise<Map<string, number>> {
    const result = new Map<string, number>();
    for (const skuId of skuIds) {
      let value = await this.redis.hget(this.counterKey(skuId), 'available');
      if (value === null) {
        await this.rebuild(skuId);
        value = await this.redis.hget(this.counterKey(skuId), 'available');
      }
      result.set(skuId, Number(value ?? 0));
    }
    return result;
  }
}

/** The lines of an in-flight entry as written by the reservation scripts. */
function inflightLines(entry: string): ReservedLine[] {
  const { skus } = JSON.parse(entry) as { skus: [string, number, string][] };
  return skus.map(([key, quantity, epoch]) => ({
    skuId: key.slice(key.lastIndexOf(':') + 1),
    quantity,
    epoch,
  }));
}

function newEpoch(): string {
  return randomBytes(6).toString('hex');
}
