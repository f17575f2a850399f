// How the routing worker serves its jobs: together, in batches, one batch at a time; a batch's
// MongoDB calls go four at a time through core/in-parallel.ts (DESIGN, "Writing under a rush").

/** Jobs served together at most (the worker's concurrency bounds it too). */
const MAX_BATCH = 100;

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
