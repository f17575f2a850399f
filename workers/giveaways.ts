// Lucky bags are drawn when their time is up: a delayed job per giveaway, and a sweep every
// fifteen seconds for any whose job was lost (a Redis wipe, a restart at the wrong moment).
import { Worker, type Job, type Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import {
  DRAW_JOB,
  GIVEAWAYS_QUEUE,
  SWEEP_JOB,
  type Giveaways,
} from '../server/promotions/giveaways.ts';

export const GIVEAWAY_SWEEP_EVERY_MS = 15_000;

export async function scheduleGiveawaySweep(queue: Queue): Promise<void> {
  await queue.upsertJobScheduler(
    SWEEP_JOB,
    { every: GIVEAWAY_SWEEP_EVERY_MS },
    { name: SWEEP_JOB },
  );
}

export function giveawaysWorker(opts: {
  connection: Redis;
  prefix: string;
  giveaways: Giveaways;
}): Worker {
  return new Worker(
    GIVEAWAYS_QUEUE,
    async (job: Job<{ giveawayId?: string }>) => {
      if (job.name === DRAW_JOB && job.data.giveawayId) {
        await opts.giveaways.draw(job.data.giveawayId);
        return;
      }
      if (job.name === SWEEP_JOB) return opts.giveaways.drawDue();
      throw new Error(`unknown job ${job.name}`);
    },
    { connection: opts.connection, prefix: opts.prefix, concurrency: 4 },
  );
}
