// The webhook inbox: verified Stripe events, stored and queued for the stripe-events worker in
// batches (see StripeEventInbox).
import type { Queue } from 'bullmq';
import { Types } from 'mongoose';
import { bulkWriteErrors } from '../stock/stock-ledger.ts';
import { StripeEventModel } from './payment.model.ts';
import type { StripeEvent } from './stripe-gateway.ts';

export const STRIPE_EVENT_JOB = 'apply-stripe-event';
/** The queue verified Stripe events wait in (workers/stripe-events.ts consumes it). */
export const STRIPE_EVENTS_QUEUE = 'stripe-events';

interface WaitingEvent {
  event: StripeEvent;
  payload: string;
  resolve(outcome: 'queued' | 'duplicate'): void;
  reject(error: unknown): void;
}

/**
 * Group commit for webhooks. A rush's payments arrive as hundreds of webhooks a second, and the
 * document store's cost is the round trip (DESIGN, "Writing under a rush"): events this process
 * accepted wait a few milliseconds for each other, one unordered insertMany stores them and one
 * addBulk queues their jobs. Each webhook is answered once its own event is stored and queued;
 * a failure answers only the webhooks it touched, with an error, so Stripe delivers them again.
 */
export class StripeEventInbox {
  private readonly queue: Queue;
  private readonly options: { maxBatch: number; maxWaitMs: number; maxFlushes: number };
  private waiting: WaitingEvent[] = [];
  private timer: NodeJS.Timeout | undefined;
  private flushing = 0;

  constructor(queue: Queue, options = { maxBatch: 100, maxWaitMs: 5, maxFlushes: 2 }) {
    this.queue = queue;
    this.options = options;
  }

  accept(event: StripeEvent, payload: string): Promise<'queued' | 'duplicate'> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ event, payload, resolve, reject });
      if (this.waiting.length >= this.options.maxBatch) this.flushNow();
      else this.timer ??= setTimeout(() => this.flushNow(), this.options.maxWaitMs);
    });
  }

  private flushNow(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    // While every flush is busy, events keep gathering: the next batch is bigger.
    if (this.flushing >= this.options.maxFlushes || this.waiting.length === 0) return;
    const batch = this.waiting.splice(0, this.options.maxBatch);
    this.flushing++;
    void this.flush(batch)
      .catch((error: unknown) => batch.forEach((w) => w.reject(error)))
      .finally(() => {
        this.flushing--;
        if (this.waiting.length > 0) this.flushNow();
      });
  }

  private async flush(batch: WaitingEvent[]): Promise<void> {
    const now = new Date();
    const docs = batch.map((w) => ({
      _id: new Types.ObjectId(),
      eventId: w.event.id,
      type: w.event.type,
      payload: w.payload,
      created: new Date(w.event.created * 1000),
      createdAt: now,
      updatedAt: now,
    }));
    const failed = new Map<number, unknown>();
    const storedBefore: number[] = [];
    try {
      await StripeEventModel.collection.insertMany(docs, { ordered: false });
    } catch (error) {
      const writeErrors = bulkWriteErrors(error);
      // Not a per-event failure (a lost connection): nothing is known, every webhook fails.
      if (!writeErrors) throw error;
      for (const e of writeErrors)
        if (e.code === 11000) storedBefore.push(e.index);
        else failed.set(e.index, new Error(e.errmsg ?? 'event not stored'));
    }
    // A redelivery: acknowledged as a duplicate once applied; queued again if not yet (the
    // enqueue after its first delivery may have failed). The job id keeps it one job.
    const applied = new Set<number>();
    await Promise.all(
      storedBefore.map(async (i) => {
        const seen = await StripeEventModel.findOne(
          { eventId: docs[i]!.eventId },
          { processedAt: 1 },
        ).lean();
        if (seen?.processedAt) applied.add(i);
      }),
    );
    const toQueue = batch.flatMap((_, i) => (failed.has(i) || applied.has(i) ? [] : [i]));
    if (toQueue.length > 0)
      await this.queue
        .addBulk(
          toQueue.map((i) => ({
            name: STRIPE_EVENT_JOB,
            data: { eventId: docs[i]!.eventId, payload: docs[i]!.payload },
            opts: {
              jobId: `stripe-${docs[i]!.eventId}`,
              attempts: 8,
              backoff: { type: 'exponential', delay: 1000 },
              // The stored event's processedAt answers later redeliveries; a day is plenty.
              removeOnComplete: { age: 24 * 3600 },
            },
          })),
        )
        .catch((error: unknown) => toQueue.forEach((i) => failed.set(i, error)));
    batch.forEach((w, i) => {
      if (failed.has(i)) w.reject(failed.get(i));
      else w.resolve(applied.has(i) ? 'duplicate' : 'queued');
    });
  }
}
