// The stock ledger (DESIGN invariant 6): append-only movements; a balance is their sum.
// This module owns the movement-id formats, so every domain that moves stock names its
// movements the same way and a replay never counts twice.
import mongoose, { Types } from 'mongoose';
import { Unavailable } from '../core/errors.ts';
import { TtlCache } from '../core/ttl-cache.ts';
import { StockMovementModel, type MovementKind } from './stock-movement.model.ts';

export interface MovementInput {
  movementId: string;
  skuId: Types.ObjectId;
  hubId: Types.ObjectId;
  kind: MovementKind;
  delta: number;
  binCode?: string;
  orderNos?: string[];
  reason?: string;
}

/** The business keys of movements: one per order line and reservation round. */
export const movementIds = {
  /** A placement takes units for its order (one movement per order). */
  reserve: (orderNo: string, skuId: string) => `reserve:${orderNo}:${skuId}`,
  /** A write batch takes units for all its orders of one SKU (one movement per batch). */
  reserveBatch: (batchId: string, skuId: string) => `reserve-batch:${batchId}:${skuId}`,
  /** An order gives its units back (expired, cancelled); `round` for a second reservation. */
  release: (orderNo: string, skuId: string, round = '') => `release:${orderNo}:${skuId}${round}`,
  /** A placement whose order was never written (or whose process died) gives its units back. */
  abandon: (orderNo: string, skuId: string) => `abandon:${orderNo}:${skuId}`,
  /** A written order takes its units again after they were abandoned under it. */
  reconfirm: (orderNo: string, skuId: string) => `reconfirm:${orderNo}:${skuId}`,
  /** A late payment takes an expired order's units again, or gives them back. */
  reReserve: (orderNo: string, skuId: string) => `re-reserve:${orderNo}:${skuId}`,
  reRelease: (orderNo: string, skuId: string) => `re-release:${orderNo}:${skuId}`,
};

/** Appends a movement once; a replay with the same movementId is a no-op. Returns true if new. */
export async function recordMovement(movement: MovementInput): Promise<boolean> {
  try {
    await StockMovementModel.create(movement);
    return true;
  } catch (error) {
    if ((error as { code?: number }).code === 11000) return false;
    throw error;
  }
}

export interface LedgerWrite {
  /** Movements that could not be written, with why; their work must fail. */
  failed: Map<string, Error>;
  /** Movements whose id was already in the ledger (a replay, or someone else's id). */
  existed: Set<string>;
}

/**
 * Appends many movements in one round trip (`insertMany`, unordered), so one bad movement
 * fails only itself. Says which could not be written and which ids were already there.
 */
export async function recordMovements(movements: MovementInput[]): Promise<LedgerWrite> {
  const result: LedgerWrite = { failed: new Map(), existed: new Set() };
  if (movements.length === 0) return result;
  const at = new Date();
  const docs = movements.map((m) => ({ _id: new Types.ObjectId(), ...m, at }));
  try {
    await StockMovementModel.collection.insertMany(docs, { ordered: false });
  } catch (error) {
    const writeErrors = bulkWriteErrors(error);
    if (!writeErrors) {
      // Not a per-document failure (a lost connection): we cannot tell what landed, so ask.
      const landed = await existingMovements(docs.map((d) => d.movementId));
      for (const d of docs)
        if (!landed.has(d.movementId)) result.failed.set(d.movementId, error as Error);
      return result;
    }
    for (const writeError of writeErrors) {
      const movementId = docs[writeError.index]!.movementId;
      if (writeError.code === 11000) result.existed.add(movementId);
      else result.failed.set(movementId, new Error(writeError.errmsg ?? 'write failed'));
    }
  }
  return result;
}

/**
 * The order numbers, of those given, whose reservation of `skuId` reached the ledger: an order's
 * own `reserve:` movement, or a batch reservation that lists it.
 */
export async function reservedInLedger(
  lines: { orderNo: string; skuId: string }[],
): Promise<Set<string>> {
  if (lines.length === 0) return new Set();
  const rows = await StockMovementModel.find(
    {
      $or: [
        { movementId: { $in: lines.map((l) => movementIds.reserve(l.orderNo, l.skuId)) } },
        { orderNos: { $in: lines.map((l) => l.orderNo) } },
      ],
    },
    { movementId: 1, skuId: 1, orderNos: 1 },
  ).lean();
  const found = new Set<string>();
  for (const l of lines) {
    const hit = rows.some(
      (r) =>
        r.movementId === movementIds.reserve(l.orderNo, l.skuId) ||
        (String(r.skuId) === l.skuId && (r.orderNos ?? []).includes(l.orderNo)),
    );
    if (hit) found.add(`${l.orderNo}:${l.skuId}`);
  }
  return found;
}

/** Which of these movement ids are in the ledger. */
export async function existingMovements(movementIds: string[]): Promise<Set<string>> {
  if (movementIds.length === 0) return new Set();
  const rows = await StockMovementModel.find(
    { movementId: { $in: movementIds } },
    { movementId: 1 },
  ).lean();
  return new Set(rows.map((r) => r.movementId));
}

/** Sellable stock per SKU: the sum of the ledger, never a stored number. */
export async function sellableStockBySku(skuIds: Types.ObjectId[]): Promise<Map<string, number>> {
  const rows = await StockMovementModel.aggregate<{ _id: Types.ObjectId; balance: number }>([
    { $match: { skuId: { $in: skuIds } } },
    { $group: { _id: '$skuId', balance: { $sum: '$delta' } } },
  ]);
  const balances = new Map(skuIds.map((id) => [String(id), 0]));
  for (const row of rows) balances.set(String(row._id), row.balance);
  return balances;
}

const hubs = new TtlCache<Types.ObjectId>(60_000, 1, { staleWhileRevalidate: true });

/**
 * The county has one hub, and every movement names it. Read from the hubs collection directly
 * (cached a minute per process): the hub domain calls the stock domain, not the other way round.
 */
export function theHubId(): Promise<Types.ObjectId> {
  return hubs.get('hub', async () => {
    const hub = await mongoose.connection
      .collection<{ _id: Types.ObjectId }>('hubs')
      .findOne({}, { projection: { _id: 1 }, sort: { _id: 1 } });
    if (!hub) throw new Unavailable('errors.unavailable');
    return hub._id;
  });
}

export interface BulkWriteError {
  index: number;
  code?: number;
  errmsg?: string;
}

/**
 * The per-document errors of an unordered insertMany, or undefined if it failed as a whole (a
 * lost connection reports as a bulk error with no document errors: nothing is known then).
 */
export function bulkWriteErrors(error: unknown): BulkWriteError[] | undefined {
  const writeErrors = (error as { writeErrors?: unknown }).writeErrors;
  if (Array.isArray(writeErrors) && writeErrors.length > 0) return writeErrors as BulkWriteError[];
  if (writeErrors && !Array.isArray(writeErrors) && typeof writeErrors === 'object')
    return [writeErrors as BulkWriteError];
  return undefined;
}
