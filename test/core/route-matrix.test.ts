// Who may use which address: every route the running app has mounted, tried as each kind of
// person. The list of routes comes from the router itself, so a new route without a rule in
// ACCESS below makes this file fail until someone decides who may use it (issue #13).
import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { Types } from 'mongoose';
import { ProductModel } from '../../server/catalogue/product.model.ts';
import { ShopModel } from '../../server/catalogue/shop.model.ts';
import { SkuModel } from '../../server/catalogue/sku.model.ts';
import { QUEUE_DASHBOARD_PATH } from '../../server/app/queue-dashboard.ts';
import { HubModel } from '../../server/hub/hub.model.ts';
import { ParcelModel } from '../../server/hub/parcel.model.ts';
import { WaveModel } from '../../server/hub/wave.model.ts';
import { LiveSessionModel } from '../../server/live/live-session.model.ts';
import { OrderModel } from '../../server/orders/order.model.ts';
import { UserModel } from '../../server/accounts/user.model.ts';
import { DEMO_PASSWORD } from '../../server/seed/demo-county.ts';
import { DEMO_ORDER_NO } from '../../server/seed/demo-delivered-parcel.ts';
import { CertificationModel } from '../../server/trace/certification.model.ts';
import { newTraceCode } from '../../server/trace/trace-codes.ts';
import {
  discardDocument,
  documentId,
  storeDocument,
  type StoredDocument,
} from '../../server/trace/uploads.ts';
import { BUYER_PASSWORD, createBuyers } from '../support/fixtures.ts';
import { Client, DEMO_ADDRESS } from '../support/http-client.ts';
import { getRuntime } from '../support/root-hooks.ts';
import { inProcessWeb } from '../support/web-scene.ts';

// ---------------------------------------------------------------------------------------------
// The people. "streamer" owns the Xigou pepper shop (the live session on air, 陈晓's delivered
// order); "assistant" is that shop's 场控; "otherStreamer" owns the Hongti millet shop.

const IDENTITIES = [
  'anonymous',
  'buyer',
  'otherBuyer',
  'streamer',
  'assistant',
  'otherStreamer',
  'hubStaff',
  'admin',
] as const;
type Identity = (typeof IDENTITIES)[number];

const LOGINS: Record<Exclude<Identity, 'anonymous' | 'assistant'>, string> = {
  buyer: '13800000001', // 陈晓: owns the demo order
  otherBuyer: '13800000002', // 周明
  streamer: '13900000001', // 申小花, xigou-pepper
  otherStreamer: '13900000002', // 王建军, hongti-millet
  hubStaff: '13600000001', // 仓库·刘师傅
  admin: '13700000000',
};

const EVERYONE: readonly Identity[] = IDENTITIES;
const SIGNED_IN = IDENTITIES.filter((i) => i !== 'anonymous');
const ADMIN: readonly Identity[] = ['admin'];
const HUB: readonly Identity[] = ['hubStaff', 'admin'];
/** The admin passes requireRole('buyer') like every guard. */
const BUYERS: readonly Identity[] = ['buyer', 'otherBuyer', 'admin'];
/** A studio page about the signed-in streamer's own shop (the admin has no shop). */
const ANY_SHOP: readonly Identity[] = ['streamer', 'assistant', 'otherStreamer'];
/** Something of the Xigou shop, by id. */
const XIGOU_SHOP: readonly Identity[] = ['streamer', 'assistant'];
/** 陈晓's order: the buyer, the shop that sold it, the admin. */
const ORDER_READERS: readonly Identity[] = ['buyer', 'streamer', 'assistant', 'admin'];
const ORDER_BUYER: readonly Identity[] = ['buyer'];

// ---------------------------------------------------------------------------------------------
// The real objects the requests point at, made or found before the first request.

interface Fixtures {
  orderNo: string;
  parcelNo: string;
  manifestNo: string;
  waveNo: string;
  barcode: string;
  productId: string;
  productSlug: string;
  shopSlug: string;
  liveSessionId: string;
  /** A product of the Xigou shop made for this file: archiving it harms nothing. */
  spareProductId: string;
  /** A pending shop made for this file: approving and suspending it harms nothing. */
  spareShopId: string;
  /** A pending certification of the Xigou shop made for this file, and its document. */
  certificationId: string;
  certificateDocumentId: string;
  courierCode: string;
  /** A county report table hub staff may also take. */
  countyTable: string;
  traceCode: string;
  queueName: string;
  missingQueue: string;
  missingJob: string;
  missingOffer: string;
  missingGiveaway: string;
}
type FixtureKey = keyof Fixtures;

/** Route parameters filled by name unless a rule says otherwise. */
const PARAMS_BY_NAME: Record<string, FixtureKey> = {
  orderNo: 'orderNo',
  parcelNo: 'parcelNo',
  waveNo: 'waveNo',
  courier: 'courierCode',
  queueName: 'queueName',
  jobId: 'missingJob',
};
const LITERAL_PARAMS: Record<string, string> = {
  format: 'csv',
  month: '2026-11',
  queueStatus: 'failed',
  schedulerId: 'no-such-scheduler',
};

interface Rule {
  /** Who gets past the access checks; 'signature' = authenticated by a signature, not a session. */
  allow: readonly Identity[] | 'signature';
  /** Fixtures for route parameters the name alone does not decide (`:id`, `:code`, `:slug`). */
  params?: Record<string, FixtureKey>;
  query?: (f: Fixtures) => string;
  /** Sent as JSON to API paths and as a form elsewhere; most routes get an empty body. */
  body?: (f: Fixtures) => Record<string, unknown>;
  upload?: { field: string; name: string; type: string; content: string };
  /** Why the object does not exist: an allowed identity may then get 404 (and nothing else). */
  missing?: string;
  /** Signs the person out: tried last, each identity in a session of its own. */
  endsSession?: true;
}

/** The dashboard's writes are tried on a queue that does not exist, so they change nothing. */
const QUEUE_WRITE: Rule = {
  allow: ADMIN,
  params: { queueName: 'missingQueue' },
  missing: 'a queue that does not exist',
};

/** Every mounted route, and who may use it. */
const ACCESS: Record<string, Rule> = {
  // ---- health, webhooks, test-only ----
  'GET /healthz': { allow: EVERYONE },
  'GET /readyz': { allow: EVERYONE },
  'POST /webhooks/stripe': { allow: 'signature' },
  'POST /couriers/:code/events': {
    allow: 'signature',
    params: { code: 'courierCode' },
    body: () => ({ events: [] }),
  },
  'GET /__test/slow': { allow: EVERYONE, query: () => '?ms=0' },

  // ---- accounts ----
  'GET /signin': { allow: EVERYONE },
  'GET /signup': { allow: EVERYONE },
  'POST /signin': { allow: EVERYONE },
  'POST /signup': { allow: EVERYONE },
  'POST /signout': { allow: EVERYONE, endsSession: true },
  'POST /signout/everywhere': { allow: EVERYONE, endsSession: true },
  'GET /api/session': { allow: EVERYONE },
  'POST /api/session': { allow: EVERYONE },
  'POST /api/signup': { allow: EVERYONE },
  'DELETE /api/session': { allow: EVERYONE, endsSession: true },

  // ---- cart, checkout, orders (陈晓's delivered order from the Xigou shop) ----
  'GET /cart': { allow: EVERYONE },
  'POST /cart/add': { allow: EVERYONE },
  'POST /cart/update': { allow: EVERYONE },
  'POST /api/cart': { allow: EVERYONE },
  'GET /checkout': { allow: SIGNED_IN },
  'POST /checkout': { allow: SIGNED_IN },
  'GET /orders': { allow: SIGNED_IN },
  'GET /orders/:orderNo': { allow: ORDER_READERS },
  'POST /orders/:orderNo/address': { allow: ORDER_BUYER, body: () => ({ ...DEMO_ADDRESS }) },
  'POST /api/orders/:orderNo/address': {
    allow: ORDER_BUYER,
    body: () => ({ address: DEMO_ADDRESS }),
  },
  'POST /orders/:orderNo/cancel': { allow: ['buyer', 'admin'] },
  'POST /api/orders': { allow: SIGNED_IN },
  'GET /api/orders/:orderNo': { allow: ORDER_READERS },
  'GET /api/orders/:orderNo/tracking': { allow: ORDER_READERS },
  'POST /api/orders/:orderNo/cancel': { allow: ['buyer', 'admin'] },

  // ---- payments ----
  'GET /orders/:orderNo/pay': { allow: ORDER_BUYER },
  'POST /orders/:orderNo/pay/local': { allow: ORDER_BUYER, body: () => ({ method: 'card' }) },
  'POST /api/orders/:orderNo/payment': { allow: ORDER_BUYER },
  'POST /orders/:orderNo/coupon': { allow: ORDER_BUYER, body: () => ({ couponId: 'abcdef1234' }) },
  'POST /orders/:orderNo/coupon/remove': { allow: ORDER_BUYER },
  'POST /api/orders/:orderNo/coupon': {
    allow: ORDER_BUYER,
    body: () => ({ couponId: 'abcdef1234' }),
  },
  'POST /api/orders/:orderNo/coupon/remove': { allow: ORDER_BUYER },
  'POST /api/orders/:orderNo/refund-short-pick': { allow: ADMIN, body: () => ({ lines: [] }) },

  // ---- opening a shop, the studio ----
  'GET /shops/new': { allow: BUYERS },
  'POST /shops/new': { allow: BUYERS },
  'POST /studio/assistants': { allow: ['streamer', 'otherStreamer'] }, // owners only
  'GET /studio': { allow: ANY_SHOP },
  'GET /studio/orders': { allow: ANY_SHOP },
  'GET /studio/products/new': { allow: ANY_SHOP },
  'POST /studio/products': { allow: ANY_SHOP },
  'GET /studio/products/:id': { allow: XIGOU_SHOP, params: { id: 'productId' } },
  'POST /studio/products/:id': { allow: XIGOU_SHOP, params: { id: 'productId' } },
  'POST /studio/products/:id/archive': { allow: XIGOU_SHOP, params: { id: 'spareProductId' } },
  'POST /studio/products/:id/skus': { allow: XIGOU_SHOP, params: { id: 'productId' } },
  'POST /studio/import': {
    allow: ANY_SHOP,
    // A header and no rows: the import reaches the shop check and changes nothing.
    upload: { field: 'file', name: 'empty.csv', type: 'text/csv', content: 'product_slug\n' },
  },
  'GET /studio/live': { allow: ANY_SHOP },
  'POST /studio/live': { allow: ANY_SHOP },
  'GET /studio/live/:id': {
    allow: ['streamer', 'assistant', 'admin'],
    params: { id: 'liveSessionId' },
  },
  'GET /studio/certifications': { allow: ANY_SHOP },
  'POST /studio/certifications': { allow: ANY_SHOP },

  // ---- the county admin ----
  'GET /admin/shops': { allow: ADMIN },
  'GET /admin/payments': { allow: ADMIN },
  'POST /admin/shops/:id/approve': { allow: ADMIN, params: { id: 'spareShopId' } },
  'POST /admin/shops/:id/suspend': { allow: ADMIN, params: { id: 'spareShopId' } },
  'GET /admin/couriers': { allow: ADMIN },
  'POST /admin/couriers/:code/active': { allow: ADMIN, params: { code: 'courierCode' } },
  'POST /admin/couriers/:code/schedule': { allow: ADMIN, params: { code: 'courierCode' } },
  'POST /admin/couriers/rate-cards': { allow: ADMIN },
  'GET /admin/certifications': { allow: ADMIN },
  'POST /admin/certifications/:id/review': { allow: ADMIN, params: { id: 'certificationId' } },

  // ---- the county's view: hub staff see the logistics half (its couriers table, not the PDF) ----
  'GET /county': { allow: HUB },
  'GET /county/report/:month/:table.csv': { allow: HUB, params: { table: 'countyTable' } },
  'GET /county/report/:month.pdf': { allow: ADMIN },

  // ---- the queue dashboard (bull-board, mounted under /admin/queues) ----
  'GET /admin/queues': { allow: ADMIN },
  'GET /admin/queues/metrics-history': { allow: ADMIN },
  'GET /admin/queues/job-schedulers': { allow: ADMIN },
  'GET /admin/queues/queue/:queueName': { allow: ADMIN },
  'GET /admin/queues/queue/:queueName/:jobId': { allow: ADMIN },
  'GET /admin/queues/api/redis/stats': { allow: ADMIN },
  'GET /admin/queues/api/queues': { allow: ADMIN },
  'GET /admin/queues/api/job-schedulers': { allow: ADMIN },
  'GET /admin/queues/api/queues/:queueName/metrics': { allow: ADMIN },
  'GET /admin/queues/api/queues/:queueName/default-job-options': { allow: ADMIN },
  'GET /admin/queues/api/queues/:queueName/workers': { allow: ADMIN },
  'GET /admin/queues/api/queues/:queueName/rate-limit': { allow: ADMIN },
  'GET /admin/queues/api/queues/:queueName/job-data-schema': { allow: ADMIN },
  'GET /admin/queues/api/queues/:queueName/:jobId/logs': {
    allow: ADMIN,
    missing: 'no such job',
  },
  'GET /admin/queues/api/queues/:queueName/:jobId/flow': { allow: ADMIN, missing: 'no such job' },
  'GET /admin/queues/api/queues/:queueName/:jobId': { allow: ADMIN, missing: 'no such job' },
  // Pauses every queue, then the next rule resumes them; beforeClose puts back what was there.
  'PUT /admin/queues/api/queues/pause': { allow: ADMIN },
  'PUT /admin/queues/api/queues/resume': { allow: ADMIN },
  'POST /admin/queues/api/queues/:queueName/add': QUEUE_WRITE,
  'PUT /admin/queues/api/queues/:queueName/retry/:queueStatus': QUEUE_WRITE,
  'PUT /admin/queues/api/queues/:queueName/promote': QUEUE_WRITE,
  'PUT /admin/queues/api/queues/:queueName/clean/:queueStatus': QUEUE_WRITE,
  'PUT /admin/queues/api/queues/:queueName/pause': QUEUE_WRITE,
  'PUT /admin/queues/api/queues/:queueName/resume': QUEUE_WRITE,
  'PUT /admin/queues/api/queues/:queueName/concurrency': QUEUE_WRITE,
  'PUT /admin/queues/api/queues/:queueName/rate-limit': QUEUE_WRITE,
  'PUT /admin/queues/api/queues/:queueName/rate-limit/release': QUEUE_WRITE,
  'PUT /admin/queues/api/queues/:queueName/empty': QUEUE_WRITE,
  'PUT /admin/queues/api/queues/:queueName/obliterate': QUEUE_WRITE,
  'PUT /admin/queues/api/queues/:queueName/job-schedulers/:schedulerId/remove': QUEUE_WRITE,
  'PATCH /admin/queues/api/queues/:queueName/job-schedulers/:schedulerId': QUEUE_WRITE,
  'PUT /admin/queues/api/queues/:queueName/job-schedulers/:schedulerId/run': QUEUE_WRITE,
  'PUT /admin/queues/api/queues/:queueName/:jobId/retry': QUEUE_WRITE,
  'PUT /admin/queues/api/queues/:queueName/:jobId/clean': QUEUE_WRITE,
  'PUT /admin/queues/api/queues/:queueName/:jobId/promote': QUEUE_WRITE,
  'PATCH /admin/queues/api/queues/:queueName/:jobId/update-data': QUEUE_WRITE,
  'PATCH /admin/queues/api/queues/:queueName/:jobId/delay': QUEUE_WRITE,
  'PATCH /admin/queues/api/queues/:queueName/:jobId/priority': QUEUE_WRITE,
  'PUT /admin/queues/api/queues/:queueName/:jobId/remove-unprocessed-children': QUEUE_WRITE,

  // ---- the hub (the delivered demo parcel; an empty wave made for this file) ----
  'GET /hub': { allow: HUB },
  'POST /hub/batches': { allow: HUB },
  'GET /hub/batches': { allow: HUB },
  'POST /hub/waves': { allow: HUB },
  'GET /hub/waves/:waveNo': { allow: HUB },
  'POST /api/hub/waves/:waveNo/pick': { allow: HUB, body: (f) => ({ barcode: f.barcode }) },
  'GET /hub/parcels/:parcelNo': { allow: HUB },
  'POST /api/hub/parcels/:parcelNo/pack': { allow: HUB, body: (f) => ({ barcode: f.barcode }) },
  'POST /hub/parcels/:parcelNo/weight': { allow: HUB },
  'GET /hub/parcels/:parcelNo/label.pdf': { allow: HUB },
  'POST /hub/parcels/:parcelNo/void': { allow: HUB },
  'POST /hub/parcels/:parcelNo/exceptions': { allow: HUB },
  'GET /hub/manifests/:courier.:format': {
    allow: HUB,
    query: (f) => `?no=${encodeURIComponent(f.manifestNo)}`,
  },
  'POST /hub/manifests/:courier/sign-off': { allow: HUB },

  // ---- trace, live, storefront ----
  // Two handlers share this path (inspection reports, then certificates); the document is the
  // Xigou shop's pending certificate, which only that shop and the admin may see.
  'GET /documents/:id': {
    allow: ['streamer', 'assistant', 'admin'],
    params: { id: 'certificateDocumentId' },
  },
  'GET /t/:code': {
    allow: EVERYONE,
    params: { code: 'traceCode' },
    missing: 'a well-formed code nobody was given (scans of real codes are counted)',
  },
  'GET /live/:id': { allow: EVERYONE, params: { id: 'liveSessionId' } },
  'GET /live/:id/replay': {
    allow: EVERYONE,
    params: { id: 'liveSessionId' },
    missing: 'the session is on air: it has no replay yet',
  },
  'GET /giveaways/:giveawayId': {
    allow: EVERYONE,
    params: { giveawayId: 'missingGiveaway' },
    missing: 'a well-formed id of a lucky bag nobody started (a draw record is public)',
  },
  'POST /api/live/:id/buy': {
    allow: SIGNED_IN,
    params: { id: 'liveSessionId' },
    body: (f) => ({ offerId: f.missingOffer, quantity: 1, clientKey: 'route-matrix-buy' }),
    missing: 'the offer does not exist, so nobody actually buys',
  },
  'GET /': { allow: EVERYONE },
  'GET /divisions.json': { allow: EVERYONE }, // China's divisions for the address picker
  'GET /search': { allow: EVERYONE, query: () => '?q=%E8%8A%B1%E6%A4%92' },
  'GET /p/:slug': { allow: EVERYONE, params: { slug: 'productSlug' } },
  'GET /s/:slug': { allow: EVERYONE, params: { slug: 'shopSlug' } },
};

/**
 * Answers that break the rules today, each with what comes back. The test expects exactly this
 * answer, so fixing the server makes it fail with "fixed": then delete the entry.
 */
const KNOWN_PROBLEMS: Record<
  string,
  Partial<Record<Identity, { status: number; why: string }>>
> = {};

// ---------------------------------------------------------------------------------------------
// Reading the router.

interface LayerLike {
  rawPath?: unknown;
  route?: { path: unknown; methods: Record<string, boolean> };
  handle: { length: number; stack?: LayerLike[]; router?: { stack?: LayerLike[] } };
}

interface MountedRoute {
  key: string;
  method: string;
  path: string;
  /** Path-scoped middleware a request passes first: the requireRole prefixes (/studio, /hub…). */
  behind: string[];
}

/**
 * Every (method, path) of the app's router, nested routers and sub-apps (the queue dashboard)
 * included. A request walks the stack depth first, so a prefix guard such as
 * `router.use('/studio', requireRole('streamer'))` also stands in front of /studio routes that
 * later routers mount; `behind` lists them in that order.
 */
function mountedRoutes(router: { stack: LayerLike[] }): MountedRoute[] {
  const found = new Map<string, MountedRoute>();
  const prefixed: string[] = [];
  const join = (prefix: string, raw: unknown) => (raw === '/' ? prefix : `${prefix}${String(raw)}`);
  const walk = (stack: LayerLike[], prefix: string) => {
    for (const layer of stack) {
      if (layer.route) {
        const methods = Object.keys(layer.route.methods).map((m) =>
          m === '_all' ? 'ALL' : m.toUpperCase(),
        );
        for (const raw of [layer.route.path].flat()) {
          const path = join(prefix, raw) || '/';
          const behind = prefixed.filter((p) => path === p || path.startsWith(`${p}/`));
          for (const method of methods) {
            const key = `${method} ${path}`;
            if (!found.has(key)) found.set(key, { key, method, path, behind });
          }
        }
        continue;
      }
      const nested = layer.handle.stack ?? layer.handle.router?.stack;
      for (const raw of [layer.rawPath ?? '/'].flat()) {
        if (nested) walk(nested, join(prefix, raw));
        // Error handlers (four arguments) stand behind routes, not in front of them.
        else if (raw !== '/' && layer.handle.length !== 4) prefixed.push(join(prefix, raw));
      }
    }
  };
  walk(router.stack, '');
  return [...found.values()];
}

// ---------------------------------------------------------------------------------------------
// Asking.

interface Answer {
  status: number;
  location: string;
}

function fillPath(key: string, rule: Rule, f: Fixtures): string {
  const pattern = key.slice(key.indexOf(' ') + 1);
  const path = pattern.replace(/[:*](\w+)/g, (_, name: string) => {
    const fixture = rule.params?.[name] ?? PARAMS_BY_NAME[name];
    const value = fixture ? f[fixture] : LITERAL_PARAMS[name];
    if (value === undefined) throw new Error(`${key}: say in its rule what :${name} should be`);
    return encodeURIComponent(value);
  });
  return path.replace(/[{}]/g, '') + (rule.query?.(f) ?? '');
}

async function ask(client: Client, method: string, path: string, rule: Rule, f: Fixtures) {
  const wantsJson = path.startsWith('/api/') || path.startsWith(`${QUEUE_DASHBOARD_PATH}/api/`);
  const headers: Record<string, string> = {
    cookie: client.cookieHeader(),
    accept: wantsJson ? 'application/json' : 'text/html',
  };
  let body: string | FormData | undefined;
  if (method !== 'GET') {
    headers['x-csrf-token'] = client.csrfToken;
    headers.origin = client.base; // the queue dashboard takes writes from its own site only
    const fields = rule.body?.(f) ?? {};
    if (rule.upload) {
      const form = new FormData();
      for (const [name, value] of Object.entries(fields)) form.append(name, String(value));
      const { field, name, type, content } = rule.upload;
      form.append(field, new Blob([content], { type }), name);
      body = form;
    } else if (wantsJson || path.startsWith('/webhooks/') || path.startsWith('/couriers/')) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(fields);
    } else {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      const form: Record<string, string> = { _csrf: client.csrfToken };
      for (const [name, value] of Object.entries(fields)) form[name] = String(value);
      body = new URLSearchParams(form).toString();
    }
  }
  // 503 is "the store is saturated, try again" (a busy machine), not an answer about access.
  for (let attempt = 1; ; attempt++) {
    const res = await fetch(`${client.base}${path}`, { method, headers, body, redirect: 'manual' });
    await res.arrayBuffer();
    if (res.status !== 503 || attempt === 3)
      return { status: res.status, location: res.headers.get('location') ?? '' } satisfies Answer;
    await new Promise((resolve) => setTimeout(resolve, 1000 * attempt));
  }
}

const describeAnswer = (a: Answer) => `${a.status}${a.location ? ` → ${a.location}` : ''}`;

/** Kept out: 401, 403, 404, or (a browser that is not signed in) sent to the sign-in page. */
function keptOut(who: Identity, a: Answer): boolean {
  if ([401, 403, 404].includes(a.status)) return true;
  return who === 'anonymous' && a.status === 303 && a.location.startsWith('/signin');
}

/** What is wrong with this answer, or undefined. */
function judge(who: Identity, rule: Rule, a: Answer): string | undefined {
  if (a.status >= 500) return `server error ${describeAnswer(a)}`;
  if (rule.allow === 'signature') return undefined; // compared across identities by the caller
  const allowed = rule.allow.includes(who);
  if (!allowed) return keptOut(who, a) ? undefined : `LEAK: not allowed, got ${describeAnswer(a)}`;
  if (a.status === 404 && rule.missing) return undefined;
  return keptOut(who, a) ? `allowed but kept out: ${describeAnswer(a)}` : undefined;
}

// ---------------------------------------------------------------------------------------------

describe('route matrix: who may use which address', function () {
  const pausedBefore = new Map<string, boolean>();
  // PUT …/queues/pause pauses every queue: put each back as it was while the services are open.
  const scene = inProcessWeb({
    beforeClose: async ({ web }) => {
      for (const queue of Object.values(web.services.queues)) {
        const was = pausedBefore.get(queue.name);
        if (was === undefined) continue;
        if (was && !(await queue.isPaused())) await queue.pause();
        if (!was && (await queue.isPaused())) await queue.resume();
      }
    },
  });
  const clients = new Map<Identity, Client>();
  const credentials = new Map<Identity, { login: string; password: string }>();
  const fixtures = {} as Fixtures;
  let mounted: MountedRoute[] = [];
  let spareDocument: StoredDocument | undefined;
  let assistantId: string | undefined;

  const anonymousClient = async () => {
    const client = new Client(scene.base);
    const session = await client.get<{ csrfToken: string }>('/api/session');
    client.csrfToken = session.body.csrfToken;
    return client;
  };
  const signedIn = async (who: Identity) => {
    if (who === 'anonymous') return anonymousClient();
    const client = new Client(scene.base);
    const { login, password } = credentials.get(who)!;
    const reply = await client.signIn(login, password);
    expect(reply.status, `${who} signs in`).to.equal(200);
    return client;
  };

  before(async function () {
    this.timeout(120_000);
    // The mounted app: express sets req.app on every request it handles.
    let app: { router: { stack: LayerLike[] } } | undefined;
    const grab = (req: { app?: typeof app }) => (app ??= req.app);
    scene.web.http.on('request', grab);
    await fetch(`${scene.base}/healthz`);
    scene.web.http.off('request', grab);
    mounted = mountedRoutes(app!.router);

    const order = (await OrderModel.findOne({ orderNo: DEMO_ORDER_NO }).lean())!;
    const parcel = (await ParcelModel.findOne({ parcelNo: order.parcelNo }).lean())!;
    const xigou = (await ShopModel.findOne({ slug: 'xigou-pepper' }).lean())!;
    const product = (await ProductModel.findOne({ slug: 'dahongpao-sichuan-pepper' }).lean())!;
    const sku = (await SkuModel.findOne({ productId: product._id }).lean())!;
    // The demo session on air (another story may have ended it: the checks stand either way).
    const session = ((await LiveSessionModel.findOne({
      shopId: xigou._id,
      status: 'live',
    }).lean()) ?? (await LiveSessionModel.findOne({ shopId: xigou._id }).lean()))!;
    const hub = (await HubModel.findOne().lean())!;
    const tag = randomBytes(4).toString('hex');

    const {
      _id,
      createdAt: _c,
      updatedAt: _u,
      ...productFields
    } = product as typeof product & {
      createdAt?: Date;
      updatedAt?: Date;
    };
    const spareProduct = await ProductModel.create({
      ...productFields,
      slug: `route-matrix-${tag}`,
      featured: false,
    });
    const spareShop = await ShopModel.create({
      slug: `route-matrix-${tag}`,
      name: { zh: '路由矩阵小店', en: 'Route matrix shop' },
      story: { zh: '只为测试而开。', en: 'Opened for a test.' },
      villageId: xigou.villageId,
      ownerId: new Types.ObjectId(),
      status: 'pending',
    });
    const wave = await WaveModel.create({
      waveNo: `W-RM-${tag}`,
      hubId: hub._id,
      pickupCutoff: '17:30',
      status: 'done',
      createdBy: 'route-matrix',
    });
    spareDocument = await storeDocument(getRuntime().config.DATA_DIR, {
      buffer: Buffer.from('%PDF-1.4\n% route matrix\n%%EOF\n'),
      originalname: 'route-matrix.pdf',
    });
    const certification = await CertificationModel.create({
      shopId: xigou._id,
      kind: 'other',
      number: `RM-${tag}`,
      issuer: '路由矩阵',
      productIds: [product._id],
      validFrom: new Date('2026-01-01T00:00:00+08:00'),
      validTo: new Date('2030-12-31T23:59:59+08:00'),
      certificate: spareDocument,
      status: 'pending',
      submittedBy: xigou.ownerId,
    });

    Object.assign(fixtures, {
      orderNo: order.orderNo,
      parcelNo: parcel.parcelNo,
      manifestNo: parcel.manifestNo!,
      waveNo: wave.waveNo,
      barcode: sku.barcode,
      productId: String(product._id),
      productSlug: product.slug,
      shopSlug: xigou.slug,
      liveSessionId: String(session._id),
      spareProductId: String(spareProduct._id),
      spareShopId: String(spareShop._id),
      certificationId: String(certification._id),
      certificateDocumentId: documentId(spareDocument),
      courierCode: parcel.courierCode!,
      countyTable: 'couriers',
      traceCode: newTraceCode(),
      queueName: scene.web.services.queues.orderExpiry.name,
      missingQueue: 'no-such-queue',
      missingJob: 'no-such-job',
      missingOffer: 'nosuchoffer',
      missingGiveaway: 'nosuchgift',
    } satisfies Fixtures);

    for (const queue of Object.values(scene.web.services.queues))
      pausedBefore.set(queue.name, await queue.isPaused());

    for (const [who, login] of Object.entries(LOGINS))
      credentials.set(who as Identity, { login, password: DEMO_PASSWORD });
    // The Xigou shop's owner invites a new account as 场控, the way the studio does.
    const [assistantLogin] = await createBuyers(1, `rm${tag}`);
    credentials.set('assistant', { login: assistantLogin!, password: BUYER_PASSWORD });
    const owner = await signedIn('streamer');
    const invited = await owner.postForm('/studio/assistants', { login: assistantLogin! });
    expect(invited.status, 'the owner invites an assistant').to.equal(303);
    assistantId = String((await UserModel.findOne({ email: assistantLogin }).lean())!._id);

    for (const who of IDENTITIES) clients.set(who, await signedIn(who));
  });

  after(async function () {
    this.timeout(60_000);
    if (fixtures.spareProductId) await ProductModel.deleteOne({ _id: fixtures.spareProductId });
    if (fixtures.spareShopId) await ShopModel.deleteOne({ _id: fixtures.spareShopId });
    if (fixtures.waveNo) await WaveModel.deleteOne({ waveNo: fixtures.waveNo });
    if (fixtures.certificationId)
      await CertificationModel.deleteOne({ _id: fixtures.certificationId });
    if (spareDocument) await discardDocument(getRuntime().config.DATA_DIR, spareDocument);
    if (assistantId) await UserModel.deleteOne({ _id: assistantId });
  });

  it('has an access rule for every mounted route, and no rule for a route that is not mounted', () => {
    const missing = mounted.filter((r) => !ACCESS[r.key]).map((r) => r.key);
    const stale = Object.keys(ACCESS).filter((key) => !mounted.some((r) => r.key === key));
    expect(
      [
        ...missing.map((key) => `add an access rule for ${key}`),
        ...stale.map((key) => `${key} is in the table but not mounted: remove or correct it`),
      ],
      'route table',
    ).to.deep.equal([]);
  });

  // Sign-outs last: /signout/everywhere ends every session of the person, the shared ones too.
  const ordered = Object.entries(ACCESS).sort(
    ([, a], [, b]) => Number(!!a.endsSession) - Number(!!b.endsSession),
  );
  for (const [key, rule] of ordered) {
    const allowed = rule.allow === 'signature' ? 'a valid signature' : rule.allow.join(', ');
    it(`${key}: ${allowed}`, async () => {
      const route = mounted.find((r) => r.key === key);
      expect(route, `${key} is not mounted`).to.not.equal(undefined);
      const path = fillPath(key, rule, fixtures);
      const answers = await Promise.all(
        IDENTITIES.map(async (who) => {
          const client = rule.endsSession ? await signedIn(who) : clients.get(who)!;
          const method = route!.method === 'ALL' ? 'GET' : route!.method;
          return [who, await ask(client, method, path, rule, fixtures)] as const;
        }),
      );
      const problems: string[] = [];
      for (const [who, answer] of answers) {
        const known = KNOWN_PROBLEMS[key]?.[who];
        if (known) {
          if (answer.status !== known.status)
            problems.push(
              `${who}: known problem (${known.why}) answered ${describeAnswer(answer)} now, not ${known.status}: fixed? remove it from KNOWN_PROBLEMS`,
            );
          continue;
        }
        const problem = judge(who, rule, answer);
        if (problem) problems.push(`${who}: ${problem}`);
      }
      if (rule.allow === 'signature') {
        const statuses = new Set(answers.map(([, a]) => a.status));
        if (statuses.size !== 1)
          problems.push(
            `an unsigned request is answered differently by who sends it: ${answers.map(([who, a]) => `${who} ${a.status}`).join(', ')}`,
          );
      }
      const behind = route!.behind.length ? ` (behind ${route!.behind.join(', ')})` : '';
      const row = answers.map(([who, a]) => `${who} ${describeAnswer(a)}`).join('; ');
      const context = `${route!.method} ${path}${behind}\nanswers: ${row}\n`;
      expect(problems, context).to.deep.equal([]);
    });
  }
});
