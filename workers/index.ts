// The worker process: every BullMQ queue Cunbo consumes, started and stopped together.
import os from 'node:os';
import { Queue, type Worker } from 'bullmq';
import { createHeadlessRealtime } from '../server/core/realtime.ts';
import { connectRedisForQueues } from '../server/core/redis.ts';
import type { Runtime } from '../server/core/runtime.ts';
import { createServices, queuePrefix, type Services } from '../server/app/services.ts';
import { HEARTBEAT_QUEUE, heartbeatWorker, scheduleHeartbeat } from './heartbeat.ts';
import { orderExpiryWorker, scheduleOverdueSweep } from './order-expiry.ts';
import { scheduleStockResync, STOCK_RESYNC_QUEUE, stockResyncWorker } from './stock-resync.ts';
import { schedulePaymentReconciliation, stripeEventsWorker } from './stripe-events.ts';
import { liveHoldsWorker } from './live-holds.ts';
import { hubRoutingWorker, scheduleRoutingSweep } from './hub-routing.ts';
import { countyFiguresWorker, scheduleCountyFigures } from './county-figures.ts';
import { giveawaysWorker, scheduleGiveawaySweep } from './giveaways.ts';

const RESCHEDULE_EVERY_MS = 30_000;

export interface Workers {
  workers: Worker[];
  /** Let active jobs finish, then close the queue connections. */
  close(): Promise<void>;
}

/** Starts the workers; `services` may be shared with a web server in the same process. */
export async function startWorkers(runtime: Runtime, shared?: Services): Promise<Workers> {
  const connection = connectRedisForQueues(runtime.redisUrl, runtime.logger, 'workers');
  const prefix = queuePrefix(runtime);
  const workerId = `${os.hostname()}:${process.pid}`;
  const headless = shared
    ? undefined
    : createHeadlessRealtime(runtime.redisUrl, runtime.keys, runtime.logger);
  const services = shared ?? createServices(runtime, headless!.realtime);

  const schedulers = [
    new Queue(HEARTBEAT_QUEUE, { connection, prefix }),
    new Queue(STOCK_RESYNC_QUEUE, { connection, prefix }),
  ];
  const schedule = async () => {
    await scheduleHeartbeat(schedulers[0]!);
    await scheduleStockResync(schedulers[1]!);
    await scheduleOverdueSweep(services.queues.orderExpiry);
    await schedulePaymentReconciliation(services.queues.stripeEvents);
    await scheduleRoutingSweep(services.queues.hubRouting);
    await scheduleCountyFigures(services.queues.countyFigures);
    await scheduleGiveawaySweep(services.queues.giveaways);
  };
  await schedule();
  // A Redis wipe takes the job schedulers with it: put them back, so healing never stops.
  const reschedule = setInterval(
    () =>
      void schedule().catch((error: unknown) =>
        runtime.logger.warn({ err: error }, 'could not re-assert job schedulers'),
      ),
    RESCHEDULE_EVERY_MS,
  );
  reschedule.unref();

  const workers = [
    heartbeatWorker({ connection, prefix, keys: runtime.keys, redis: runtime.redis, workerId }),
    orderExpiryWorker({ connection, prefix, orders: services.orders }),
    stockResyncWorker({ connection, prefix, stock: services.stock, orders: services.orders }),
    stripeEventsWorker({ connection, prefix, payments: services.payments }),
    liveHoldsWorker({ connection, prefix, live: services.live }),
    hubRoutingWorker({ connection, prefix, routing: services.routing }),
    countyFiguresWorker({ connection, prefix, county: services.county }),
    giveawaysWorker({ connection, prefix, giveaways: services.giveaways }),
  ];
  for (const worker of workers) {
    worker.on('failed', (job, error) =>
      runtime.logger.warn({ queue: worker.name, jobId: job?.id, err: error }, 'job failed'),
    );
    worker.on('error', (error) =>
      runtime.logger.warn({ queue: worker.name, err: error.message }, 'worker error'),
    );
  }
  runtime.logger.info({ queues: workers.map((w) => w.name), workerId }, 'workers started');
  const stopTidying = runtime.tidyDatabase();

  return {
    workers,
    async close() {
      stopTidying();
      clearInterval(reschedule);
      await Promise.all(workers.map((w) => w.close()));
      await Promise.all(schedulers.map((q) => q.close()));
      if (!shared) await services.close();
      await headless?.close();
      await connection.quit().catch(() => connection.disconnect());
    },
  };
}
