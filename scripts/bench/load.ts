// The live bench's load generator, parent side: what a run looks like (its shape and the buys
// each buyer makes), and `runLoad`, which spawns the generator processes
// (scripts/bench/load-generator.ts), has them open and join every socket, fires every buyer at
// one wall-clock instant and collects what each buy was answered. The real run and the
// acknowledge-only baseline (scripts/bench/ack-baseline.ts) go through this same code with the
// same shape, so their figures compare like with like.
import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';

/** A socket.io acknowledgement as the live room sends it (`bench.*` codes are the generator's). */
export interface Ack {
  ok: boolean;
  code?: string;
  data?: { orderNo?: string } | null;
}

/** Codes the generator gives a buy that got no answer from the server. */
export const NO_ANSWER = ['bench.timeout', 'bench.disconnected'];

export interface LoadShape {
  scenario: 'rush' | 'session';
  buyers: number;
  /** 1 for the rush. */
  buysPerBuyer: number;
  retryShare: number;
}

export interface LoadPlan {
  sessionId: string;
  offerId: string;
  /** Makes each buy's clientKey: `${keyPrefix}-${buyer}-${seq}` (8–40 of [A-Za-z0-9_-]). */
  keyPrefix: string;
  ackTimeoutMs: number;
  /**
   * `live:buy` events a socket may send in any 10 s (the dispatcher's per-socket flood limit).
   * A buyer whose next buy (and its resend) would go over it waits; the run reports the waits.
   */
  buyLimit: number;
  /** Sockets each generator process opens at once. */
  connectConcurrency: number;
}

export interface Target {
  buyer: number;
  url: string;
  cookie?: string;
  /** One entry per buy, in order: is this buy sent twice (same clientKey, at once)? */
  resends: boolean[];
}

export interface BuyResult {
  buyer: number;
  seq: number;
  clientKey: string;
  first: Ack;
  resend?: Ack;
  /** From sending the buy to its last answer (both, for a resent buy), in ms. */
  ms: number;
  /** Wall-clock ms (epoch) when the first ok answer came, if any. */
  okAt?: number;
  /** Wall-clock ms when the last real answer (not a generator timeout) came, if any. */
  ackAt?: number;
}

export interface GeneratorStats {
  /** Buys that waited for the flood limit, and how long in all. */
  pacedBuys: number;
  pacedMs: number;
  disconnects: number;
  connectRetries: number;
  /** Events the server pushed to the sockets (room updates) while the buys ran. */
  pushes: number;
  /** The generator's own event-loop delay while the buys ran (the worst generator's). */
  loopDelayP99Ms: number;
  loopDelayMaxMs: number;
  /** CPU the generator processes used while the buys ran, and the longest buy phase. */
  cpuMs: number;
  wallMs: number;
  /**
   * Answers that came after the generator had given up on them (`bench.timeout`), as wall-clock
   * ms, and how many of them were ok: the server was still working, just too slowly.
   */
  lateAt: number[];
  lateOk: number;
}

const SUMMED = [
  'pacedBuys',
  'pacedMs',
  'disconnects',
  'connectRetries',
  'pushes',
  'cpuMs',
  'lateOk',
] as const;

export function emptyStats(): GeneratorStats {
  return {
    pacedBuys: 0,
    pacedMs: 0,
    disconnects: 0,
    connectRetries: 0,
    pushes: 0,
    loopDelayP99Ms: 0,
    loopDelayMaxMs: 0,
    cpuMs: 0,
    wallMs: 0,
    lateAt: [],
    lateOk: 0,
  };
}

function mergeStats(into: GeneratorStats, more: GeneratorStats) {
  for (const key of SUMMED) into[key] += more[key];
  into.loopDelayP99Ms = Math.max(into.loopDelayP99Ms, more.loopDelayP99Ms);
  into.loopDelayMaxMs = Math.max(into.loopDelayMaxMs, more.loopDelayMaxMs);
  into.wallMs = Math.max(into.wallMs, more.wallMs);
  into.lateAt.push(...more.lateAt);
}

export interface LoadRun {
  results: BuyResult[];
  /** Wall-clock ms (epoch) at which every generator fired. */
  fireAt: number;
  connectMs: number;
  stats: GeneratorStats;
}

export type ToGenerator =
  | { type: 'connect'; plan: LoadPlan; targets: Target[] }
  | { type: 'fire'; at: number }
  | { type: 'close' };

export type FromGenerator =
  | { type: 'ready' }
  | { type: 'failed'; error: string }
  | { type: 'done'; results: BuyResult[]; stats: GeneratorStats };

/** Deterministic (seeded) choice of which buys are sent twice: the same for every run. */
export function resendPlan(shape: LoadShape): boolean[][] {
  const { buyers, buysPerBuyer: k, retryShare, scenario } = shape;
  const plan = Array.from({ length: buyers }, () => new Array<boolean>(k).fill(false));
  if (scenario === 'rush') {
    // As the bench always did: the first share R of the buyers send their buy twice.
    for (let i = 0; i < buyers && i < buyers * retryShare; i++) plan[i]![0] = true;
    return plan;
  }
  // The session: exactly round(R × N × K) buys, spread over buyers and positions by a seeded
  // shuffle (mulberry32), so the same shape always resends the same buys.
  const total = buyers * k;
  const order = Array.from({ length: total }, (_, g) => g);
  let seed = 0x11_2026;
  const random = () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  for (let g = total - 1; g > 0; g--) {
    const j = Math.floor(random() * (g + 1));
    [order[g], order[j]] = [order[j]!, order[g]!];
  }
  for (const g of order.slice(0, Math.round(total * retryShare)))
    plan[Math.floor(g / k)]![g % k] = true;
  return plan;
}

/** The most `live:buy` events one socket sends in any 10 s if nobody had to wait. */
export function worstBurst(resends: boolean[][]): number {
  return Math.max(0, ...resends.map((r) => r.reduce((n, twice) => n + (twice ? 2 : 1), 0)));
}

const GENERATOR = path.join(import.meta.dirname, 'load-generator.ts');

/**
 * Opens every target's socket from `generators` child processes, fires all buys at once and
 * returns every answer. Bounded: connecting may take `connectTimeoutMs`, the buys
 * `buyTimeoutMs`; a generator that dies or overruns fails the run.
 */
export async function runLoad(
  plan: LoadPlan,
  targets: Target[],
  options: {
    generators: number;
    connectTimeoutMs: number;
    buyTimeoutMs: number;
    log: (line: string) => void;
  },
): Promise<LoadRun> {
  const count = Math.max(1, Math.min(options.generators, targets.length));
  const slices = Array.from({ length: count }, (_, g) => targets.filter((_, i) => i % count === g));
  const children: ChildProcess[] = [];
  const waiters = new Map<ChildProcess, (message: FromGenerator) => void>();
  let crashed: ((error: Error) => void) | undefined;
  const crash = new Promise<never>((_, reject) => {
    crashed = reject;
  });
  crash.catch(() => {});

  const next = (child: ChildProcess) =>
    new Promise<FromGenerator>((resolve) => waiters.set(child, resolve));
  const within = <T>(ms: number, what: string, work: Promise<T>) => {
    let timer: NodeJS.Timeout | undefined;
    return Promise.race([
      work,
      crash,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms);
      }),
    ]).finally(() => clearTimeout(timer));
  };

  try {
    for (let g = 0; g < count; g++) {
      const child = fork(GENERATOR, [], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
      children.push(child);
      child.on('message', (message: FromGenerator) => {
        const waiter = waiters.get(child);
        waiters.delete(child);
        waiter?.(message);
      });
      child.on('exit', (code, signal) => {
        if (waiters.size || code !== 0)
          crashed?.(new Error(`load generator ${g} exited (${code ?? signal})`));
      });
    }

    const connectStart = Date.now();
    const ready = children.map((child, g) => {
      const answer = next(child);
      child.send({ type: 'connect', plan, targets: slices[g]! } satisfies ToGenerator);
      return answer;
    });
    const readiness = await within(options.connectTimeoutMs, 'opening sockets', Promise.all(ready));
    const failed = readiness.find((m) => m.type === 'failed');
    if (failed?.type === 'failed') throw new Error(`load generator: ${failed.error}`);
    const connectMs = Date.now() - connectStart;
    options.log(`${targets.length} sockets open and in the room in ${connectMs} ms`);

    // Every generator fires at the same wall-clock instant, a moment from now.
    const fireAt = Date.now() + 300;
    const done = children.map((child) => {
      const answer = next(child);
      child.send({ type: 'fire', at: fireAt } satisfies ToGenerator);
      return answer;
    });
    const answers = await within(options.buyTimeoutMs, 'the buys', Promise.all(done));
    const results: BuyResult[] = [];
    const stats = emptyStats();
    for (const answer of answers) {
      if (answer.type !== 'done') throw new Error('load generator answered out of turn');
      results.push(...answer.results);
      mergeStats(stats, answer.stats);
    }
    return { results, fireAt, connectMs, stats };
  } finally {
    await Promise.all(
      children.map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            const kill = setTimeout(() => child.kill('SIGKILL'), 10_000);
            child.once('exit', () => {
              clearTimeout(kill);
              resolve();
            });
            if (child.connected) child.send({ type: 'close' } satisfies ToGenerator);
            else child.kill('SIGTERM');
          }),
      ),
    );
  }
}
