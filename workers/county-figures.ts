// The county's figures: jobs of changed orders (from order events) and a catch-up every few
// seconds. One job at a time across every worker process: each batch reads the contributions it
// replaces (server/county/figure-ledger.ts), which two batches at once would both read.
import { Worker, type Job, type Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import {
  CATCH_UP_EVERY_MS,
  CATCH_UP_JOB,
  COUNT_ORDERS_JOB,
  COUNTY_FIGURES_QUEUE,
  type CountyFigures,
} from '../server/county/county-figures.ts';

export async function scheduleCountyCatchUp(queue: Queue): Promise<void> {
  await queue.setGlobalConcurrency(1);
  await queue.upsertJobScheduler(
    CATCH_UP_JOB,
    { every: CATCH_UP_EVERY_MS },
    { name: CATCH_UP_JOB, opts: { removeOnComplete: 10, removeOnFail: 100 } },
  );
}

export function countyFiguresWorker(opts: {
  connection: Redis;
  prefix: string;
  county: CountyFigures;
}): Worker {
  return new Worker(
    COUNTY_FIGURES_QUEUE,
    async (job: Job<{ orderNos?: string[] }>) => {
      if (job.name === COUNT_ORDERS_JOB && job.data.orderNos)
        return opts.county.countOrders(job.data.orderNos);
      if (job.name === CATCH_UP_JOB) return opts.county.catchUp();
      throw new Error(`unknown job ${job.name}`);
    },
    { connection: opts.connection, prefix: opts.prefix, concurrency: 1 },
  );
}
