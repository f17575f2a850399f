// Stock that must come back by itself (DESIGN invariant 3: under-selling is acceptable briefly
// and must heal by itself):
// - every 5 s, reservations held by a process whose lease ran out (killed mid-rush) are given
//   back, unless their order reached MongoDB;
// - every minute, counters that drifted from the MongoDB ledger (a crash, a Redis wipe) are set
//   back to the ledger's balance.
import { Queue, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { eachSkuId } from '../server/catalogue/sku.model.ts';
import type { OrderService } from '../server/orders/order-service.ts';
import type { StockReservations } from '../server/stock/stock-reservations.ts';

export const STOCK_RESYNC_QUEUE = 'stock-resync';
export const RESYNC_JOB = 'resync-all';
export const REAP_JOB = 'reap-dead-placements';
export const RESYNC_EVERY_MS = 60_000;
export const REAP_EVERY_MS = 5_000;

export async function scheduleStockResync(queue: Queue): Promise<void> {
  await queue.upsertJobScheduler(RESYNC_JOB, { every: RESYNC_EVERY_MS }, { name: RESYNC_JOB });
  await queue.upsertJobScheduler(REAP_JOB, { every: REAP_EVERY_MS }, { name: REAP_JOB });
}

export function stockResyncWorker(opts: {
  connection: Redis;
  prefix: string;
  stock: StockReservations;
  orders: OrderService;
}): Worker {
  return new Worker(
    STOCK_RESYNC_QUEUE,
    async (job: Job) => {
      if (job.name === REAP_JOB) return opts.orders.reapAbandonedPlacements();
      return opts.stock.resyncAll(eachSkuId());
    },
    { connection: opts.connection, prefix: opts.prefix, concurrency: 1 },
  );
}
