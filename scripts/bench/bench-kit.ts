// What every benchmark does the same way: refuse a bad flag, find a free port, start Cunbo's web
// and worker processes against the bench's own database and Redis prefix and wait until they
// answer, stop them, sign a person in, run work a few at a time, and read a latency quantile.
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { createServer } from 'node:net';
import path from 'node:path';
import type { Writable } from 'node:stream';
import type { Config } from '../../server/core/config.ts';
import { PROJECT_ROOT } from '../../server/core/config.ts';
import type { Runtime } from '../../server/app/runtime.ts';

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Seconds since `since` (a Date.now()), for progress lines. */
export const seconds = (since: number) => `${((Date.now() - since) / 1000).toFixed(1)} s`;

/** How a bench refuses its command line: a message on stderr and exit status 2. */
export function flagChecks(bench: string) {
  const fail = (message: string): never => {
    process.stderr.write(`${bench}: ${message}\n`);
    process.exit(2);
  };
  /** `--flag` as a whole number within [min, max]; `raw` is what was given (or the default). */
  const wholeNumber = (flag: string, raw: string | undefined, min: number, max: number) => {
    const n = Number(raw);
    if (!Number.isSafeInteger(n) || n < min || n > max)
      fail(`--${flag} must be a whole number from ${min} to ${max} (got ${raw})`);
    return n;
  };
  return { fail, wholeNumber };
}

/** A loopback port nobody listens on now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Waits until the web process on `port` answers /healthz (at most a minute). */
export async function untilHealthy(child: ChildProcess, port: number) {
  for (let i = 0; i < 600; i++) {
    if (child.exitCode !== null) throw new Error(`web process on ${port} exited`);
    const up = await fetch(`http://127.0.0.1:${port}/healthz`, {
      signal: AbortSignal.timeout(2000),
    }).then(
      (r) => r.ok,
      () => false,
    );
    if (up) return;
    await sleep(100);
  }
  throw new Error(`web process on ${port} did not start`);
}

/** SIGTERM, then SIGKILL if the process has not exited within 10 s. */
export async function stopProcess(child: ChildProcess) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const kill = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(kill);
}

export interface BenchProcessOptions {
  /** The bench's own settings (MONGODB_DB, REDIS_PREFIX, …), handed to every process. */
  env: Record<string, string>;
  /** Where the processes' stdout and stderr go (default: stdout dropped, stderr to ours). */
  stdio?: StdioOptions;
  /** Instead, every process's stderr appended to this stream (a log file). */
  stderrTo?: Writable;
  /** Extra node arguments (a CPU profile, say). */
  nodeArguments?: string[];
}

/**
 * Starts and keeps track of Cunbo's processes for one bench run: each finds the services this
 * run opened (a configured MongoDB is handed on; a FerretDB the run started, the children find
 * as every process does, and so know it is FerretDB, whose tables the worker keeps tidy).
 */
export function benchProcesses(runtime: Runtime, config: Config, options: BenchProcessOptions) {
  const children: ChildProcess[] = [];
  /** Starts `script`; with a port, a web process, and waits until it answers. */
  async function start(script: string, port?: number): Promise<ChildProcess> {
    const env = {
      ...process.env,
      LOG_LEVEL: 'warn',
      SEED_ON_START: 'false',
      ...options.env,
      NODE_ENV: 'production',
      ...(runtime.services.mongo.source === 'configured'
        ? { MONGODB_URI: runtime.services.mongo.uri }
        : {}),
      REDIS_URL: runtime.services.redis.url,
      STRIPE_MOCK_PORT: String(config.STRIPE_MOCK_PORT),
      ...(port ? { PORT: String(port), HOST: '127.0.0.1' } : {}),
    };
    const child = spawn(
      process.execPath,
      [...(options.nodeArguments ?? []), path.join(PROJECT_ROOT, script)],
      {
        env,
        stdio: options.stderrTo
          ? ['ignore', 'ignore', 'pipe']
          : (options.stdio ?? ['ignore', 'ignore', 'inherit']),
      },
    );
    if (options.stderrTo) child.stderr!.pipe(options.stderrTo, { end: false });
    children.push(child);
    if (port) await untilHealthy(child, port);
    return child;
  }
  return {
    children,
    start,
    /** Adds a process started elsewhere (a baseline server) to those stopped at the end. */
    adopt: (child: ChildProcess) => children.push(child),
    stopAll: () => Promise.all(children.map(stopProcess)),
  };
}

/** Runs `run` over `items`, at most `limit` at a time; `i` is the item's index. */
export async function pool<T>(
  limit: number,
  items: readonly T[],
  run: (item: T, i: number) => Promise<void>,
) {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        await run(items[i]!, i);
      }
    }),
  );
}

/** The nearest-rank quantile of an ascending list (0 for an empty one). */
export const quantile = (sorted: readonly number[], q: number) =>
  sorted.length
    ? sorted[Math.max(0, Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1))]!
    : 0;

/**
 * Signs a person in through the JSON session API, the way the sign-in page's script does, and
 * returns the session's cookie header. Throws with the HTTP status when it is refused.
 */
export async function signInWithPassword(
  base: string,
  credentials: { login: string; password: string },
  timeoutMs = 30_000,
): Promise<{ cookie: string; role?: string }> {
  const jar = new Map<string, string>();
  const keep = (res: Response) =>
    res.headers.getSetCookie().forEach((c) => {
      const [pair] = c.split(';');
      const eq = pair!.indexOf('=');
      jar.set(pair!.slice(0, eq), pair!.slice(eq + 1));
    });
  const cookie = () => [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
  const s = await fetch(`${base}/api/session`, { signal: AbortSignal.timeout(timeoutMs) });
  keep(s);
  const { csrfToken } = (await s.json()) as { csrfToken: string };
  const r = await fetch(`${base}/api/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', cookie: cookie(), 'x-csrf-token': csrfToken },
    body: JSON.stringify(credentials),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const body = (await r.json().catch(() => ({}))) as { actor?: { role?: string } };
  if (r.status !== 200) throw new SignInRefused(r.status);
  keep(r);
  return { cookie: cookie(), role: body.actor?.role };
}

export class SignInRefused extends Error {
  readonly status: number;
  constructor(status: number) {
    super(`HTTP ${status}`);
    this.status = status;
  }
}
