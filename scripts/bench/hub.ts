// `npm run bench:hub -- --orders 20000 [flags] [--json]` — the hub benchmark (issue #11): how fast
// paid orders reach a parcel with a courier, paid through the real webhook path.
//
//   --orders N          orders to pay and route (default 2000)
//   --buyers B          distinct buyers the orders belong to (default N / 4): a buyer's orders to
//                       one address may share a parcel, so this sets how much consolidates
//   --concurrency C     signed webhooks in flight at once, spread over the web processes (32)
//   --webs W            web processes receiving the webhooks (default 2)
//   --window-s S        the hub's consolidation window for this run, HUB_CONSOLIDATION_WINDOW_S
//                       (default 5; production waits 600 s, which would be the whole figure)
//   --give-up-s G       stop waiting G seconds after the first webhook (default 600); what is not
//                       routed by then counts as lost
//   --json              only the JSON line on stdout, no progress on stderr
//
// What it does: opens its own MongoDB database and Redis prefix on the local services (both
// removed at the end), seeds the demo county, starts W web processes and a worker, then sets up
// (not timed): receives enough stock for the run through hub receiving (a passed batch per SKU),
// creates B buyers with addresses across the provinces, places N orders through the real
// placeOrder (reservation, ledger movements, group commit) and records each order's Stripe
// payment the way the pay page does (`requires_payment`, a PaymentIntent id). Then the timed
// part: a `payment_intent.succeeded` event per order, in random order, signed with the Stripe
// signature scheme and the webhook secret the stack uses, POSTed to /webhooks/stripe (a refused
// or failed delivery is retried, as Stripe does); the clock stops when MongoDB shows every order
// `routed`. Redis's order-state keys say when that may be (a cheap progress signal), MongoDB
// decides. Last, it checks every order, parcel, payment and batch allocation.
//
// The last stdout line is one JSON object:
//   orders             N
//   routed             orders `routed`, in exactly one parcel that has a courier and a waybill
//   lost               N − routed, when the bench stopped waiting
//   doubled            orders in more than one parcel (or twice in one), paid twice (two `paid`
//                      steps in the timeline, more received than the total, a refund) or given
//                      more units from the batches than they ordered
//   secondsToRouteAll  from the first webhook sent to MongoDB showing every order routed; null
//                      when the bench gave up
//   routedPerSec       N / secondsToRouteAll (when it gave up: routed / seconds waited)
import { randomBytes, randomInt } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import mongoose, { Types } from 'mongoose';
import type { Actor } from '../../server/accounts/actor.ts';
import { hashPassword } from '../../server/accounts/passwords.ts';
import { UserModel } from '../../server/accounts/user.model.ts';
import { ProductModel } from '../../server/catalogue/product.model.ts';
import { ShopModel } from '../../server/catalogue/shop.model.ts';
import { SkuModel } from '../../server/catalogue/sku.model.ts';
import { loadConfig } from '../../server/core/config.ts';
import { createLogger } from '../../server/core/logger.ts';
import { createHeadlessRealtime } from '../../server/core/realtime.ts';
import { deleteKeysWithPrefix } from '../../server/core/redis.ts';
import { openRuntime } from '../../server/app/runtime.ts';
import { BatchAllocationModel } from '../../server/hub/batch.model.ts';
import { HubModel } from '../../server/hub/hub.model.ts';
import { ParcelModel } from '../../server/hub/parcel.model.ts';
import type { Address } from '../../server/orders/address.schema.ts';
import { OrderModel, type Order } from '../../server/orders/order.model.ts';
import { PAYMENT_METHODS } from '../../server/payments/payment-service.ts';
import { PaymentModel, RefundModel } from '../../server/payments/payment.model.ts';
import { StripeGateway } from '../../server/payments/stripe-gateway.ts';
import { seedDemoCounty } from '../../server/seed/seed-demo-county.ts';
import { createServices } from '../../server/app/services.ts';
import { ProducerModel } from '../../server/trace/producer.model.ts';
import {
  benchProcesses,
  flagChecks,
  freePort,
  pool,
  quantile,
  seconds,
  sleep,
} from './bench-kit.ts';

const { values } = parseArgs({
  options: {
    orders: { type: 'string', default: '2000' },
    buyers: { type: 'string' },
    concurrency: { type: 'string', default: '32' },
    webs: { type: 'string', default: '2' },
    'window-s': { type: 'string', default: '5' },
    'give-up-s': { type: 'string', default: '600' },
    json: { type: 'boolean', default: false },
  },
});

const { fail, wholeNumber } = flagChecks('bench:hub');
const integer = (name: keyof typeof values, min: number, max: number, fallback?: string) =>
  wholeNumber(name, (values[name] as string | undefined) ?? fallback, min, max);

const ORDERS = integer('orders', 1, 200_000);
const BUYERS = integer('buyers', 1, ORDERS, String(Math.max(1, Math.round(ORDERS / 4))));
const CONCURRENCY = integer('concurrency', 1, 1000);
const WEBS = integer('webs', 1, 8);
const WINDOW_S = integer('window-s', 0, 86_400);
const GIVE_UP_S = integer('give-up-s', 10, 24 * 3600);

const log = (line: string) => {
  if (!values.json) process.stderr.write(`${line}\n`);
};
/** Findings that matter even with --json. */
const warn = (line: string) => process.stderr.write(`bench:hub: ${line}\n`);

const runId = `${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
const benchEnv = {
  MONGODB_DB: `cunbo_bench_hub_${runId}`,
  REDIS_PREFIX: `cunbo-bench-hub-${runId}`,
  LOG_LEVEL: 'warn',
  SEED_ON_START: 'false',
  HUB_CONSOLIDATION_WINDOW_S: String(WINDOW_S),
  // Setup is not timed and a long run must not see its unpaid orders expire under it.
  ORDER_PAY_TIMEOUT_S: String(24 * 3600),
};
const config = loadConfig({ env: { ...process.env, ...benchEnv } });
const logger = createLogger({ ...config, LOG_LEVEL: 'silent' });
const runtime = await openRuntime(config, logger);
const headless = createHeadlessRealtime(runtime.redisUrl, runtime.keys, logger);
const services = createServices(runtime, headless.realtime);
const gateway = new StripeGateway(runtime.services.stripe);
const childLogFile = path.join(config.DATA_DIR, 'logs', `bench-hub-${runId}.log`);
const childLog = createWriteStream(childLogFile);

const processes = benchProcesses(runtime, config, {
  env: benchEnv,
  stderrTo: childLog,
});

const pick = <T>(items: readonly T[]): T => items[randomInt(items.length)]!;
function shuffled<T>(items: readonly T[]): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy;
}

// Where the county's buyers live: every zone the couriers price, a few village addresses (only
// couriers that reach villages take those) and one border county the franchise networks skip.
const DESTINATIONS: readonly [string, string, string, string, string][] = [
  ['山西省', '长治市', '平顺县', '青羊镇', '西沟村'],
  ['山西省', '长治市', '潞州区', '', ''],
  ['山西省', '太原市', '小店区', '', ''],
  ['山西省', '晋中市', '榆次区', '东阳镇', '东阳村'],
  ['北京市', '北京市', '朝阳区', '', ''],
  ['北京市', '北京市', '海淀区', '', ''],
  ['天津市', '天津市', '南开区', '', ''],
  ['河北省', '石家庄市', '长安区', '', ''],
  ['河南省', '郑州市', '金水区', '', ''],
  ['河南省', '安阳市', '林州市', '临淇镇', '白草坪村'],
  ['山东省', '济南市', '历下区', '', ''],
  ['陕西省', '西安市', '雁塔区', '', ''],
  ['内蒙古自治区', '呼和浩特市', '新城区', '', ''],
  ['辽宁省', '沈阳市', '和平区', '', ''],
  ['上海市', '上海市', '浦东新区', '', ''],
  ['江苏省', '南京市', '鼓楼区', '', ''],
  ['浙江省', '杭州市', '西湖区', '', ''],
  ['安徽省', '合肥市', '蜀山区', '', ''],
  ['湖北省', '武汉市', '洪山区', '', ''],
  ['湖南省', '长沙市', '岳麓区', '', ''],
  ['四川省', '成都市', '武侯区', '', ''],
  ['重庆市', '重庆市', '渝中区', '', ''],
  ['甘肃省', '兰州市', '城关区', '', ''],
  ['广东省', '广州市', '天河区', '', ''],
  ['广东省', '深圳市', '南山区', '', ''],
  ['福建省', '厦门市', '思明区', '', ''],
  ['广西壮族自治区', '南宁市', '青秀区', '', ''],
  ['云南省', '昆明市', '五华区', '', ''],
  ['黑龙江省', '哈尔滨市', '南岗区', '', ''],
  ['新疆维吾尔自治区', '乌鲁木齐市', '天山区', '', ''],
  ['西藏自治区', '林芝市', '墨脱县', '墨脱镇', ''],
  ['青海省', '西宁市', '城中区', '', ''],
];
const SURNAMES = '王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗';
const GIVEN = ['伟', '芳', '娜', '敏', '静', '丽', '强', '磊', '军', '洋', '勇', '艳', '杰', '娟'];
const STREETS = ['人民路', '建设路', '解放路', '中山路', '和平街', '幸福巷', '花园路', '新华街'];

function randomAddress(): Address {
  const [province, city, county, township, village] = pick(DESTINATIONS);
  return {
    recipient: `${pick([...SURNAMES])}${pick(GIVEN)}${randomInt(2) ? pick(GIVEN) : ''}`,
    phone: `1${pick(['3', '5', '8'])}${String(randomInt(1e9)).padStart(9, '0')}`,
    province,
    city,
    county,
    township,
    village,
    detail: village
      ? `${village} ${randomInt(1, 200)} 号`
      : `${pick(STREETS)} ${randomInt(1, 999)} 号 ${randomInt(1, 30)} 栋 ${randomInt(101, 2800)}`,
  };
}

/** A Stripe-looking id: prefix and 24 letters or digits. */
const stripeId = (prefix: string) =>
  `${prefix}_${randomBytes(18).toString('base64url').replace(/[-_]/g, '0').slice(0, 24)}`;

let fireAt = 0;
try {
  const setupStart = Date.now();
  log(`bench:hub ${ORDERS} orders, ${BUYERS} buyers, database ${config.MONGODB_DB}`);
  // Without the demo's 2,000 past orders, as the figures in docs/benchmarks.md were always
  // measured: the bench judges only its own orders.
  await seedDemoCounty(runtime.logger, { dataDir: config.DATA_DIR, history: false });

  const ports = await Promise.all(Array.from({ length: WEBS }, () => freePort()));
  await Promise.all([
    ...ports.map((port) => processes.start('server/web.ts', port)),
    processes.start('workers/main.ts'),
  ]);
  // The demo county comes with an order of its own (delivered); the bench judges only its own.
  const demoOrderNos = (await OrderModel.find({}, { orderNo: 1 }).lean()).map((o) => o.orderNo);
  log(`${WEBS} web process(es) on ${ports.join(', ')} and a worker; their logs: ${childLogFile}`);

  // The catalogue buyers order from: every SKU on sale in an approved shop.
  const shops = await ShopModel.find({ status: 'approved' }, { _id: 1 }).lean();
  const products = await ProductModel.find(
    { status: 'active', shopId: { $in: shops.map((s) => s._id) } },
    { _id: 1 },
  ).lean();
  const skus = await SkuModel.find(
    { active: true, productId: { $in: products.map((p) => p._id) } },
    { _id: 1, shopId: 1, barcode: 1, code: 1 },
  ).lean();
  const skusByShop = [...Map.groupBy(skus, (s) => String(s.shopId)).values()];
  if (skusByShop.length === 0) fail('the demo county has no SKU on sale');

  // Each order: one shop, one SKU (or two of the same shop), one to three units.
  type Planned = { buyer: number; address: number; lines: { skuId: string; quantity: number }[] };
  const plans: Planned[] = [];
  const units = new Map<string, number>();
  const buyerAddresses = Array.from({ length: BUYERS }, () =>
    randomInt(100) < 15 ? [randomAddress(), randomAddress()] : [randomAddress()],
  );
  for (let i = 0; i < ORDERS; i++) {
    const buyer = randomInt(BUYERS);
    const shopSkus = pick(skusByShop);
    const chosen = randomInt(100) < 20 && shopSkus.length > 1 ? 2 : 1;
    const lines = shuffled(shopSkus)
      .slice(0, chosen)
      .map((sku) => ({ skuId: String(sku._id), quantity: pick([1, 1, 1, 1, 1, 2, 2, 3]) }));
    for (const l of lines) units.set(l.skuId, (units.get(l.skuId) ?? 0) + l.quantity);
    const address = buyerAddresses[buyer]!.length > 1 && randomInt(100) < 30 ? 1 : 0;
    plans.push({ buyer, address, lines });
  }

  // Stock for the run, received at the hub as passed batches (ledger, counters, FEFO batches).
  const admin = (await UserModel.findOne({ role: 'admin' }, { _id: 1, displayName: 1 }).lean())!;
  const adminActor: Actor = { id: String(admin._id), role: 'admin', displayName: 'bench' };
  const hub = (await HubModel.findOne().lean())!;
  const producer = (await ProducerModel.findOne({}, { registrationCode: 1 }).lean())!;
  const harvested = new Date(Date.now() + 8 * 3600_000 - 10 * 86_400_000).toISOString();
  for (const [skuId, quantity] of units) {
    const sku = skus.find((s) => String(s._id) === skuId)!;
    await services.receiving.receiveBatch(adminActor, {
      barcode: sku.barcode,
      producer_code: producer.registrationCode,
      harvest_date: harvested.slice(0, 10),
      shelf_life_days: '365',
      quantity: String(Math.min(100_000, quantity + 10)),
      bin_code: pick(hub.bins).code,
      qc_result: 'passed',
      qc_station: '平顺县农产品质量安全检测站',
      receipt_id: randomBytes(12).toString('hex'),
    });
  }

  const passwordHash = await hashPassword(randomBytes(12).toString('hex'));
  const buyerIds: Types.ObjectId[] = [];
  for (let from = 0; from < BUYERS; from += 500) {
    const docs = await UserModel.insertMany(
      buyerAddresses.slice(from, from + 500).map((addresses, k) => ({
        email: `hub-bench-${from + k}@bench.cunbo`,
        displayName: `买家${from + k}`,
        passwordHash,
        role: 'buyer',
        addresses,
      })),
    );
    buyerIds.push(...docs.map((d) => d._id));
  }
  log(`stock received for ${units.size} SKUs, ${BUYERS} buyers created (${seconds(setupStart)})`);

  // Orders through the real placeOrder (checkout): reservation, ledger, group commit.
  const placed: Order[] = new Array(ORDERS);
  const placeStart = Date.now();
  await pool(200, plans, async (plan, i) => {
    const actor: Actor = { id: String(buyerIds[plan.buyer]), role: 'buyer', displayName: 'b' };
    placed[i] = await services.orders.placeOrder(actor, {
      idempotencyKey: `hub-bench-${runId}-${i}`,
      lines: plan.lines,
      address: buyerAddresses[plan.buyer]![plan.address]!,
      // A few buyers pay extra for a courier of their choice at checkout.
      ...(randomInt(100) < 5 ? { preferredCourier: pick(['sf', 'jd', 'ems', 'kye']) } : {}),
    });
  });
  log(`${ORDERS} orders placed in ${seconds(placeStart)}`);

  // Each order's payment as the pay page records it: a PaymentIntent for the order's total.
  const intents = placed.map((order) => ({
    orderNo: order.orderNo,
    intentId: stripeId('pi'),
    amountFen: order.totalFen,
    method: pick(PAYMENT_METHODS),
  }));
  for (let from = 0; from < ORDERS; from += 500)
    await PaymentModel.insertMany(
      intents.slice(from, from + 500).map((p, k) => ({
        orderNo: p.orderNo,
        buyerId: placed[from + k]!.buyerId,
        paymentIntentId: p.intentId,
        amountFen: p.amountFen,
        currency: 'cny',
        status: 'requires_payment',
      })),
      { ordered: false },
    );
  log(`setup done in ${seconds(setupStart)}; paying ${ORDERS} orders`);

  // --- timed from here ---
  const events = shuffled(intents.map((p) => ({ ...p, eventId: stripeId('evt') })));
  const webhookMs: number[] = [];
  let retries = 0;
  let undelivered = 0;
  let lastAccepted = 0;
  const stateKey = (orderNo: string) => runtime.keys.key('order-state', orderNo);
  fireAt = Date.now();
  const delivering = pool(CONCURRENCY, events, async (e, i) => {
    const base = `http://127.0.0.1:${ports[i % WEBS]}`;
    for (let attempt = 1; attempt <= 12; attempt++) {
      const payload = JSON.stringify({
        id: e.eventId,
        object: 'event',
        api_version: '2025-01-27.acacia',
        created: Math.floor(Date.now() / 1000),
        livemode: false,
        pending_webhooks: 1,
        request: { id: null, idempotency_key: null },
        type: 'payment_intent.succeeded',
        data: {
          object: {
            id: e.intentId,
            object: 'payment_intent',
            amount: e.amountFen,
            amount_received: e.amountFen,
            currency: 'cny',
            status: 'succeeded',
            payment_method_types: [e.method],
            metadata: { orderNo: e.orderNo },
          },
        },
      });
      const started = performance.now();
      const status = await fetch(`${base}/webhooks/stripe`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          // Signed when sent, as Stripe does for each delivery attempt.
          'stripe-signature': gateway.signForLocalDelivery(payload),
        },
        body: payload,
        signal: AbortSignal.timeout(30_000),
      }).then(
        async (r) => (await r.arrayBuffer(), r.status),
        () => 0,
      );
      if (status === 200) {
        webhookMs.push(performance.now() - started);
        lastAccepted = Date.now();
        return;
      }
      retries++;
      // Stripe backs off between attempts; a bench cannot wait hours, so seconds.
      await sleep(Math.min(250 * 2 ** attempt, 5000));
    }
    undelivered++;
  });

  // Progress from Redis (the state machine's decisions: cheap to read); MongoDB decides the end.
  const orderNos = placed.map((o) => o.orderNo);
  let doneAt = 0;
  let lastReport = 0;
  let lastMongoCheck = 0;
  while (Date.now() - fireAt < GIVE_UP_S * 1000) {
    await sleep(500);
    const counts: Record<string, number> = {};
    for (let from = 0; from < orderNos.length; from += 1000) {
      const states = await runtime.redis.mget(...orderNos.slice(from, from + 1000).map(stateKey));
      for (const s of states)
        counts[s ?? 'pending_payment'] = (counts[s ?? 'pending_payment'] ?? 0) + 1;
    }
    if (Date.now() - lastReport >= 5000) {
      lastReport = Date.now();
      log(
        `${seconds(fireAt)}: webhooks accepted ${webhookMs.length}, decided ${JSON.stringify(counts)}`,
      );
    }
    // MongoDB is asked when Redis says all are routed, and now and then in case Redis forgot.
    if ((counts.routed ?? 0) < ORDERS && Date.now() - lastMongoCheck < 30_000) continue;
    lastMongoCheck = Date.now();
    const notRouted = await OrderModel.findOne(
      { status: { $ne: 'routed' }, orderNo: { $nin: demoOrderNos } },
      { orderNo: 1, status: 1 },
    ).lean();
    if (!notRouted) {
      doneAt = Date.now();
      break;
    }
    if (Date.now() - lastReport < 500) log(`  e.g. ${notRouted.orderNo} is ${notRouted.status}`);
  }
  const waitedMs = (doneAt || Date.now()) - fireAt;
  await delivering;
  const latencies = webhookMs.sort((a, b) => a - b);
  log(
    `webhooks: ${latencies.length} accepted in ${((lastAccepted - fireAt) / 1000).toFixed(1)} s, ` +
      `p50 ${Math.round(quantile(latencies, 0.5))} ms, p99 ${Math.round(quantile(latencies, 0.99))} ms, ` +
      `${retries} retried deliveries, ${undelivered} never accepted`,
  );
  if (!doneAt) warn(`gave up after ${GIVE_UP_S} s with orders still not routed`);

  // --- judged by what is in MongoDB ---
  const checkStart = Date.now();
  const orders = await OrderModel.find({ orderNo: { $nin: demoOrderNos } }).lean();
  const parcels = await ParcelModel.find({ status: { $ne: 'cancelled' } }).lean();
  const payments = new Map(
    (await PaymentModel.find({}).lean()).map((p) => [p.orderNo, p] as const),
  );
  const refunded = new Set(
    (await RefundModel.find({}, { orderNo: 1 }).lean()).map((r) => r.orderNo),
  );
  const allocated = new Map<string, number>();
  for (const a of await BatchAllocationModel.find({}, { orderNo: 1, quantity: 1 }).lean())
    allocated.set(a.orderNo, (allocated.get(a.orderNo) ?? 0) + a.quantity);
  const parcelsOf = new Map<string, typeof parcels>();
  for (const parcel of parcels)
    for (const orderNo of parcel.orderNos)
      parcelsOf.set(orderNo, [...(parcelsOf.get(orderNo) ?? []), parcel]);

  let routed = 0;
  let doubled = 0;
  const problems = new Map<string, number>();
  const note = (what: string) => problems.set(what, (problems.get(what) ?? 0) + 1);
  for (const order of orders) {
    const holding = parcelsOf.get(order.orderNo) ?? [];
    const parcel = holding[0];
    const units = order.lines.reduce((s, l) => s + l.quantity, 0);
    const twiceInParcel =
      parcel !== undefined &&
      (parcel.orderNos.filter((n) => n === order.orderNo).length > 1 ||
        new Set(parcel.lines.filter((l) => l.orderNo === order.orderNo).map((l) => String(l.skuId)))
          .size < parcel.lines.filter((l) => l.orderNo === order.orderNo).length);
    const payment = payments.get(order.orderNo);
    const paidTwice =
      order.timeline.filter((t) => t.to === 'paid').length > 1 ||
      (payment?.receivedFen ?? 0) > order.totalFen ||
      refunded.has(order.orderNo);
    const overAllocated = (allocated.get(order.orderNo) ?? 0) > units;
    if (holding.length > 1) note('in more than one parcel');
    if (twiceInParcel) note('twice in its parcel');
    if (paidTwice) note('paid twice');
    if (overAllocated) note('more units allocated than ordered');
    if (holding.length > 1 || twiceInParcel || paidTwice || overAllocated) doubled++;
    if (
      order.status === 'routed' &&
      holding.length === 1 &&
      parcel!.status === 'routed' &&
      parcel!.courierCode &&
      parcel!.waybillNo &&
      order.parcelNo === parcel!.parcelNo
    )
      routed++;
    else if (doneAt) note(`not routed (${order.status}, ${holding.length} parcels)`);
  }
  const waybills = parcels.map((p) => p.waybillNo).filter(Boolean);
  if (new Set(waybills).size < waybills.length) warn('two parcels share a waybill number');
  if (orders.length !== ORDERS) warn(`${orders.length} orders in MongoDB, ${ORDERS} placed`);
  for (const [what, count] of problems) warn(`${count} orders: ${what}`);
  const couriers = Map.groupBy(
    parcels.filter((p) => p.courierCode),
    (p) => p.courierCode!,
  );
  log(
    `${parcels.length} parcels for ${orders.length} orders; couriers ` +
      JSON.stringify(Object.fromEntries([...couriers].map(([code, list]) => [code, list.length]))) +
      `; checked in ${seconds(checkStart)}`,
  );

  const secondsToRouteAll = doneAt ? Math.round(waitedMs / 100) / 10 : null;
  const summary = {
    orders: ORDERS,
    routed,
    lost: ORDERS - routed,
    doubled,
    secondsToRouteAll,
    routedPerSec: Math.round(((doneAt ? ORDERS : routed) / (waitedMs / 1000)) * 10) / 10,
  };
  process.stdout.write(`${JSON.stringify(summary)}\n`);
} finally {
  await processes.stopAll();
  childLog.end();
  await services.close().catch(() => {});
  await headless.close().catch(() => {});
  await mongoose.connection.dropDatabase().catch(() => {});
  await deleteKeysWithPrefix(runtime.redis, config.REDIS_PREFIX).catch(() => {});
  await runtime.close();
}
