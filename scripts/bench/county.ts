// `npm run bench:county -- [--history N] [flags] [--json]` — how fast /county answers (issue #14:
// at most 300 ms on the seeded history plus 100,000 generated orders).
//
//   --history N     generated orders on top of the demo county's own history (default 100000)
//   --days D        days the generated orders spread over (default 35)
//   --runs R        timed requests per series (default 30), after --warmups W (default 3)
//   --worker        also run a worker process while timing (its county catch-up every 5 s,
//                   the routing and expiry sweeps): the page as it is read in production
//   --json          only the JSON line on stdout, no progress on stderr
//
// What it does: opens its own MongoDB database and Redis prefix on the local services (both
// removed at the end), seeds the demo county (with its history) and N more past orders through
// the same code as `npm run seed -- --history N`, rebuilds the county's figures as `npm run
// stats:rebuild` does, starts a web process on a free loopback port and signs the county admin
// in. Then, one request at a time: /county (the default range, the last 30 days), /county for a
// custom range of the last 90 days, the socket event `county:now` (what the open page asks every
// few seconds; paced within its flood limit of 10 per 10 s) and, as baselines, /healthz and the
// home page. Only those requests are timed; seeding and rebuilding are reported in seconds.
//
// The last stdout line is one JSON object:
//   orders            orders in the database (demo, its history, the generated ones)
//   figures, records  what the rebuild wrote (figure documents) and counted (orders, parcels, codes)
//   seedMs, historyMs, rebuildMs  the demo seed (with its own history), the N generated orders,
//                     the rebuild
//   county, countyCustom, countyNow, healthz, home  {p50, p95, max} in ms
//   ratio             p50(/county) / p50(/healthz); ratioHome: p50(/county) / p50(home page)
//   targetMs, met     300, and whether /county's p95 is within it
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import mongoose from 'mongoose';
import { io } from 'socket.io-client';
import { loadConfig } from '../../server/core/config.ts';
import { chinaDay, shiftChinaDay } from '../../server/core/china-time.ts';
import { createLogger } from '../../server/core/logger.ts';
import { deleteKeysWithPrefix } from '../../server/core/redis.ts';
import { openRuntime } from '../../server/app/runtime.ts';
import { OrderModel } from '../../server/orders/order.model.ts';
import { DEMO_HISTORY, seedOrderHistory } from '../../server/seed/demo-history.ts';
import { seedDemoCounty } from '../../server/seed/seed-demo-county.ts';
import { rebuildCountyFigures } from '../stats-rebuild.ts';
import {
  benchProcesses,
  flagChecks,
  freePort,
  quantile,
  signInWithPassword,
  sleep,
} from './bench-kit.ts';

const { values } = parseArgs({
  options: {
    history: { type: 'string', default: '100000' },
    days: { type: 'string', default: String(DEMO_HISTORY.days) },
    runs: { type: 'string', default: '30' },
    warmups: { type: 'string', default: '3' },
    worker: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
  },
});

const { wholeNumber } = flagChecks('bench:county');
const integer = (name: 'history' | 'days' | 'runs' | 'warmups', min: number, max: number) =>
  wholeNumber(name, values[name], min, max);

const HISTORY = integer('history', 0, 1_000_000);
const DAYS = integer('days', 7, 366);
const RUNS = integer('runs', 1, 1000);
const WARMUPS = integer('warmups', 0, 100);
const TARGET_MS = 300;
const ADMIN = { login: '13700000000', password: 'cunbo2026' };

const log = (line: string) => {
  if (!values.json) process.stderr.write(`${line}\n`);
};

const runId = `${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
const benchEnv = {
  MONGODB_DB: `cunbo_bench_county_${runId}`,
  REDIS_PREFIX: `cunbo-bench-county-${runId}`,
  LOG_LEVEL: 'warn',
  SEED_ON_START: 'false',
};
const config = loadConfig({ env: { ...process.env, ...benchEnv } });
const runtime = await openRuntime(config, createLogger({ ...config, LOG_LEVEL: 'silent' }));
const processes = benchProcesses(runtime, config, { env: benchEnv });

/** Signs the county admin in; returns the cookie header. */
async function signIn(base: string): Promise<string> {
  const { cookie, role } = await signInWithPassword(base, ADMIN);
  if (role !== 'admin') throw new Error(`the county admin signed in as ${role}`);
  return cookie;
}

function stats(ms: number[]) {
  const sorted = [...ms].sort((a, b) => a - b);
  const round = (n: number) => Math.round(n * 10) / 10;
  return {
    p50: round(quantile(sorted, 0.5)),
    p95: round(quantile(sorted, 0.95)),
    max: round(sorted.at(-1) ?? 0),
  };
}

/** Times `runs` sequential GETs after the warm-ups; each must answer 200 with `mustInclude`. */
async function timeGets(url: string, cookie: string, mustInclude?: string) {
  const times: number[] = [];
  for (let i = 0; i < WARMUPS + RUNS; i++) {
    const started = performance.now();
    const res = await fetch(url, { headers: { cookie }, signal: AbortSignal.timeout(60_000) });
    const text = await res.text();
    const ms = performance.now() - started;
    if (res.status !== 200) throw new Error(`GET ${url} answered ${res.status}`);
    if (mustInclude && !text.includes(mustInclude))
      throw new Error(`GET ${url} did not show ${mustInclude}`);
    if (i >= WARMUPS) times.push(ms);
  }
  return times;
}

/** Times `county:now` acks on one socket, paced within the event's flood limit (10 per 10 s). */
async function timeCountyNow(base: string, cookie: string) {
  const socket = io(base, {
    transports: ['websocket'],
    extraHeaders: { cookie },
    reconnection: false,
    forceNew: true,
  });
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('connect_error', reject);
    });
    const times: number[] = [];
    for (let i = 0; i < WARMUPS + RUNS; i++) {
      const started = performance.now();
      const ack = (await socket.timeout(60_000).emitWithAck('county:now', {})) as {
        ok: boolean;
        code?: string;
        data?: { funnel?: unknown[] };
      };
      const ms = performance.now() - started;
      if (!ack.ok || !Array.isArray(ack.data?.funnel))
        throw new Error(`county:now answered ${ack.code ?? JSON.stringify(ack).slice(0, 200)}`);
      if (i >= WARMUPS) times.push(ms);
      await sleep(Math.max(0, 1050 - ms));
    }
    return times;
  } finally {
    socket.close();
  }
}

let cleaned: Promise<void> | undefined;
function cleanUp() {
  cleaned ??= (async () => {
    await processes.stopAll().catch(() => {});
    await mongoose.connection.dropDatabase().catch(() => {});
    await deleteKeysWithPrefix(runtime.redis, config.REDIS_PREFIX).catch(() => {});
    await runtime.close();
  })();
  return cleaned;
}
for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.once(signal, () => {
    process.stderr.write(`bench:county: ${signal}: cleaning up\n`);
    void cleanUp().finally(() => process.exit(130));
  });

try {
  log(`bench:county: database ${config.MONGODB_DB}, ${HISTORY} generated orders over ${DAYS} days`);
  let phase = Date.now();
  await seedDemoCounty(runtime.logger, { dataDir: config.DATA_DIR });
  const seedMs = Date.now() - phase;
  log(`demo county with its history seeded in ${(seedMs / 1000).toFixed(1)} s`);

  let historyMs = 0;
  if (HISTORY > 0) {
    const more = await seedOrderHistory({ orders: HISTORY, days: DAYS, more: true });
    historyMs = more.ms;
    log(
      `${more.orders} orders, ${more.parcels} parcels, ${more.codes} trace codes, ` +
        `${more.buyers} buyers in ${(more.ms / 1000).toFixed(1)} s ` +
        `(${Math.round((more.orders / more.ms) * 1000)} orders/s)`,
    );
  }
  const orders = await OrderModel.estimatedDocumentCount();

  const rebuilt = await rebuildCountyFigures(runtime);
  log(
    `figures rebuilt in ${(rebuilt.ms / 1000).toFixed(1)} s: ${rebuilt.figures} figures ` +
      `from ${rebuilt.records} records`,
  );

  const port = await freePort();
  await processes.start('server/web.ts', port);
  if (values.worker) await processes.start('workers/main.ts');
  const base = `http://127.0.0.1:${port}`;
  const cookie = await signIn(base);
  log(`web process on ${port}${values.worker ? ' and a worker' : ''}; timing ${RUNS} of each`);

  phase = Date.now();
  const today = chinaDay(new Date());
  const custom = `${base}/county?range=custom&from=${shiftChinaDay(today, -89)}&to=${today}`;
  const county = await timeGets(`${base}/county`, cookie, 'id="county-villages"');
  const countyCustom = await timeGets(custom, cookie, 'id="county-villages"');
  const countyNow = await timeCountyNow(base, cookie);
  const healthz = await timeGets(`${base}/healthz`, cookie);
  const home = await timeGets(`${base}/`, cookie);
  log(`timed in ${((Date.now() - phase) / 1000).toFixed(1)} s`);

  const summary = {
    orders,
    figures: rebuilt.figures,
    records: rebuilt.records,
    seedMs,
    historyMs,
    rebuildMs: rebuilt.ms,
    worker: values.worker,
    county: stats(county),
    countyCustom: stats(countyCustom),
    countyNow: stats(countyNow),
    healthz: stats(healthz),
    home: stats(home),
    ratio: Math.round((stats(county).p50 / Math.max(0.1, stats(healthz).p50)) * 10) / 10,
    ratioHome: Math.round((stats(county).p50 / Math.max(0.1, stats(home).p50)) * 100) / 100,
    targetMs: TARGET_MS,
    met: stats(county).p95 <= TARGET_MS,
  };
  process.stdout.write(`${JSON.stringify(summary)}\n`);
} finally {
  await cleanUp();
}
