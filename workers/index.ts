// The worker process: every BullMQ queue Cunbo consumes, started and stopped together.
import os from 'node:os';
import { Queue, type Worker } from 'bullmq';
import type { Runtime } from '../server/core/runtime.ts';
import { connectRedisForQueues } from '../server/core/redis.ts';
import { HEARTBEAT_QUEUE, heartbeatWorker, scheduleHeartbeat } from './heartbeat.ts';

export interface Workers {
  workers: Worker[];
  /** Let active jobs finish, then close the queue connections. */
  close(): Promise<void>;
}

export function queuePrefix(runtime: Pick<Runtime, 'keys'>): string {
  return runtime.keys.key('bull');
}

export async function startWorkers(runtime: Runtime): Promise<Workers> {
  const connection = connectRedisForQueues(runtime.redisUrl, runtime.logger, 'workers');
  const prefix = queuePrefix(runtime);
  const workerId = `${os.hostname()}:${process.pid}`;

  const heartbeatQueue = new Queue(HEARTBEAT_QUEUE, { connection, prefix });
  await scheduleHeartbeat(heartbeatQueue);

  const workers = [
    heartbeatWorker({ connection, prefix, keys: runtime.keys, redis: runtime.redis, workerId }),
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

  return {
    workers,
    async close() {
      await Promise.all(workers.map((w) => w.close()));
      await heartbeatQueue.close();
      await connection.quit().catch(() => connection.disconnect());
    },
  };
}
