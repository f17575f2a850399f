// How long the suite waits for things that take longer on a busy machine, in one place.
// TEST_TIME_FACTOR (default 1) stretches every one of them, and mocha's own test timeouts
// (root-hooks.ts): TEST_TIME_FACTOR=3 gives a machine three times slower the same chances.

function timeFactor(raw: string | undefined): number {
  if (raw === undefined || raw.trim() === '') return 1;
  const factor = Number(raw);
  if (!Number.isFinite(factor) || factor < 1)
    throw new Error(`TEST_TIME_FACTOR="${raw}" is invalid: a number of at least 1`);
  return factor;
}

export const TIME_FACTOR = timeFactor(process.env.TEST_TIME_FACTOR);

/** `ms` stretched by TEST_TIME_FACTOR. */
export const scaled = (ms: number): number => Math.round(ms * TIME_FACTOR);

export const TIMEOUTS = {
  /** A web process answering /healthz after it was spawned (start-up imports, then listen). */
  processReady: scaled(60_000),
  /** A condition the code under test brings about by itself (a job, a worker, a resync). */
  eventually: scaled(15_000),
  /** A socket.io acknowledgement. */
  socketAck: scaled(10_000),
  /** A child process leaving after SIGTERM, before it is killed outright. */
  processExit: scaled(10_000),
  /** A paid order routed by the worker: a consolidation window, then its parcel closed. */
  orderRouted: scaled(30_000),
  /**
   * A killed web process's units given back by the worker's reaper (its lease runs out, the
   * reaper comes round). Longer than the 30 s the rush test promises, so a slow heal fails on
   * that promise, with its time, and not on the wait.
   */
  reaperHeals: scaled(45_000),
  /** PostgreSQL's statistics catching up with writes (an idle backend reports up to 10 s late). */
  postgresStats: scaled(30_000),
};
