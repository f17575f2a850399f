// Heals live stock counters that drifted below the MongoDB ledger after a crash or a Redis
// wipe (DESIGN invariant 3: under-selling is acceptable briefly and must heal by itself).
import { Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { SkuModel } from '../server/catalogue/sku.model.ts';
import type { StockReservations } from '../server/orders/stock-reservations.ts';

export const STOCK_RESYNC_QUEUE = 'stock-resync';
export const RESYNC_EVERY_MS = 60_000;

export async function scheduleStockResync(queue: Queue): Promise<void> {
  await queue.upsertJobScheduler('resync-all', { every: RESYNC_EVERY_MS }, { name: 'resync-all' });
}

export async function resyncAllCounters(stock: StockReservations): Promise<number> {
  let corrected = 0;
  for await (const sku of SkuModel.find({}, { _id: 1 }).lean().cursor()) {
    if (await stock.resync(String(sku._id))) corrected++;
  }
  return corrected;
}

export function stockResyncWorker(opts: {
  connection: Redis;
  prefix: string;
  stock: StockReservations;
}): Worker {
  return new Worker(STOCK_RESYNC_QUEUE, () => resyncAllCounters(opts.stock), {
    connection: opts.connection,
    prefix: opts.prefix,
    concurrency: 1,
  });
}
