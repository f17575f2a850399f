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
};
