// Group commit for placed orders. A rush places hundreds of orders a second, and the document
// store's cost is the round trip, not the bytes (DESIGN, "Writing under a rush"): accepted
// placements wait a few milliseconds for each other, then one flush writes all their ledger
// movements with one insertMany and all their orders with another, settles their reservations
// in one Redis script and schedules their expiry jobs in one addBulk. Each placement is answered
// only once its own documents are durable; a failure touches only the placement it belongs to.
import type { Queue } from 'bullmq';
import type { Logger } from '../core/logger.ts';
import { bulkWriteErrors, recordMovements, type MovementInput } from '../stock/stock-ledger.ts';
import type { ReservedLine, StockReservations } from '../stock/stock-reservations.ts';
import { OrderModel } from './order.model.ts';

export const EXPIRE_JOB = 'expire-unpaid';

/** One accepted placement: its order document (validated), ledger movements and reservation. */
export interface PendingWrite {
  orderNo: string;
  idempotencyKey: string;
  payBy: Date;
  order: Record<string, unknown>;
  movements: MovementInput[];
  reserved: ReservedLine[];
}

export type WriteOutcome =
  /** Durable. `stale` lines lost their reservation meanwhile (see StockReservations.settle). */
  | { kind: 'written'; stale: ReservedLine[] }
  /** An order with this idempotency key exists already; ours was not written. */
  | { kind: 'duplicate' }
  /** The order number was taken by another order; `ours` are the movements we did write. */
  | { kind: 'number_taken'; ours: string[] }
  /** Not written; the ledger movements may have been. */
  | { kind: 'failed'; error: Error };

export interface OrderWriterOptions {
  stock: StockReservations;
  expiryQueue: Queue;
  logger: Logger;
  /** Flush when this many placements wait… */
  maxBatch: number;
  /** …or when the first of them has waited this long. */
  maxWaitMs: number;
  /** Flushes that may be in flight at once (each holds a couple of database connections). */
  maxFlushes: number;
}

interface Waiting {
  write: PendingWrite;
  resolve(outcome: WriteOutcome): void;
}

export class OrderWriter {
  private readonly options: OrderWriterOptions;
  private queue: Waiting[] = [];
  private timer: NodeJS.Timeout | undefined;
  private flushing = 0;

  constructor(options: OrderWriterOptions) {
    this.options = options;
  }

  /** Resolves once this placement's documents are durable (or known not to be). */
  write(write: PendingWrite): Promise<WriteOutcome> {
    return new Promise((resolve) => {
      this.queue.push({ write, resolve });
      this.schedule();
    });
  }

  /** Waits for every queued placement to be written (graceful shutdown, tests). */
  async drain(): Promise<void> {
    while (this.queue.length > 0 || this.flushing > 0) {
      this.flushNow();
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  private schedule(): void {
    if (this.queue.length >= this.options.maxBatch) return this.flushNow();
    this.timer ??= setTimeout(() => this.flushNow(), this.options.maxWaitMs);
  }

  private flushNow(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    // While every flush slot is busy, placements keep gathering: the next batch is bigger.
    if (this.flushing >= this.options.maxFlushes || this.queue.length === 0) return;
    const batch = this.queue.splice(0, this.options.maxBatch);
    this.flushing++;
    void this.flush(batch).finally(() => {
      this.flushing--;
      if (this.queue.length > 0) this.schedule();
    });
  }

  private async flush(batch: Waiting[]): Promise<void> {
    const outcomes = new Map<Waiting, WriteOutcome>();
    try {
      // Ledger first, then the orders: a crash in between leaves units held without an order
      // (under-selling, given back by the lease reaper), never an order without held units.
      const ledger = await recordMovements(batch.flatMap((w) => w.write.movements));
      const ready: Waiting[] = [];
      for (const waiting of batch) {
        const ids = waiting.write.movements.map((m) => m.movementId);
        const failed = ids.map((id) => ledger.failed.get(id)).find(Boolean);
        // A fresh order number whose movement id exists belongs to another order: retry.
        const taken = ids.some((id) => ledger.existed.has(id));
        if (failed) outcomes.set(waiting, { kind: 'failed', error: failed });
        else if (taken)
          outcomes.set(waiting, {
            kind: 'number_taken',
            ours: ids.filter((id) => !ledger.existed.has(id)),
          });
        else ready.push(waiting);
      }

      const written = await this.insertOrders(ready, outcomes);
      // From here on these orders are durable, whatever Redis answers.
      for (const waiting of written) outcomes.set(waiting, { kind: 'written', stale: [] });
      const stale = await this.options.stock
        .settle(written.map((w) => ({ orderNo: w.write.orderNo, lines: w.write.reserved })))
        .catch((error: unknown) => {
          // Left in flight: once this process is gone the reaper settles them from MongoDB.
          this.options.logger.warn({ err: error }, 'written orders not settled in Redis');
          return new Map<string, ReservedLine[]>();
        });
      for (const waiting of written) {
        const lost = stale.get(waiting.write.orderNo);
        if (lost) outcomes.set(waiting, { kind: 'written', stale: lost });
      }
      await this.scheduleExpiry(written.map((w) => w.write));
    } catch (error) {
      this.options.logger.error({ err: error, batch: batch.length }, 'order batch not written');
      for (const waiting of batch)
        if (!outcomes.has(waiting))
          outcomes.set(waiting, { kind: 'failed', error: error as Error });
    }
    for (const waiting of batch) waiting.resolve(outcomes.get(waiting)!);
  }

  /** Inserts the orders unordered; returns those that are durable, records the others. */
  private async insertOrders(
    ready: Waiting[],
    outcomes: Map<Waiting, WriteOutcome>,
  ): Promise<Waiting[]> {
    if (ready.length === 0) return [];
    try {
      await OrderModel.collection.insertMany(
        ready.map((w) => w.write.order),
        { ordered: false },
      );
      return ready;
    } catch (error) {
      const writeErrors = bulkWriteErrors(error);
      if (!writeErrors) return this.afterWholeFailure(ready, outcomes, error as Error);
      const notWritten = new Map(writeErrors.map((e) => [ready[e.index]!, e.code]));
      // FerretDB does not say which unique index refused a document: look at the keys.
      const clashes = [...notWritten].filter(([, code]) => code === 11000).map(([w]) => w);
      const keysTaken = new Set(
        clashes.length === 0
          ? []
          : (
              await OrderModel.find(
                { idempotencyKey: { $in: clashes.map((w) => w.write.idempotencyKey) } },
                { idempotencyKey: 1 },
              ).lean()
            ).map((o) => o.idempotencyKey),
      );
      for (const [waiting, code] of notWritten) {
        if (code !== 11000) outcomes.set(waiting, { kind: 'failed', error: error as Error });
        else if (keysTaken.has(waiting.write.idempotencyKey))
          outcomes.set(waiting, { kind: 'duplicate' });
        else
          outcomes.set(waiting, {
            kind: 'number_taken',
            ours: waiting.write.movements.map((m) => m.movementId),
          });
      }
      return ready.filter((w) => !notWritten.has(w));
    }
  }

  /**
   * The insert failed as a whole: ask what landed. One document can cost the whole call (FerretDB
   * drops the connection on a NUL in a string), so the rest is halved and tried again until only
   * the documents that fail on their own are left failing.
   */
  private async afterWholeFailure(
    ready: Waiting[],
    outcomes: Map<Waiting, WriteOutcome>,
    error: Error,
  ): Promise<Waiting[]> {
    const landed = new Set(
      (
        await OrderModel.find(
          { orderNo: { $in: ready.map((w) => w.write.orderNo) } },
          { orderNo: 1 },
        ).lean()
      ).map((o) => o.orderNo),
    );
    const written = ready.filter((w) => landed.has(w.write.orderNo));
    const rest = ready.filter((w) => !landed.has(w.write.orderNo));
    if (rest.length === 1) outcomes.set(rest[0]!, { kind: 'failed', error });
    if (rest.length <= 1) return written;
    const half = Math.ceil(rest.length / 2);
    return [
      ...written,
      ...(await this.insertOrders(rest.slice(0, half), outcomes)),
      ...(await this.insertOrders(rest.slice(half), outcomes)),
    ];
  }

  private async scheduleExpiry(writes: PendingWrite[]): Promise<void> {
    if (writes.length === 0) return;
    try {
      await this.options.expiryQueue.addBulk(
        writes.map((w) => ({
          name: EXPIRE_JOB,
          data: { orderNo: w.orderNo },
          opts: {
            jobId: `expire-${w.orderNo}`,
            delay: Math.max(0, w.payBy.getTime() - Date.now()),
            removeOnComplete: 1000,
          },
        })),
      );
    } catch (error) {
      // The orders are durable; the periodic sweep expires them if these jobs never arrive.
      this.options.logger.warn(
        { err: error, orders: writes.length },
        'could not schedule expiry; the sweep will',
      );
    }
  }
}
