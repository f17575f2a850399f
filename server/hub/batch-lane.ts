// How the routing worker serves its jobs: together, in batches, one batch at a time, and with a
// bounded number of MongoDB calls in flight (DESIGN, "Writing under a rush").

/** Jobs served together at most (the worker's concurrency bounds it too). */
const MAX_BATCH = 100;
/** MongoDB calls a batch keeps in flight (the process's pool bounds them anyway). */
const IN_FLIGHT = 4;

/** Maps `items` through `work`, at most IN_FLIGHT at a time, in order. */
export async function inParallel<T, R>(items: T[], work: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(IN_FLIGHT, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        results[i] = await work(items[i]!);
      }
    }),
  );
  return results;
}

/**
 * Jobs of one kind, served in batches, one batch at a time: what arrives while a batch runs
 * waits for the next. Each caller gets its own item's outcome; a batch that fails fails its
 * callers (their jobs retry, each on its own).
 */
export class BatchLane<I, O> {
  private readonly run: (items: I[]) => Promise<O[]>;
  private waiting: { item: I; resolve(o: O): void; reject(e: unknown): void }[] = [];
  private running = false;

  constructor(run: (items: I[]) => Promise<O[]>) {
    this.run = run;
  }

  submit(item: I): Promise<O> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ item, resolve, reject });
      if (!this.running) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.running = true;
    // Let the jobs that arrive in the same tick join the first batch.
    await new Promise((resolve) => setImmediate(resolve));
    while (this.waiting.length > 0) {
      const batch = this.waiting.splice(0, MAX_BATCH);
      try {
        const outcomes = await this.run(batch.map((w) => w.item));
        batch.forEach((w, i) => w.resolve(outcomes[i]!));
      } catch (error) {
        batch.forEach((w) => w.reject(error));
      }
    }
    this.running = false;
  }
}
