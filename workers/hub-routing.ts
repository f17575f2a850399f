// Paid orders to the hub: a job per order puts it in a parcel, a delayed job per parcel closes
// it when the consolidation window ends (courier, waybill), and a periodic sweep routes any paid
// order whose job was lost. Many jobs are taken at once, and the routing service serves the
// ones waiting in this process in batches, one batch at a time (server/hub/routing-service.ts):
// batch allocation reads what is left of a batch and then takes it, which only one allocator
// may do at once on FerretDB (its SKUs' locks keep other processes out).
import { Worker, type Job, type Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import {
  CLOSE_PARCEL_JOB,
  HUB_ROUTING_QUEUE,
  ROUTE_ORDER_JOB,
  ROUTING_SWEEP_JOB,
  UNROUTE_ORDER_JOB,
  type HubRouting,
} from '../server/hub/routing-service.ts';

export const ROUTING_SWEEP_EVERY_MS = 60_000;

export async function scheduleRoutingSweep(queue: Queue): Promise<void> {
  await queue.upsertJobScheduler(
    ROUTING_SWEEP_JOB,
    { every: ROUTING_SWEEP_EVERY_MS },
    { name: ROUTING_SWEEP_JOB },
  );
}

export function hubRoutingWorker(opts: {
  connection: Redis;
  prefix: string;
  routing: HubRouting;
}): Worker {
  return new Worker(
    HUB_ROUTING_QUEUE,
    async (job: Job<{ orderNo?: string; parcelNo?: string }>) => {
      if (job.name === ROUTE_ORDER_JOB && job.data.orderNo)
        return opts.routing.routeOrder(job.data.orderNo);
      if (job.name === CLOSE_PARCEL_JOB && job.data.parcelNo)
        return opts.routing.closeParcel(job.data.parcelNo);
      if (job.name === UNROUTE_ORDER_JOB && job.data.orderNo)
        return opts.routing.unrouteOrder(job.data.orderNo);
      if (job.name === ROUTING_SWEEP_JOB) return opts.routing.sweepUnrouted();
      throw new Error(`unknown job ${job.name}`);
    },
    {
      connection: opts.connection,
      prefix: opts.prefix,
      // Jobs wait for their batch here; the batch, not the job, is what costs.
      concurrency: 100,
      // A worker that dies mid-job gives the job back within seconds (a job waiting for its
      // batch keeps its lock renewed meanwhile).
      lockDuration: 10_000,
      stalledInterval: 5_000,
    },
  );
}
