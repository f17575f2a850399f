// The county's figures: every two seconds the changes noted in Redis are counted, and every
// night everything is counted again from nothing (healing notes lost with a crashed process).
// One job at a time across every worker process: each batch reads the contributions it replaces
// (server/county/figure-ledger.ts), which two batches at once would both read.
import { Worker, type Job, type Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import {
  COUNT_CHANGES_EVERY_MS,
  COUNT_CHANGES_JOB,
  COUNTY_FIGURES_QUEUE,
  NIGHTLY_REBUILD_CRON,
  NIGHTLY_REBUILD_JOB,
  type CountyFigures,
} from '../server/county/county-figures.ts';

export async function scheduleCountyFigures(queue: Queue): Promise<void> {
  await queue.setGlobalConcurrency(1);
  await queue.upsertJobScheduler(
    COUNT_CHANGES_JOB,
    { every: COUNT_CHANGES_EVERY_MS },
    { name: COUNT_CHANGES_JOB, opts: { removeOnComplete: 10, removeOnFail: 100 } },
  );
  await queue.upsertJobScheduler(
    NIGHTLY_REBUILD_JOB,
    { pattern: NIGHTLY_REBUILD_CRON, tz: 'Asia/Shanghai' },
    { name: NIGHTLY_REBUILD_JOB, opts: { removeOnComplete: 10, removeOnFail: 100 } },
  );
}

export function countyFiguresWorker(opts: {
  connection: Redis;
  prefix: string;
  county: CountyFigures;
}): Worker {
  return new Worker(
    COUNTY_FIGURES_QUEUE,
    async (job: Job) => {
      if (job.name === COUNT_CHANGES_JOB) return opts.county.countChanges();
      if (job.name === NIGHTLY_REBUILD_JOB) return opts.county.rebuild();
      throw new Error(`unknown job ${job.name}`);
    },
    { connection: opts.connection, prefix: opts.prefix, concurrency: 1 },
  );
}
