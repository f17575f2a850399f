// Live stock counters in Redis, decided by Lua scripts (DESIGN invariants 2 and 3).
// MongoDB's ledger is the truth; a counter is a cache of "sellable now" that is rebuilt from
// the ledger whenever it is missing (after a Redis wipe, or for a SKU never sold before).
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Types } from 'mongoose';
import type { Redis } from 'ioredis';
import type { RedisKeys } from '../core/redis.ts';
import { sellableStockBySku } from '../hub/stock-ledger.ts';

const lua = (name: string) => readFileSync(new URL(`./${name}.lua`, import.meta.url), 'utf8');
const SCRIPTS = {
  reserveStock: lua('reserve-stock'),
  settleStock: lua('settle-stock'),
  releaseStock: lua('release-stock'),
  rebuildStock: lua('rebuild-stock'),
};

type ScriptedRedis = Redis & {
  reserveStock(numKeys: number, ...args: (string | number)[]): Promise<string[]>;
  settleStock(numKeys: number, ...args: (string | number)[]): Promise<number[]>;
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

const IDEMPOTENCY_TTL_S = 24 * 3600;
const RELEASE_MARKER_TTL_S = 7 * 24 * 3600;

export class StockReservations {
  private readonly redis: ScriptedRedis;
  private readonly keys: RedisKeys;

  constructor(redis: Redis, keys: RedisKeys) {
    for (const [name, source] of Object.entries(SCRIPTS)) {
      if (!(name in redis)) redis.defineCommand(name, { lua: source });
    }
    this.redis = redis as ScriptedRedis;
    this.keys = keys;
  }

  // One hash tag for every stock key: multi-SKU orders touch several counters in one script,
  // which Redis Cluster allows only within one slot.
  counterKey(skuId: string): string {
    return this.keys.key('{stock}', 'sku', skuId);
  }

  private placementKey(idempotencyKey: string): string {
    return this.keys.key('{stock}', 'placement', idempotencyKey);
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
   * Called once the order is durable in MongoDB. Lines whose counter was rebuilt meanwhile are
   * returned: their reservation may be missing from the new counter and must be taken again.
   */
  async settle(lines: ReservedLine[]): Promise<ReservedLine[]> {
    const flags = await this.redis.settleStock(
      lines.length,
      ...lines.map((l) => this.counterKey(l.skuId)),
      ...lines.map((l) => l.epoch),
    );
    return lines.filter((_, i) => flags[i] === 0);
  }

  /** Forgets a placement that failed, so the same idempotency key can be placed again. */
  async forgetPlacement(idempotencyKey: string): Promise<void> {
    await this.redis.del(this.placementKey(idempotencyKey));
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

  /** Creates a missing counter from the ledger balance. */
  async rebuild(skuId: string): Promise<void> {
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
   * replaces it when no placement is in flight and it did not move while the ledger was read.
   * Returns true if the counter was corrected.
   */
  async resync(skuId: string): Promise<boolean> {
    const before = await this.redis.hget(this.counterKey(skuId), 'available');
    if (before === null) return false;
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

function newEpoch(): string {
  return randomBytes(6).toString('hex');
}
