// Unpaid orders: a delayed job per order at its pay-by time, plus a periodic sweep that
// catches any order whose job was lost (Redis wiped, enqueue failed).
import { ORDER_EXPIRY_QUEUE } from '../server/orders/order-writer.ts';
import { Queue, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { OrderService } from '../server/orders/order-service.ts';
import { EXPIRE_JOB } from '../server/orders/order-service.ts';

export const SWEEP_JOB = 'sweep-overdue';
export const SWEEP_EVERY_MS = 60_000;

export async function scheduleOverdueSweep(queue: Queue): Promise<void> {
  await queue.upsertJobScheduler(SWEEP_JOB, { every: SWEEP_EVERY_MS }, { name: SWEEP_JOB });
}

export function orderExpiryWorker(opts: {
  connection: Redis;
  prefix: string;
  orders: OrderService;
}): Worker {
  return new Worker(
    ORDER_EXPIRY_QUEUE,
    async (job: Job<{ orderNo?: string }>) => {
      if (job.name === EXPIRE_JOB && job.data.orderNo)
        return opts.orders.expireOrder(job.data.orderNo);
      if (job.name === SWEEP_JOB) return opts.orders.sweepOverdue();
      throw new Error(`unknown job ${job.name}`);
    },
    { connection: opts.connection, prefix: opts.prefix, concurrency: 8 },
  );
}
