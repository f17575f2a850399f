// A waitlisted buyer gets a short hold on released live units; when it runs out unused, the
// units move to the next buyer on the waitlist or back on sale.
import { LIVE_HOLDS_QUEUE } from '../server/live/live-counters.ts';
import { Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { HOLD_EXPIRE_JOB, type LiveService } from '../server/live/live-service.ts';

export function liveHoldsWorker(opts: {
  connection: Redis;
  prefix: string;
  live: LiveService;
}): Worker {
  return new Worker(
    LIVE_HOLDS_QUEUE,
    async (job: Job<{ sessionId: string; offerId: string; buyerId: string }>) => {
      if (job.name !== HOLD_EXPIRE_JOB) throw new Error(`unknown job ${job.name}`);
      await opts.live.expireHold(job.data.sessionId, job.data.offerId, job.data.buyerId);
    },
    { connection: opts.connection, prefix: opts.prefix, concurrency: 4 },
  );
}
