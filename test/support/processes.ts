// Runs Cunbo's real entry points as child processes, the way `npm run web` does.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { PROJECT_ROOT } from '../../server/core/config.ts';
import { getRuntime } from './root-hooks.ts';
import { trackChild } from './spawned-processes.ts';
import { freePort } from './test-env.ts';
import { TIMEOUTS } from './timeouts.ts';

export interface RunningProcess {
  child: ChildProcess;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGTERM, SIGKILL if it lingers; resolves once it is gone. */
  stop: () => Promise<void>;
}

/** Environment that points a child process at this test run's services and namespace. */
export function childEnv(overrides: Record<string, string> = {}): Record<string, string> {
  const runtime = getRuntime();
  const { config, services } = runtime;
  return {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    NODE_ENV: 'test',
    LOG_LEVEL: 'warn',
    MONGODB_URI: services.mongo.uri,
    MONGODB_DB: config.MONGODB_DB,
    REDIS_URL: services.redis.url,
    REDIS_PREFIX: config.REDIS_PREFIX,
    STRIPE_MOCK_PORT: String(config.STRIPE_MOCK_PORT),
    DATA_DIR: config.DATA_DIR,
    TOOLS_DIR: config.TOOLS_DIR,
    SEED_ON_START: 'false',
    HUB_CONSOLIDATION_WINDOW_S: String(config.HUB_CONSOLIDATION_WINDOW_S),
    ...overrides,
  };
}

/**
 * Spawns an entry point. It is tracked: one left running is stopped when its test ends (or, if
 * a `before` hook started it, when the run ends).
 */
export function runEntry(script: string, env: Record<string, string>): RunningProcess {
  let output = '';
  const child = spawn(process.execPath, [path.join(PROJECT_ROOT, script)], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stop = trackChild(child, script);
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, output: () => output, exited, stop };
}

export async function waitForHttp(url: string, timeoutMs = TIMEOUTS.processReady): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await fetch(url, { signal: AbortSignal.timeout(1000) });
      return;
    } catch {
      if (Date.now() > deadline) throw new Error(`${url} did not answer within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 150));
    }
  }
}

export async function eventually<T>(
  check: () => Promise<T | undefined | false>,
  timeoutMs = TIMEOUTS.eventually,
  intervalMs = 200,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Starts `count` web processes (`npm run web`) on this run's services; returns their bases. */
export async function startWebProcesses(
  count: number,
  env: (i: number) => Record<string, string> = () => ({}),
): Promise<{ bases: string[]; webs: RunningProcess[]; stop: () => Promise<void> }> {
  const webs: RunningProcess[] = [];
  const bases: string[] = [];
  const stop = async () => {
    await Promise.all(webs.map((w) => w.stop()));
  };
  try {
    for (let i = 0; i < count; i++) {
      const port = await freePort();
      webs.push(runEntry('server/web.ts', childEnv({ PORT: String(port), ...env(i) })));
      bases.push(`http://127.0.0.1:${port}`);
    }
    await Promise.all(
      webs.map((web, i) =>
        Promise.race([
          waitForHttp(`${bases[i]}/healthz`),
          web.exited.then(({ code, signal }) => {
            throw new Error(`web process ${i} exited at start (${signal ?? `code ${code}`})`);
          }),
        ]),
      ),
    );
  } catch (error) {
    await stop(); // none left running when one did not start
    const output = webs.map((w) => w.output().slice(-500)).join('\n');
    throw new Error(`${(error as Error).message}\n${output}`);
  }
  return { bases, webs, stop };
}

/** Runs `tasks` with at most `limit` in flight. */
export async function inBatches<T>(limit: number, tasks: (() => Promise<T>)[]): Promise<T[]> {
  const results: T[] = new Array(tasks.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < tasks.length) {
        const i = next++;
        results[i] = await tasks[i]!();
      }
    }),
  );
  return results;
}
