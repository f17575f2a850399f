// Group commit for placed orders. A rush places hundreds of orders a second, and the document
// store's cost is the round trip, not the bytes (DESIGN, "Writing under a rush"): accepted
// placements wait a few milliseconds for each other, then one flush writes one ledger
// reservation per SKU for the whole batch (listing its orders), all the orders with one unordered
// insertMany, settles their reservations in one Redis script and schedules their expiry jobs in
// one addBulk. Each placement is answered only once its own documents are durable; a failure
// touches only the placement it belongs to, whose undo gives its units back.
import { randomBytes } from 'node:crypto';
import type { Queue } from 'bullmq';
import { Types } from 'mongoose';
import type { Logger } from '../core/logger.ts';
import {
  bulkWriteErrors,
  movementIds,
  recordMovements,
  type MovementInput,
} from '../stock/stock-ledger.ts';
import type { ReservedLine, StockReservations } from '../stock/stock-reservations.ts';
import { OrderModel } from './order.model.ts';

export const EXPIRE_JOB = 'expire-unpaid';
/** The queue unpaid orders wait in until they expire (workers/order-expiry.ts consumes it). */
export const ORDER_EXPIRY_QUEUE = 'order-expiry';

/** One accepted placement: its order document (validated) and what it reserved. */
export interface PendingWrite {
  orderNo: string;
  idempotencyKey: string;
  payBy: Date;
  hubId: Types.ObjectId;
  order: Record<string, unknown>;
  reserved: ReservedLine[];
}

/**
 * `inLedger` names the SKUs whose reservation for this order reached the ledger (in the batch's
 * reservation movement), or 'unknown' when the write's outcome could not be learnt.
 */
export type WriteOutcome =
  /** Durable. `stale` lines lost their reservation meanwhile (see StockReservations.settle). */
  | { kind: 'written'; stale: ReservedLine[] }
  /** An order with this idempotency key exists already; ours was not written. */
  | { kind: 'duplicate'; inLedger: string[] }
  /** The order number was taken by another order; ours was not written. */
  | { kind: 'number_taken'; inLedger: string[] }
  /** Not written. */
  | { kind: 'failed'; error: Error; inLedger: string[] | 'unknown' };

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
  /** Told the numbers of the orders each flush made durable (the county counts placements). */
  onWritten?: (orderNos: string[]) => void;
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
    // Milliseconds from the flush's start to the end of each step, for the debug log.
    const started = performance.now();
    const took: Record<string, number> = {};
    const mark = (step: string) => (took[step] = Math.round(performance.now() - started));
    try {
      // Ledger first, then the orders: a crash in between leaves units held without an order
      // (under-selling, given back by the lease reaper), never an order without held units.
      const movements = batchReservations(batch.map((w) => w.write));
      const ledger = await recordMovements(movements);
      mark('ledger');
      const failedSkus = new Map(
        movements
          .filter((m) => ledger.failed.has(m.movementId))
          .map((m) => [String(m.skuId), ledger.failed.get(m.movementId)!]),
      );
      const ready: Waiting[] = [];
      for (const waiting of batch) {
        const skus = waiting.write.reserved.map((l) => l.skuId);
        const failed = skus.map((sku) => failedSkus.get(sku)).find(Boolean);
        if (failed)
          outcomes.set(waiting, {
            kind: 'failed',
            error: failed,
            inLedger: skus.filter((sku) => !failedSkus.has(sku)),
          });
        else ready.push(waiting);
      }

      const written = await this.insertOrders(ready, outcomes);
      mark('orders');
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
      mark('settle');
      await this.scheduleExpiry(written.map((w) => w.write));
      mark('expiry');
      if (written.length > 0) this.options.onWritten?.(written.map((w) => w.write.orderNo));
    } catch (error) {
      this.options.logger.error({ err: error, batch: batch.length }, 'order batch not written');
      for (const waiting of batch)
        if (!outcomes.has(waiting))
          outcomes.set(waiting, { kind: 'failed', error: error as Error, inLedger: 'unknown' });
    }
    for (const waiting of batch) waiting.resolve(outcomes.get(waiting)!);
    this.options.logger.debug(
      { batch: batch.length, waiting: this.queue.length, ms: took },
      'order batch flushed',
    );
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
        const inLedger = waiting.write.reserved.map((l) => l.skuId);
        if (code !== 11000)
          outcomes.set(waiting, { kind: 'failed', error: error as Error, inLedger });
        else if (keysTaken.has(waiting.write.idempotencyKey))
          outcomes.set(waiting, { kind: 'duplicate', inLedger });
        else outcomes.set(waiting, { kind: 'number_taken', inLedger });
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
    if (rest.length === 1)
      outcomes.set(rest[0]!, {
        kind: 'failed',
        error,
        inLedger: rest[0]!.write.reserved.map((l) => l.skuId),
      });
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

/**
 * One reservation movement per SKU for the whole batch: the sum of its orders' units, listing
 * them. A batch id that is new every flush keeps the movement ids unique.
 */
function batchReservations(writes: PendingWrite[]): MovementInput[] {
  const batchId = randomBytes(6).toString('hex');
  const bySku = new Map<string, MovementInput & { orderNos: string[] }>();
  for (const write of writes) {
    for (const line of write.reserved) {
      let movement = bySku.get(line.skuId);
      if (!movement) {
        movement = {
          movementId: movementIds.reserveBatch(batchId, line.skuId),
          skuId: new Types.ObjectId(line.skuId),
          hubId: write.hubId,
          kind: 'reserved',
          delta: 0,
          orderNos: [],
          reason: 'orders placed',
        };
        bySku.set(line.skuId, movement);
      }
      movement.delta -= line.quantity;
      movement.orderNos.push(write.orderNo);
    }
  }
  return [...bySku.values()];
}
