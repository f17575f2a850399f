// `npm run bench:live -- [flags]` — the live-room buy benchmark (issue #11, "The big rush").
//
//   --scenario rush      (default) N buyers race for a scarce offer: one buy each, all at once.
//     --buyers N         buyers (default 200)
//     --stock S          the offer's live allotment (default 50); SKU stock is 2S + 1000
//   --scenario session   N buyers each buy K times over a plentiful offer (allotment N×K, SKU
//                        stock N×K + 1000, per-buyer limit K): each buyer's buys go one after
//                        another (the next once the previous is answered), all buyers at once.
//     --buys-per-buyer K (default 5, at most 99); `--buyers 4000 --buys-per-buyer 5
//                        --retry-share 0.2` is the 20,000-order session
//   --no-address-share A share of buyers who never gave an address (default 0): their buys are
//                        placed all the same and wait for the address (issue #12); stderr counts them
//   --retry-share R      share of buys sent twice at once with the same clientKey, as a phone's
//                        retry after a reconnect (rush: the first R×N buyers; session: a fixed,
//                        seeded choice of R×N×K buys) (default 0)
//   --generators G       load-generator processes the sockets are split over (default 1)
//   --sign-in-concurrency  sign-ins in flight, half on each web process (default 24)
//   --connect-concurrency  sockets each generator opens at once (default 50)
//   --ack-timeout-ms     how long a buy waits for its ack (default 60000); a buy not answered
//                        counts under rejectedOther as `bench.timeout`
//   --buy-limit L        `live:buy` events one socket may send in any 10 s (default 10, the
//                        dispatcher's per-socket flood limit in server/live/live.socket.ts; the
//                        per-person limit is twice that and each buyer has one socket). A buyer
//                        who would exceed it waits; K = 5 with every buy resent is exactly 10,
//                        so the 20,000-order session never waits.
//   --max-minutes M      give up (and clean up) after M minutes whatever is happening (default 45)
//   --skip-baseline      do not run the acknowledge-only baseline (baselinePerSec and ratio 0)
//   --json               only the JSON line on stdout, no progress on stderr
//
// What it does: opens its own MongoDB database and Redis prefix on the local services (both
// removed at the end), seeds the demo county, creates a live session with one pinned offer,
// starts two web processes and a worker on free loopback ports, signs in N buyers through the
// real sign-in (argon2id included), then
//   1. baseline: starts scripts/bench/ack-baseline.ts (a socket.io server whose `live:buy` only
//      acknowledges) as a child process on its own port and drives it with the load generator
//      (scripts/bench/load.ts, load-generator.ts) in exactly the run's shape;
//   2. the run: the same generator, one socket per buyer, alternating between the two web
//      processes; every socket is open and in the room before the buys fire at one instant;
//   3. judges by what is in MongoDB.
// Only the buy phase is timed: seeding, sign-in and opening sockets are in no figure (their
// durations go to stderr). The processes take MONGODB_POOL_SIZE (and the rest of the
// configuration) from the environment: against a FerretDB whose PostgreSQL pool is P, keep
// 4 × MONGODB_POOL_SIZE (bench, two web processes, worker) below P / 2 (DESIGN).
// BENCH_LOG_LEVEL=debug sends the processes' logs to stderr (each write batch's size and step
// timings among them); BENCH_CPU_PROFILE_DIR=dir runs them with --cpu-prof.
//
// The last stdout line is one JSON object:
//   scenario        "rush" | "session"
//   offered         buys made (rush: N; session: N×K), each counted once however often sent
//   accepted        buys acknowledged ok (distinct clientKeys with at least one ok answer)
//   soldOut         buys with no ok answer, answered errors.soldOut
//   rejectedOther   buys with no ok answer and another code (timeouts included); stderr lists
//                   the codes seen
//   duplicates      idempotency keys with more than one order in MongoDB, plus resent buys
//                   whose two ok answers name different orders
//   oversold        units in MongoDB (orders still holding stock) beyond the offer's allotment
//   lost            acknowledged orderNos not in MongoDB
//   ackP50Ms, ackP99Ms  latency of a buy: from sending it to its last answer (both, if resent)
//   soldOutP99Ms    p99 latency of the buys answered sold out (0 if none)
//   acceptedPerSec  accepted / seconds from firing to the last ok answer
//   secondsToAckAll seconds from firing to the last answer of any kind from the server
//   baselinePerSec  the same as acceptedPerSec, for the acknowledge-only baseline
//   baselineAckP99Ms  ackP99Ms of the acknowledge-only baseline (0 with --skip-baseline): the
//                   tail the transport and the load generator alone give on this machine
//   readyzSamples   /readyz answers collected from both web processes, every 250 ms, while the
//                   buys ran
//   readyzNot200    how many of them were not 200 (a time-out of 5 s counts as not 200)
//   ratio           acceptedPerSec / baselinePerSec, 3 decimals
import { randomBytes } from 'node:crypto';
import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { parseArgs } from 'node:util';
import mongoose from 'mongoose';
import { hashPassword } from '../../server/accounts/passwords.ts';
import { UserModel } from '../../server/accounts/user.model.ts';
import { ShopModel } from '../../server/catalogue/shop.model.ts';
import { SkuModel } from '../../server/catalogue/sku.model.ts';
import { loadConfig } from '../../server/core/config.ts';
import { createLogger } from '../../server/core/logger.ts';
import { deleteKeysWithPrefix } from '../../server/core/redis.ts';
import { openRuntime } from '../../server/app/runtime.ts';
import { HubModel } from '../../server/hub/hub.model.ts';
import { LiveSessionModel } from '../../server/live/live-session.model.ts';
import { OrderModel, STOCK_HOLDING_STATUSES } from '../../server/orders/order.model.ts';
import { seedDemoCounty } from '../../server/seed/seed-demo-county.ts';
import {
  benchProcesses,
  flagChecks,
  freePort,
  pool,
  quantile,
  seconds,
  signInWithPassword,
  SignInRefused,
  sleep,
  stopProcess,
} from './bench-kit.ts';
import {
  NO_ANSWER,
  resendPlan,
  runLoad,
  worstBurst,
  type LoadPlan,
  type LoadRun,
  type LoadShape,
  type Target,
} from './load.ts';

const { values } = parseArgs({
  options: {
    scenario: { type: 'string', default: 'rush' },
    buyers: { type: 'string', default: '200' },
    stock: { type: 'string' },
    'buys-per-buyer': { type: 'string' },
    'retry-share': { type: 'string', default: '0' },
    'no-address-share': { type: 'string', default: '0' },
    generators: { type: 'string', default: '1' },
    'sign-in-concurrency': { type: 'string', default: '24' },
    'connect-concurrency': { type: 'string', default: '50' },
    'ack-timeout-ms': { type: 'string', default: '60000' },
    'buy-limit': { type: 'string', default: '10' },
    'max-minutes': { type: 'string', default: '45' },
    'skip-baseline': { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
  },
});

const checks = flagChecks('bench:live');
// Annotated, so that TypeScript narrows after a call to it.
const fail: (message: string) => never = checks.fail;
const integer = (name: keyof typeof values, min: number, max: number, fallback?: string) =>
  checks.wholeNumber(name, (values[name] as string | undefined) ?? fallback, min, max);

const SCENARIO = values.scenario;
if (SCENARIO !== 'rush' && SCENARIO !== 'session')
  fail(`--scenario is rush or session (got ${SCENARIO})`);
if (SCENARIO === 'rush' && values['buys-per-buyer'] !== undefined)
  fail('--buys-per-buyer belongs to --scenario session (a rush buyer buys once)');
if (SCENARIO === 'session' && values.stock !== undefined)
  fail('--stock belongs to --scenario rush (a session offers N×K units)');
// Each buyer's socket is opened twice (baseline, run) from one loopback address: 10,000 keeps
// both within the ephemeral ports, connections closed a moment ago included.
const BUYERS = integer('buyers', 1, 10_000);
const BUYS_PER_BUYER = SCENARIO === 'session' ? integer('buys-per-buyer', 1, 99, '5') : 1;
const STOCK = SCENARIO === 'rush' ? integer('stock', 1, 1_000_000, '50') : BUYERS * BUYS_PER_BUYER;
const RETRY_SHARE = Number(values['retry-share']);
if (!(RETRY_SHARE >= 0 && RETRY_SHARE <= 1)) fail('--retry-share must be from 0 to 1');
const NO_ADDRESS_SHARE = Number(values['no-address-share']);
if (!(NO_ADDRESS_SHARE >= 0 && NO_ADDRESS_SHARE <= 1))
  fail('--no-address-share must be from 0 to 1');
/** Buyer i has never given an address (spread evenly over the buyers). */
const withoutAddress = (i: number) =>
  Math.floor((i + 1) * NO_ADDRESS_SHARE) > Math.floor(i * NO_ADDRESS_SHARE);
const GENERATORS = integer('generators', 1, 16);
const SIGN_IN_CONCURRENCY = integer('sign-in-concurrency', 1, 200);
const CONNECT_CONCURRENCY = integer('connect-concurrency', 1, 1000);
const ACK_TIMEOUT_MS = integer('ack-timeout-ms', 100, 600_000);
const BUY_LIMIT = integer('buy-limit', 2, 1000);
const MAX_MINUTES = integer('max-minutes', 1, 24 * 60);

const log = (line: string) => {
  if (!values.json) process.stderr.write(`${line}\n`);
};
/** Findings that matter even with --json. */
const warn = (line: string) => process.stderr.write(`bench:live: ${line}\n`);

const shape: LoadShape = {
  scenario: SCENARIO,
  buyers: BUYERS,
  buysPerBuyer: BUYS_PER_BUYER,
  retryShare: RETRY_SHARE,
};
const resends = resendPlan(shape);
if (worstBurst(resends) > BUY_LIMIT)
  warn(
    `a buyer sends up to ${worstBurst(resends)} live:buy events, over the flood limit of ` +
      `${BUY_LIMIT} per 10 s: such buyers wait between buys (see the pacing line)`,
  );

const runId = `${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
const config = loadConfig({
  env: {
    ...process.env,
    MONGODB_DB: `cunbo_bench_${runId}`,
    REDIS_PREFIX: `cunbo-bench-${runId}`,
    LOG_LEVEL: 'warn',
    SEED_ON_START: 'false',
  },
});
const runtime = await openRuntime(config, createLogger({ ...config, LOG_LEVEL: 'silent' }));
const processes = benchProcesses(runtime, config, {
  env: {
    MONGODB_DB: config.MONGODB_DB,
    REDIS_PREFIX: config.REDIS_PREFIX,
    // BENCH_LOG_LEVEL=debug shows e.g. each write batch's timings (server/orders/order-writer.ts).
    LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'warn',
  },
  // Their logs go to our stderr when asked for; stdout carries only the JSON line.
  stdio: ['ignore', process.env.BENCH_LOG_LEVEL ? 2 : 'ignore', 'inherit'],
  nodeArguments: process.env.BENCH_CPU_PROFILE_DIR
    ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROFILE_DIR}`]
    : [],
});

/** The acknowledge-only socket.io server, on its own port. */
async function startBaseline(): Promise<{ url: string; child: ChildProcess }> {
  const child = fork(path.join(import.meta.dirname, 'ack-baseline.ts'), [], {
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  processes.adopt(child);
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('baseline server did not start')), 30_000);
    child.once('message', (m: { port: number }) => {
      clearTimeout(timer);
      resolve(m.port);
    });
    child.once('exit', () => reject(new Error('baseline server exited')));
  });
  return { url: `http://127.0.0.1:${port}`, child };
}

/** Signs buyer i in through the real sign-in; retries what a busy server may answer. */
async function signIn(base: string, i: number): Promise<string> {
  let last = '';
  for (let attempt = 1; attempt <= 5; attempt++) {
    try {
      const credentials = { login: `bench-${i}@bench.cunbo`, password: 'bench-pass-2026' };
      return (await signInWithPassword(base, credentials)).cookie;
    } catch (error) {
      last = (error as Error).message;
      if (error instanceof SignInRefused && error.status < 500 && error.status !== 429) break;
    }
    await sleep(1000 * attempt);
  }
  throw new Error(`sign-in of buyer ${i} failed: ${last}`);
}

const tally = (codes: (string | undefined)[]) => {
  const counts: Record<string, number> = {};
  for (const code of codes) counts[code ?? 'none'] = (counts[code ?? 'none'] ?? 0) + 1;
  return JSON.stringify(counts);
};

/** How hard the load generator itself worked: if it is saturated, latencies are its own. */
function describeGenerator({ stats }: LoadRun) {
  const cpu = stats.wallMs ? Math.round((stats.cpuMs / stats.wallMs) * 100) : 0;
  return (
    `${GENERATORS} process(es), ${cpu} % of a core over ${(stats.wallMs / 1000).toFixed(1)} s, ` +
    `event-loop delay p99 ${stats.loopDelayP99Ms} ms (max ${stats.loopDelayMaxMs} ms), ` +
    `${stats.pushes} room pushes received`
  );
}

/** When each accepted buy got its first ok answer. */
const okTimes = (run: LoadRun) => run.results.flatMap((r) => (r.okAt ? [r.okAt] : []));

/** Counts per 10 s from firing, e.g. "0-10 s 1200 | 10-20 s 800 | …". */
function perTenSeconds(run: LoadRun, times: number[]) {
  const buckets: number[] = [];
  for (const t of times) {
    const b = Math.max(0, Math.floor((t - run.fireAt) / 10_000));
    while (buckets.length <= b) buckets.push(0);
    buckets[b]!++;
  }
  return buckets.map((n, b) => `${b * 10}-${b * 10 + 10} s ${n}`).join(' | ') || 'none';
}

/** What a run's answers say, before MongoDB is asked. */
function judge(run: LoadRun) {
  const accepted = [];
  const soldOut = [];
  const other = [];
  for (const r of run.results) {
    const answers = r.resend ? [r.first, r.resend] : [r.first];
    if (answers.some((a) => a.ok)) accepted.push(r);
    else if (answers.some((a) => a.code === 'errors.soldOut')) soldOut.push(r);
    else other.push(r);
  }
  const lastOk = Math.max(run.fireAt, ...run.results.map((r) => r.okAt ?? 0));
  const lastAck = Math.max(run.fireAt, ...run.results.map((r) => r.ackAt ?? 0));
  const perSec = accepted.length
    ? Math.round(accepted.length / Math.max(0.001, (lastOk - run.fireAt) / 1000))
    : 0;
  return { accepted, soldOut, other, perSec, secondsToAckAll: (lastAck - run.fireAt) / 1000 };
}

const phases: string[] = [];
/** Waits for `work` at most `ms`; says so if it took longer. */
async function bounded(ms: number, what: string, work: () => Promise<unknown>) {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    work().catch((error: Error) => warn(`${what}: ${error.message}`)),
    new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        warn(`${what} did not finish in ${ms / 1000} s`);
        resolve();
      }, ms);
    }),
  ]);
  clearTimeout(timer);
}
let cleaned: Promise<void> | undefined;
function cleanUp() {
  cleaned ??= (async () => {
    await bounded(30_000, 'stopping the bench processes', () => processes.stopAll());
    await bounded(60_000, `dropping the database ${config.MONGODB_DB}`, () =>
      mongoose.connection.dropDatabase(),
    );
    await bounded(30_000, `deleting Redis keys ${config.REDIS_PREFIX}:*`, () =>
      deleteKeysWithPrefix(runtime.redis, config.REDIS_PREFIX),
    );
    await bounded(15_000, 'closing connections', () => runtime.close());
    // runtime.close stops stripe-mock if this process started it; make sure even if it hung.
    await bounded(10_000, 'stopping local services', () => runtime.services.stop());
  })();
  return cleaned;
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    warn(`${signal}: cleaning up`);
    void cleanUp().finally(() => process.exit(130));
  });
}
const watchdog = setTimeout(() => {
  warn(`gave up after ${MAX_MINUTES} minutes (--max-minutes): cleaning up`);
  void cleanUp().finally(() => process.exit(1));
}, MAX_MINUTES * 60_000);
watchdog.unref();

const benchStart = Date.now();
try {
  log(`seeding the bench database ${config.MONGODB_DB}`);
  let phase = Date.now();
  // Without the demo's 2,000 past orders, as the figures in docs/benchmarks.md were always
  // measured: the bench judges only its own orders.
  await seedDemoCounty(runtime.logger, { dataDir: config.DATA_DIR, history: false });
  const shop = (await ShopModel.findOne({ slug: 'xigou-pepper' }).lean())!;
  const sku = (await SkuModel.findOne({ code: 'HJ-DHP-TJ-250' }).lean())!;
  const hub = (await HubModel.findOne().lean())!;
  // Enough SKU stock that the live allotment, not the warehouse, is the limit. Written through
  // whichever StockMovement model the app registers (server/core/models.ts).
  await mongoose.model('StockMovement').create({
    movementId: `bench:${runId}`,
    skuId: sku._id,
    hubId: hub._id,
    kind: 'received',
    delta: SCENARIO === 'rush' ? STOCK * 2 + 1000 : STOCK + 1000,
  });
  const offerId = 'benchoffer';
  const session = await LiveSessionModel.create({
    shopId: shop._id,
    title: { zh: '压测专场', en: 'Load test' },
    scheduledAt: new Date(),
    status: 'live',
    offers: [
      {
        offerId,
        skuId: sku._id,
        livePriceFen: 2990,
        allotment: STOCK,
        perBuyerLimit: BUYS_PER_BUYER,
        pinned: true,
      },
    ],
  });
  const sessionId = String(session._id);

  const passwordHash = await hashPassword('bench-pass-2026');
  const address = {
    recipient: '压测',
    phone: '13800000009',
    province: '山西省',
    city: '长治市',
    county: '平顺县',
    township: '青羊镇',
    village: '',
    detail: '物流园区 1 号',
  };
  for (let from = 0; from < BUYERS; from += 1000) {
    await UserModel.insertMany(
      Array.from({ length: Math.min(1000, BUYERS - from) }, (_, j) => ({
        email: `bench-${from + j}@bench.cunbo`,
        displayName: `买家${from + j}`,
        passwordHash,
        role: 'buyer',
        addresses: withoutAddress(from + j) ? [] : [address],
      })),
    );
  }
  phases.push(`seed ${seconds(phase)}`);

  phase = Date.now();
  const ports = [await freePort(), await freePort()];
  await Promise.all([
    processes.start('server/web.ts', ports[0]),
    processes.start('server/web.ts', ports[1]),
    processes.start('workers/main.ts'),
  ]);
  log(`two web processes on ${ports.join(', ')} and a worker`);
  phases.push(`start ${seconds(phase)}`);

  // Sign everyone in (through the real sign-in, argon2id included), half on each process.
  phase = Date.now();
  const cookies: string[] = new Array(BUYERS);
  await pool(
    SIGN_IN_CONCURRENCY,
    Array.from({ length: BUYERS }, (_, i) => i),
    async (i) => {
      cookies[i] = await signIn(`http://127.0.0.1:${ports[i % 2]}`, i);
    },
  );
  log(`${BUYERS} buyers signed in in ${seconds(phase)}`);
  phases.push(`sign-in ${seconds(phase)}`);

  const plan: LoadPlan = {
    sessionId,
    offerId,
    keyPrefix: `b${runId}`,
    ackTimeoutMs: ACK_TIMEOUT_MS,
    buyLimit: BUY_LIMIT,
    connectConcurrency: CONNECT_CONCURRENCY,
  };
  const loadOptions = {
    generators: GENERATORS,
    connectTimeoutMs: 15 * 60_000,
    // Every buy of a buyer may wait for its ack and, at worst, for the flood limit.
    buyTimeoutMs: BUYS_PER_BUYER * (ACK_TIMEOUT_MS + 11_000) + 60_000,
    log,
  };

  let baselinePerSec = 0;
  let baselineAckP99Ms = 0;
  if (!values['skip-baseline']) {
    phase = Date.now();
    const baseline = await startBaseline();
    const run = await runLoad(
      plan,
      Array.from({ length: BUYERS }, (_, i) => ({
        buyer: i,
        url: baseline.url,
        resends: resends[i]!,
      })),
      loadOptions,
    );
    await stopProcess(baseline.child);
    const judged = judge(run);
    baselinePerSec = judged.perSec;
    baselineAckP99Ms = Math.round(
      quantile(
        run.results.map((r) => r.ms).sort((a, b) => a - b),
        0.99,
      ),
    );
    log(
      `baseline (acknowledge only): ${judged.accepted.length} acks in ` +
        `${judged.secondsToAckAll.toFixed(2)} s, ${baselinePerSec} a second; ` +
        `generator: ${describeGenerator(run)}`,
    );
    if (judged.accepted.length !== run.results.length)
      warn(
        `the baseline did not acknowledge every buy: ${tally(judged.other.map((r) => r.first.code))}`,
      );
    phases.push(`baseline ${seconds(phase)}`);
  }

  phase = Date.now();
  const targets: Target[] = Array.from({ length: BUYERS }, (_, i) => ({
    buyer: i,
    url: `http://127.0.0.1:${ports[i % 2]}`,
    cookie: cookies[i]!,
    resends: resends[i]!,
  }));
  // A load balancer's view: both web processes' /readyz, every 250 ms, while the buys run.
  const readiness: number[] = [];
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      readiness.push(
        ...(await Promise.all(
          ports.map((port) =>
            fetch(`http://127.0.0.1:${port}/readyz`, { signal: AbortSignal.timeout(5000) }).then(
              (r) => r.status,
              () => 0,
            ),
          ),
        )),
      );
      await sleep(250);
    }
  })();
  const run = await runLoad(plan, targets, loadOptions);
  sampling = false;
  await sampler;
  const judged = judge(run);
  phases.push(`buys ${seconds(phase)}`);

  // Judge by what is in MongoDB. A buy that timed out may still be written: give it a moment.
  phase = Date.now();
  if (run.results.some((r) => [r.first, r.resend].some((a) => a && NO_ANSWER.includes(a.code!))))
    await sleep(5_000);
  const okOrderNos = (r: (typeof run.results)[number]) =>
    [r.first, r.resend].filter((a) => a?.ok).map((a) => a!.data!.orderNo!);
  const ackedOrderNos = new Set(run.results.flatMap(okOrderNos));
  const orders = await OrderModel.find(
    { 'live.sessionId': session._id },
    { orderNo: 1, idempotencyKey: 1, lines: 1, status: 1, address: 1 },
  ).lean();
  if (NO_ADDRESS_SHARE > 0)
    log(
      `buyers without an address: ${Array.from({ length: BUYERS }, (_, i) => i).filter(withoutAddress).length}; ` +
        `their orders, placed to wait for one: ${orders.filter((o) => !o.address).length}`,
    );
  const inMongo = new Set(orders.map((o) => o.orderNo));
  const byKey = new Map<string, number>();
  for (const o of orders) byKey.set(o.idempotencyKey, (byKey.get(o.idempotencyKey) ?? 0) + 1);
  const resentIntoTwoOrders = run.results.filter((r) => new Set(okOrderNos(r)).size > 1).length;
  const units = orders
    .filter((o) => STOCK_HOLDING_STATUSES.includes(o.status))
    .reduce((s, o) => s + o.lines.reduce((n, l) => n + l.quantity, 0), 0);
  const latencies = run.results.map((r) => r.ms).sort((a, b) => a - b);
  const soldOutLatencies = judged.soldOut.map((r) => r.ms).sort((a, b) => a - b);
  const acceptedPerSec = judged.perSec;
  const summary = {
    scenario: SCENARIO,
    offered: BUYERS * BUYS_PER_BUYER,
    accepted: judged.accepted.length,
    soldOut: judged.soldOut.length,
    rejectedOther: judged.other.length,
    duplicates: [...byKey.values()].filter((n) => n > 1).length + resentIntoTwoOrders,
    oversold: Math.max(0, units - STOCK),
    lost: [...ackedOrderNos].filter((no) => !inMongo.has(no)).length,
    ackP50Ms: Math.round(quantile(latencies, 0.5)),
    ackP99Ms: Math.round(quantile(latencies, 0.99)),
    soldOutP99Ms: Math.round(quantile(soldOutLatencies, 0.99)),
    acceptedPerSec,
    secondsToAckAll: Number(judged.secondsToAckAll.toFixed(2)),
    baselinePerSec,
    baselineAckP99Ms,
    readyzSamples: readiness.length,
    readyzNot200: readiness.filter((status) => status !== 200).length,
    ratio: baselinePerSec ? Number((acceptedPerSec / baselinePerSec).toFixed(3)) : 0,
  };
  phases.push(`check ${seconds(phase)}`);

  // What the figures do not show but a reader should know.
  if (judged.other.length)
    warn(`other answers (buys with no ok answer): ${tally(judged.other.map((r) => r.first.code))}`);
  const mixed = run.results.filter((r) => r.resend && r.first.ok !== r.resend.ok);
  if (mixed.length)
    warn(
      `${mixed.length} resent buys were answered ok once and not ok once: ` +
        tally(mixed.map((r) => (r.first.ok ? r.resend!.code : r.first.code))),
    );
  const unacknowledged = orders.filter((o) => !ackedOrderNos.has(o.orderNo)).length;
  if (unacknowledged)
    warn(`${unacknowledged} orders in MongoDB were never acknowledged ok to their buyer`);
  if (SCENARIO === 'session' && judged.soldOut.length)
    warn(`${judged.soldOut.length} buys of a plentiful offer were answered sold out`);
  const { pacedBuys, pacedMs, disconnects, connectRetries } = run.stats;
  warn(`generator: ${describeGenerator(run)}`);
  warn(`ok answers per 10 s: ${perTenSeconds(run, okTimes(run))}`);
  if (run.stats.lateAt.length)
    warn(
      `answers after the buy had timed out per 10 s (${run.stats.lateOk} of ` +
        `${run.stats.lateAt.length} ok, not counted): ${perTenSeconds(run, run.stats.lateAt)}`,
    );
  if (pacedBuys) warn(`pacing: ${pacedBuys} buys waited ${pacedMs} ms in all for the flood limit`);
  if (disconnects) warn(`${disconnects} sockets dropped during the buys`);
  if (connectRetries) log(`${connectRetries} socket connections needed another attempt`);
  warn(`phases: ${phases.join(', ')}; total ${seconds(benchStart)}`);
  process.stdout.write(`${JSON.stringify(summary)}\n`);
} finally {
  await cleanUp();
}
