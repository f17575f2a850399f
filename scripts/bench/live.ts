// `npm run bench:live -- --buyers 2000 --stock 500 [--retry-share 0.2] [--json]`
//
// Starts two web processes and a worker against the local services (its own database and Redis
// prefix), signs in N buyers, connects them to one live room over socket.io from this separate
// process, fires their buys at once (a share R of them sending the same buy twice, as a phone
// would after a reconnect), then checks MongoDB. The last line is a JSON summary.
import { randomBytes } from 'node:crypto';
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { parseArgs } from 'node:util';
import mongoose from 'mongoose';
import { io as connect, type Socket } from 'socket.io-client';
import { hashPassword } from '../../server/accounts/passwords.ts';
import { UserModel } from '../../server/accounts/user.model.ts';
import { ShopModel } from '../../server/catalogue/shop.model.ts';
import { SkuModel } from '../../server/catalogue/sku.model.ts';
import { loadConfig, PROJECT_ROOT } from '../../server/core/config.ts';
import { createLogger } from '../../server/core/logger.ts';
import { deleteKeysWithPrefix } from '../../server/core/redis.ts';
import { openRuntime } from '../../server/core/runtime.ts';
import { HubModel } from '../../server/hub/hub.model.ts';
import { recordMovement } from '../../server/hub/stock-ledger.ts';
import { LiveSessionModel } from '../../server/live/live-session.model.ts';
import { OrderModel } from '../../server/orders/order.model.ts';
import { seedDemoCounty } from '../../server/seed/seed-demo-county.ts';

const { values } = parseArgs({
  options: {
    buyers: { type: 'string', default: '200' },
    stock: { type: 'string', default: '50' },
    'retry-share': { type: 'string', default: '0' },
    json: { type: 'boolean', default: false },
  },
});
const BUYERS = Number(values.buyers);
const STOCK = Number(values.stock);
const RETRY_SHARE = Number(values['retry-share']);
const log = (...parts: unknown[]) => {
  if (!values.json) process.stderr.write(`${parts.join(' ')}\n`);
};

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
const children: ChildProcess[] = [];

async function start(script: string, port?: number) {
  const env = {
    ...process.env,
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    MONGODB_URI: runtime.services.mongo.uri,
    MONGODB_DB: config.MONGODB_DB,
    REDIS_URL: runtime.services.redis.url,
    REDIS_PREFIX: config.REDIS_PREFIX,
    STRIPE_MOCK_PORT: String(config.STRIPE_MOCK_PORT),
    SEED_ON_START: 'false',
    ...(port ? { PORT: String(port), HOST: '127.0.0.1' } : {}),
  };
  const child = spawn(process.execPath, [path.join(PROJECT_ROOT, script)], {
    env,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  children.push(child);
  if (port) {
    for (let i = 0; i < 200; i++) {
      if (
        await fetch(`http://127.0.0.1:${port}/healthz`).then(
          () => true,
          () => false,
        )
      )
        return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`web process on ${port} did not start`);
  }
}

async function pool<T>(limit: number, items: T[], run: (item: T, i: number) => Promise<void>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) {
        const i = next++;
        await run(items[i]!, i);
      }
    }),
  );
}

const quantile = (sorted: number[], q: number) =>
  sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]! : 0;

try {
  log(`seeding the bench database ${config.MONGODB_DB}`);
  await seedDemoCounty(runtime.logger, { dataDir: config.DATA_DIR });
  const shop = (await ShopModel.findOne({ slug: 'xigou-pepper' }).lean())!;
  const sku = (await SkuModel.findOne({ code: 'HJ-DHP-TJ-250' }).lean())!;
  const hub = (await HubModel.findOne().lean())!;
  // Enough SKU stock that the live allotment, not the warehouse, is the limit.
  await recordMovement({
    movementId: `bench:${runId}`,
    skuId: sku._id,
    hubId: hub._id,
    kind: 'received',
    delta: STOCK * 2 + 1000,
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
        perBuyerLimit: 1,
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
  await UserModel.insertMany(
    Array.from({ length: BUYERS }, (_, i) => ({
      email: `bench-${i}@bench.cunbo`,
      displayName: `买家${i}`,
      passwordHash,
      role: 'buyer',
      addresses: [address],
    })),
  );

  const ports = [40000 + Math.floor(Math.random() * 10000), 0];
  ports[1] = ports[0]! + 1;
  await Promise.all([
    start('server/web.ts', ports[0]),
    start('server/web.ts', ports[1]),
    start('workers/main.ts'),
  ]);
  log(`two web processes on ${ports.join(', ')} and a worker`);

  // Sign everyone in (through the real sign-in, argon2id included), half on each process.
  const cookies: string[] = new Array(BUYERS);
  const signInStart = Date.now();
  await pool(
    16,
    Array.from({ length: BUYERS }, (_, i) => i),
    async (i) => {
      const base = `http://127.0.0.1:${ports[i % 2]}`;
      const jar = new Map<string, string>();
      const keep = (res: Response) =>
        res.headers.getSetCookie().forEach((c) => {
          const [p] = c.split(';');
          const eq = p!.indexOf('=');
          jar.set(p!.slice(0, eq), p!.slice(eq + 1));
        });
      const cookie = () => [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
      const s = await fetch(`${base}/api/session`);
      keep(s);
      const { csrfToken } = (await s.json()) as { csrfToken: string };
      const r = await fetch(`${base}/api/session`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          cookie: cookie(),
          'x-csrf-token': csrfToken,
        },
        body: JSON.stringify({ login: `bench-${i}@bench.cunbo`, password: 'bench-pass-2026' }),
      });
      if (r.status !== 200) throw new Error(`sign-in ${i}: ${r.status}`);
      keep(r);
      cookies[i] = cookie();
    },
  );
  log(`${BUYERS} buyers signed in in ${Date.now() - signInStart} ms`);

  const sockets: Socket[] = [];
  await pool(
    50,
    Array.from({ length: BUYERS }, (_, i) => i),
    async (i) => {
      const socket = connect(`http://127.0.0.1:${ports[i % 2]}`, {
        transports: ['websocket'],
        extraHeaders: { cookie: cookies[i]! },
        reconnection: false,
      });
      await new Promise<void>((resolve, reject) => {
        socket.once('connect', () => resolve());
        socket.once('connect_error', reject);
      });
      const join = (await socket.timeout(30_000).emitWithAck('live:join', { sessionId })) as {
        ok: boolean;
      };
      if (!join.ok) throw new Error('join failed');
      sockets[i] = socket;
    },
  );
  log(`${BUYERS} sockets in the room`);

  type Ack = { ok: boolean; code?: string; data?: { orderNo: string } };
  const results: { first: Ack; ms: number; resend?: Ack }[] = new Array(BUYERS);
  const fireAt = Date.now();
  let lastAccepted = fireAt;
  await Promise.all(
    sockets.map(async (socket, i) => {
      const buy = { sessionId, offerId, quantity: 1, clientKey: `bench-${runId}-${i}` };
      const started = performance.now();
      const resend = i < BUYERS * RETRY_SHARE;
      const [first, again] = await Promise.all([
        socket.timeout(60_000).emitWithAck('live:buy', buy) as Promise<Ack>,
        resend
          ? (socket.timeout(60_000).emitWithAck('live:buy', buy) as Promise<Ack>)
          : Promise.resolve(undefined),
      ]);
      results[i] = { first, ms: performance.now() - started, ...(again ? { resend: again } : {}) };
      if (first.ok) lastAccepted = Math.max(lastAccepted, Date.now());
    }),
  );
  const seconds = Math.max(0.001, (lastAccepted - fireAt) / 1000);
  for (const s of sockets) s.close();

  // Judge by what is in MongoDB.
  const okAcks = results.flatMap((r) => [r.first, r.resend]).filter((a): a is Ack => !!a?.ok);
  const ackedOrderNos = new Set(okAcks.map((a) => a.data!.orderNo));
  const orders = await OrderModel.find(
    { 'live.sessionId': session._id },
    { orderNo: 1, idempotencyKey: 1, lines: 1 },
  ).lean();
  const inMongo = new Set(orders.map((o) => o.orderNo));
  const byKey = new Map<string, number>();
  for (const o of orders) byKey.set(o.idempotencyKey, (byKey.get(o.idempotencyKey) ?? 0) + 1);
  const buyersWithTwoOrders = results.filter(
    (r) => r.first.ok && r.resend?.ok && r.resend.data!.orderNo !== r.first.data!.orderNo,
  ).length;
  const units = orders.reduce((s, o) => s + o.lines.reduce((n, l) => n + l.quantity, 0), 0);
  const latencies = results.map((r) => r.ms).sort((a, b) => a - b);
  const summary = {
    offered: BUYERS,
    accepted: results.filter((r) => r.first.ok || r.resend?.ok).length,
    soldOut: results.filter(
      (r) => !r.first.ok && !r.resend?.ok && r.first.code === 'errors.soldOut',
    ).length,
    rejectedOther: results.filter(
      (r) => !r.first.ok && !r.resend?.ok && r.first.code !== 'errors.soldOut',
    ).length,
    duplicates: [...byKey.values()].filter((n) => n > 1).length + buyersWithTwoOrders,
    oversold: Math.max(0, units - STOCK),
    lost: [...ackedOrderNos].filter((no) => !inMongo.has(no)).length,
    ackP50Ms: Math.round(quantile(latencies, 0.5)),
    ackP99Ms: Math.round(quantile(latencies, 0.99)),
    acceptedPerSec: Math.round(results.filter((r) => r.first.ok || r.resend?.ok).length / seconds),
  };
  const others = results
    .filter((r) => !r.first.ok && r.first.code !== 'errors.soldOut')
    .map((r) => r.first.code);
  if (others.length) log(`other answers: ${JSON.stringify([...new Set(others)])}`);
  process.stdout.write(`${JSON.stringify(summary)}\n`);
} finally {
  for (const child of children) child.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 500));
  await mongoose.connection.dropDatabase().catch(() => {});
  await deleteKeysWithPrefix(runtime.redis, config.REDIS_PREFIX).catch(() => {});
  await runtime.close();
}
