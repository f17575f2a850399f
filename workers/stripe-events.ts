// Stripe webhooks are verified and stored by the web process, then applied here, once each;
// a periodic job asks Stripe about payments still pending, in case a webhook never arrived.
import { STRIPE_EVENTS_QUEUE } from '../server/payments/stripe-event-inbox.ts';
import { Worker, type Job, type Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import {
  RECONCILE_JOB,
  STRIPE_EVENT_JOB,
  type PaymentService,
} from '../server/payments/payment-service.ts';

export const RECONCILE_EVERY_MS = 5 * 60_000;

export async function schedulePaymentReconciliation(queue: Queue): Promise<void> {
  await queue.upsertJobScheduler(
    RECONCILE_JOB,
    { every: RECONCILE_EVERY_MS },
    { name: RECONCILE_JOB },
  );
}

export function stripeEventsWorker(opts: {
  connection: Redis;
  prefix: string;
  payments: PaymentService;
}): Worker {
  return new Worker(
    STRIPE_EVENTS_QUEUE,
    async (job: Job<{ eventId?: string; payload?: string }>) => {
      if (job.name === STRIPE_EVENT_JOB && job.data.eventId)
        // A job's first run applies the payload it carries; a rerun (a retry, or a worker that
        // stalled mid-job) reads the stored event, which says whether it was applied already.
        return opts.payments.applyEvent(
          job.data.eventId,
          job.attemptsStarted <= 1 ? job.data.payload : undefined,
        );
      if (job.name === RECONCILE_JOB) return opts.payments.reconcilePending();
      throw new Error(`unknown job ${job.name}`);
    },
    // Each event is a few sequential writes; more in flight than the process's MongoDB pool
    // (MONGODB_POOL_SIZE) only queues in the driver, which keeps FerretDB's updates bounded.
    { connection: opts.connection, prefix: opts.prefix, concurrency: 8 },
  );
}
