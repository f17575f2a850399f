// Untranslated English in what a person reads (issue #12). Every page the app renders is asked
// for in zh-CN, the default, by each kind of person (the list of pages comes from the router, so
// a new page is checked without anyone adding it here), and the text people read is searched for
// Latin words: the page text, the attributes a browser shows or reads aloud (title, placeholder,
// alt, aria-label…), and the labels the page's scripts put on screen. Page states the sweep cannot
// reach (a full cart, forms refused with their reasons, actions refused on the error page) are
// rendered on the way through the real flows and checked the same way. Order timelines get their
// own check: the demo delivered order, orders made through the real flows (checkout, paying,
// cancelling, the hub's picking and packing, the courier's scans), and a throwaway order holding
// one entry of every timeline.* code in the catalogue, on the order page and in the JSON the
// order page's script re-reads.
//
// A word is allowed when it is a code (it has a digit, or is capitals joined by dashes), an
// e-mail address or a link, stands in text marked as not Chinese on purpose (<code>, lang="en",
// the English fields of the bilingual catalogue: see notChineseOnPurpose), or is in ALLOWED below
// with the reason it is not a translation problem. Anything else fails with the page, the word
// and the text around it.
import { randomBytes } from 'node:crypto';
import { REPORT_TABLES } from '../../server/county/county-report.ts';
import { expect } from 'chai';
import { PRODUCT_CATEGORIES, ProductModel } from '../../server/catalogue/product.model.ts';
import { ShopModel } from '../../server/catalogue/shop.model.ts';
import { SkuModel } from '../../server/catalogue/sku.model.ts';
import { QUEUE_DASHBOARD_PATH } from '../../server/app/queue-dashboard.ts';
import { createI18n } from '../../server/core/i18n/index.ts';
import { BatchModel } from '../../server/hub/batch.model.ts';
import { CourierModel } from '../../server/hub/courier.model.ts';
import { ParcelModel } from '../../server/hub/parcel.model.ts';
import { LiveSessionModel } from '../../server/live/live-session.model.ts';
import { parseInput } from '../../server/core/validation.ts';
import { startGiveawayInput } from '../../server/promotions/giveaway-terms.ts';
import { newOrderNo } from '../../server/orders/order-numbers.ts';
import { OrderModel, ORDER_STATUSES, type Order } from '../../server/orders/order.model.ts';
import { DEMO_PASSWORD } from '../../server/seed/demo-county.ts';
import { DEMO_ORDER_NO } from '../../server/seed/demo-delivered-parcel.ts';
import { CertificationModel } from '../../server/trace/certification.model.ts';
import { TraceCodeModel } from '../../server/trace/trace-code.model.ts';
import { documentId } from '../../server/trace/uploads.ts';
import { Client, DEMO_ADDRESS } from '../support/http-client.ts';
import { courierEvent, startWaveFor, unitBarcodes } from '../support/hub-flow.ts';
import { eventually } from '../support/processes.ts';
import { scaled, TIMEOUTS } from '../support/timeouts.ts';
import { inProcessWeb } from '../support/web-scene.ts';

// ---------------------------------------------------------------------------------------------
// What may stand in Chinese text. Words of one or two letters (kg, g, ml, No) are never flagged;
// the language switch ("English") is marked lang="en" and left out with all text so marked (see
// notChineseOnPurpose).

// Only what some page needs today: an entry no page uses would let that word through unseen.
const ALLOWED: ReadonlyMap<string, string> = new Map([
  ['Cunbo', 'the brand, written in Latin letters'],
  ['Stripe', 'the payment provider’s name (timeline.methods.stripe, the pay page)'],
  ['EMS', 'China Post’s express brand, written so in Chinese too (邮政 EMS)'],
  ['PDF', 'file format, written so in Chinese too (检测报告（PDF/图片）)'],
  ['CSV', 'file format (批量导入 (CSV))'],
  ['JPG', 'image format (商品照片 JPG / PNG / WebP)'],
  ['PNG', 'image format'],
  ['WebP', 'image format'],
  ['HLS', 'the streaming format the live form asks for (HLS .m3u8 或观看链接)'],
]);

/** Codes: a digit anywhere (CB26101500000001, HJ-DHP-TJ-250, 250g), or capitals with dashes. */
const isCode = (token: string) => /\d/.test(token) || /^[A-Z]+(?:-[A-Z]+)+$/.test(token);
const EMAIL = /[\w.+-]+@[\w-]+(?:\.[\w-]+)+/g;
const LINK = /\b(?:https?:\/\/|www\.)[^\s"'<>，。、）)]*/g;
/** An address on this site, as the 404 page names it (/documents/…). */
const SITE_PATH = /(?<=^|[\s：:（(“"])\/[A-Za-z0-9_\-./%?=&~]+/g;
/** i18next placeholders in the label tables, which the page's script fills in ({{seconds}}). */
const PLACEHOLDER = /\{\{\s*\w+\s*\}\}/g;
/** Words, with the dashes, dots and underscores that join the parts of a code or an i18n key. */
const TOKEN = /[A-Za-z0-9_]+(?:[-.'’][A-Za-z0-9_]+)*/g;

// ---------------------------------------------------------------------------------------------
// Reading a page as a person does.

/** A stretch of text a person reads, and where on the page it is. */
interface Piece {
  text: string;
  where: string;
}

/** Attributes a browser shows (tooltip, placeholder, a missing image) or a screen reader reads. */
const READ_ATTRIBUTES = new Set([
  'title',
  'placeholder',
  'alt',
  'label',
  'aria-label',
  'aria-description',
  'aria-roledescription',
  'aria-valuetext',
  'aria-placeholder',
]);
/** `value` is the caption of these inputs. */
const BUTTON_INPUTS = new Set(['submit', 'button', 'reset']);

const NAMED_ENTITIES: Record<string, string> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  nbsp: ' ',
  middot: '·',
  times: '×',
  yen: '¥',
  hellip: '…',
  mdash: '—',
  ndash: '–',
  rarr: '→',
  larr: '←',
  copy: '©',
};

function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, name: string) => {
    if (name[0] === '#')
      return String.fromCodePoint(
        name[1] === 'x' || name[1] === 'X' ? parseInt(name.slice(2), 16) : Number(name.slice(1)),
      );
    // An entity this table lacks is a symbol, never a word to report.
    return NAMED_ENTITIES[name.toLowerCase()] ?? (/^[a-z]+$/i.test(name) ? ' ' : whole);
  });
}

function attributesOf(source: string): Map<string, string> {
  const found = new Map<string, string>();
  for (const m of source.matchAll(
    /([^\s"'>/=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?/g,
  ))
    found.set(m[1]!.toLowerCase(), decodeEntities(m[2] ?? m[3] ?? m[4] ?? ''));
  return found;
}

/** Every string in a JSON value (the label tables that pages hand their scripts). */
function jsonStrings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(jsonStrings);
  if (value && typeof value === 'object') return Object.values(value).flatMap(jsonStrings);
  return [];
}

/** Elements without a closing tag. */
const VOID = new Set([
  'area',
  'base',
  'br',
  'col',
  'embed',
  'hr',
  'img',
  'input',
  'link',
  'meta',
  'source',
  'track',
  'wbr',
]);

/**
 * Text that is not Chinese on purpose, with everything inside it:
 * - <code>, <kbd>, <samp>: a literal to type or match (a courier's code beside its name, the
 *   field of a CSV row) — the views' own convention for identifiers;
 * - an element whose `lang` is not Chinese: the language switch (`lang="en"`, "English");
 * - the English side of the bilingual catalogue: form fields named `…_en` (title_en, spec_en,
 *   story_en…), which hold and ask for English text.
 */
function notChineseOnPurpose(tag: string, attrs: Map<string, string>): boolean {
  if (['code', 'kbd', 'samp'].includes(tag)) return true;
  const lang = attrs.get('lang');
  if (lang !== undefined && !/^zh\b/i.test(lang)) return true;
  return ['input', 'textarea', 'select'].includes(tag) && /_en$/.test(attrs.get('name') ?? '');
}

/**
 * The text of a page as read: comments, <style> and <template> dropped; <script> dropped except
 * the JSON label tables (`<script type="application/json" id="…-labels">`) whose strings the
 * page's scripts show; tags become spaces; the read attributes and `data-labels` (the status
 * names the order pages' scripts show) come out as pieces of their own.
 */
function readableText(html: string): Piece[] {
  const pieces: Piece[] = [];
  let body = html.replace(/<!--[\s\S]*?-->/g, ' ').replace(/<![^>]*>/g, ' ');
  body = body.replace(
    /<script\b([^>]*)>([\s\S]*?)<\/script\s*>/gi,
    (_, attrSource: string, content: string) => {
      const attrs = attributesOf(attrSource);
      if (attrs.get('type') === 'application/json' && /labels$/.test(attrs.get('id') ?? ''))
        for (const text of jsonStrings(JSON.parse(content)))
          pieces.push({ text, where: `<script id="${attrs.get('id')}"> label` });
      return ' ';
    },
  );
  body = body.replace(/<(style|template)\b[^>]*>[\s\S]*?<\/\1\s*>/gi, ' ');
  let text = '';
  let at = 0;
  /** Inside an element left out (see notChineseOnPurpose): its name and nesting depth. */
  let skip: { tag: string; depth: number } | undefined;
  for (const m of body.matchAll(/<(\/?)([a-zA-Z][^\s/>]*)([^>]*)>/g)) {
    if (!skip) text += `${body.slice(at, m.index)} `;
    at = m.index + m[0].length;
    const [, closing, name, attrSource] = m;
    const tag = name!.toLowerCase();
    if (skip) {
      if (tag === skip.tag) skip.depth += closing ? -1 : 1;
      if (skip.depth === 0) skip = undefined;
      continue;
    }
    if (closing) continue;
    const attrs = attributesOf(attrSource!);
    if (notChineseOnPurpose(tag, attrs)) {
      if (!VOID.has(tag) && !attrSource!.trim().endsWith('/')) skip = { tag, depth: 1 };
      continue;
    }
    for (const [attr, value] of attrs) {
      if (READ_ATTRIBUTES.has(attr) && value.trim())
        pieces.push({ text: value, where: `<${tag} ${attr}>` });
      if (attr === 'data-labels')
        for (const label of jsonStrings(JSON.parse(value)))
          pieces.push({ text: label, where: `<${tag} data-labels> label` });
    }
    const type = (attrs.get('type') ?? '').toLowerCase();
    if (tag === 'input' && BUTTON_INPUTS.has(type) && attrs.get('value'))
      pieces.push({ text: attrs.get('value')!, where: `<input type=${type}> value` });
  }
  if (!skip) text += body.slice(at);
  pieces.unshift({ text: decodeEntities(text), where: 'text' });
  return pieces;
}

interface Word {
  word: string;
  where: string;
  context: string;
  hint: string;
}

function hintFor(token: string): string {
  if (/^[a-z][A-Za-z]*(?:\.[A-Za-z_]+)+$/.test(token))
    return 'an i18n key shown as it is: no zh-CN entry';
  if (token.includes('_')) return 'an internal code or enum value shown untranslated';
  if (/^[A-Z]{2,}$/.test(token)) return 'an abbreviation or code: name it in Chinese';
  return '';
}

/** The words in these pieces that are neither allowed nor codes. */
function englishWords(pieces: Piece[]): Word[] {
  const words: Word[] = [];
  for (const { text, where } of pieces) {
    const flat = text.replace(/\s+/g, ' ');
    const masked = [EMAIL, LINK, SITE_PATH, PLACEHOLDER].reduce(
      (t, pattern) => t.replace(pattern, (m) => ' '.repeat(m.length)),
      flat,
    );
    for (const m of masked.matchAll(TOKEN)) {
      const token = m[0];
      // A file's extension (检测报告.pdf) belongs to its name.
      if (isCode(token) || masked[m.index - 1] === '.') continue;
      const runs = token.match(/[A-Za-z]{3,}/g) ?? [];
      if (runs.every((run) => ALLOWED.has(run))) continue;
      const at = m.index;
      const context = `${at > 30 ? '…' : ''}${flat.slice(Math.max(0, at - 30), at + token.length + 30).trim()}${at + token.length + 30 < flat.length ? '…' : ''}`;
      words.push({ word: token, where, context, hint: hintFor(token) });
    }
  }
  return words;
}

interface Tracking {
  courierName: string;
  events: { kind?: string; label: string; location?: string; note?: string }[];
}

// ---------------------------------------------------------------------------------------------
// Findings, kept once per word and place however many pages show them.

interface Finding extends Word {
  pages: Set<string>;
}

class Findings {
  private readonly byKey = new Map<string, Finding>();

  add(page: string, words: Word[]): void {
    for (const w of words) {
      // The same word in the same sentence, however the page around it differs (the nav of
      // each kind of person): a dozen characters either side.
      const at = w.context.indexOf(w.word);
      const near = w.context.slice(Math.max(0, at - 12), at + w.word.length + 12);
      const key = `${w.where}\u0000${w.word}\u0000${near}`;
      const found = this.byKey.get(key) ?? { ...w, pages: new Set<string>() };
      found.pages.add(page);
      this.byKey.set(key, found);
    }
  }

  get size(): number {
    return this.byKey.size;
  }

  /** Grouped by the first page that shows each word. */
  report(): string {
    const byPage = new Map<string, Finding[]>();
    for (const f of this.byKey.values()) {
      const first = [...f.pages][0]!;
      byPage.set(first, [...(byPage.get(first) ?? []), f]);
    }
    const lines: string[] = [];
    for (const [page, found] of byPage) {
      lines.push(page);
      for (const f of found) {
        const others = f.pages.size > 1 ? ` (also on ${f.pages.size - 1} more page(s))` : '';
        const hint = f.hint ? ` — ${f.hint}` : '';
        lines.push(`    ${JSON.stringify(f.word)} in ${f.where}: «${f.context}»${hint}${others}`);
      }
    }
    return lines.join('\n');
  }
}

// ---------------------------------------------------------------------------------------------
// The people and the router.

const PEOPLE = ['anonymous', 'buyer', 'streamer', 'hubStaff', 'admin'] as const;
type Person = (typeof PEOPLE)[number];
const LOGINS: Record<Exclude<Person, 'anonymous'>, string> = {
  buyer: '13800000001', // 陈晓: owns the demo delivered order
  streamer: '13900000001', // 申小花, xigou-pepper: sold that order, runs the live session on air
  hubStaff: '13600000001', // 仓库·刘师傅
  admin: '13700000000',
};

interface LayerLike {
  rawPath?: unknown;
  route?: { path: unknown; methods: Record<string, boolean> };
  handle: { stack?: LayerLike[]; router?: { stack?: LayerLike[] } };
}

/** Every GET path of the app's router, nested routers and mounted apps included. */
function getPaths(router: { stack: LayerLike[] }): string[] {
  const found = new Set<string>();
  const join = (prefix: string, raw: unknown) => (raw === '/' ? prefix : `${prefix}${String(raw)}`);
  const walk = (stack: LayerLike[], prefix: string) => {
    for (const layer of stack) {
      if (layer.route) {
        if (layer.route.methods.get || layer.route.methods._all)
          for (const raw of [layer.route.path].flat()) found.add(join(prefix, raw) || '/');
        continue;
      }
      const nested = layer.handle.stack ?? layer.handle.router?.stack;
      if (nested) for (const raw of [layer.rawPath ?? '/'].flat()) walk(nested, join(prefix, raw));
    }
  };
  walk(router.stack, '');
  return [...found];
}

/**
 * Left out: bull-board's queue dashboard is a third-party React app in English only (its own UI
 * cannot be translated from here); the admin reaches it from a Chinese nav link.
 */
const NOT_OURS = (path: string) =>
  path === QUEUE_DASHBOARD_PATH || path.startsWith(`${QUEUE_DASHBOARD_PATH}/`);

// ---------------------------------------------------------------------------------------------

interface Answer {
  who: Person;
  path: string;
  status: number;
  type: string;
  location: string;
  body: string;
}

const isPage = (a: Answer) => a.type.startsWith('text/html');

/** What a person reads of an answer: a page, or the message a page's script shows from JSON. */
function shownOf(a: Answer): Piece[] {
  if (isPage(a)) return readableText(a.body);
  const { error } = JSON.parse(a.body) as { error?: { message?: string } };
  return [{ text: error?.message ?? '', where: 'JSON error.message' }];
}
/** A redirect's body ("See Other. Redirecting to …") is never shown: the browser moves on. */
const isRead = (a: Answer) => isPage(a) && (a.status < 300 || a.status >= 400);

describe('untranslated English in what a person reads (zh-CN)', function () {
  const scene = inProcessWeb({
    workers: true, // routing the parcel of the order paid below
    beforeClose: async ({ web }) => {
      await web.services.trace.forgive('127.0.0.1');
      await web.services.trace.forgive('::ffff:127.0.0.1');
    },
  });
  const clients = new Map<Person, Client>();
  /** Pages rendered on the way (a full cart, a refused form): states the GET sweep cannot reach. */
  const onTheWay: { label: string; answer: Answer }[] = [];
  /** Answers of a route taken on the way, for routes whose object the sweep finds in another state. */
  const answeredOnTheWay = new Map<string, Answer[]>();
  /** Route parameters, by name or by route (`:id`, `:slug`, `:code` differ), and query strings. */
  const values: Record<string, string[]> = {};
  const valuesByRoute: Record<string, Record<string, string[]>> = {};
  const queries: Record<string, string[]> = {};
  const flowOrders: string[] = [];
  let throwaway: { orderNo: string; codes: string[] }[] = [];
  let paths: string[] = [];

  async function ask(who: Person, path: string, init: RequestInit = {}): Promise<Answer> {
    const client = clients.get(who)!;
    const headers: Record<string, string> = {
      cookie: client.cookieHeader(),
      accept: path.startsWith('/api/') ? 'application/json' : 'text/html',
      ...(init.headers as Record<string, string> | undefined),
    };
    if (init.method && init.method !== 'GET') headers['x-csrf-token'] = client.csrfToken;
    for (let attempt = 1; ; attempt++) {
      const res = await fetch(`${scene.base}${path}`, { ...init, headers, redirect: 'manual' });
      const body = await res.text();
      // 503 is "the store is saturated, try again" (a busy machine), not an answer.
      if (res.status !== 503 || attempt === 3)
        return {
          who,
          path,
          status: res.status,
          type: res.headers.get('content-type') ?? '',
          location: res.headers.get('location') ?? '',
          body,
        };
      await new Promise((resolve) => setTimeout(resolve, 1000 * attempt));
    }
  }

  /** A form as the browser sends it, CSRF token included. */
  const postForm = (who: Person, path: string, form: Record<string, string>) =>
    ask(who, path, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ _csrf: clients.get(who)!.csrfToken, ...form }).toString(),
    });

  const postFile = (who: Person, path: string, field: string, name: string, content: string) => {
    const form = new FormData();
    form.append('_csrf', clients.get(who)!.csrfToken);
    form.append(field, new Blob([content], { type: 'text/csv' }), name);
    return ask(who, `${path}?_csrf=${encodeURIComponent(clients.get(who)!.csrfToken)}`, {
      method: 'POST',
      body: form,
    });
  };

  const keep = (label: string, answer: Answer) => {
    const json = answer.type.startsWith('application/json');
    expect(isRead(answer) || json, `${label}: ${answer.status} ${answer.type}`).to.equal(true);
    onTheWay.push({ label, answer });
  };

  /** The buyer buys one bag of pepper through the cart and the checkout form. */
  const checkout = async (label: string, { keepPages = false } = {}) => {
    const sku = (await SkuModel.findOne({ code: 'HJ-DHP-TJ-250' }).lean())!;
    const added = await postForm('buyer', '/cart/add', {
      productSlug: 'dahongpao-sichuan-pepper',
      skuId: String(sku._id),
      quantity: '1',
    });
    expect(added.status, 'added to the cart').to.equal(303);
    const key = `untranslated-${randomBytes(8).toString('hex')}`;
    if (keepPages) {
      keep('GET /cart (one line in it)', await ask('buyer', '/cart'));
      keep('GET /checkout (one line to pay)', await ask('buyer', '/checkout'));
      keep(
        'POST /checkout refused: no address',
        await postForm('buyer', '/checkout', { idempotencyKey: key }),
      );
    }
    const placed = await postForm('buyer', '/checkout', {
      idempotencyKey: key,
      ...DEMO_ADDRESS,
    });
    expect(placed.status, `checkout (${label})`).to.equal(303);
    const orderNo = placed.location.split('/').pop()!;
    flowOrders.push(orderNo);
    return orderNo;
  };

  before(async function () {
    this.timeout(120_000);
    await scene.web.services.trace.forgive('127.0.0.1');
    await scene.web.services.trace.forgive('::ffff:127.0.0.1');
    let app: { router: { stack: LayerLike[] } } | undefined;
    const grab = (req: { app?: typeof app }) => (app ??= req.app);
    scene.web.http.on('request', grab);
    await fetch(`${scene.base}/healthz`);
    scene.web.http.off('request', grab);
    paths = getPaths(app!.router).filter((p) => !NOT_OURS(p));

    for (const who of PEOPLE) {
      const client = new Client(scene.base);
      if (who === 'anonymous') {
        const session = await client.get<{ csrfToken: string }>('/api/session');
        client.csrfToken = session.body.csrfToken;
      } else {
        // 503: the store is saturated (a busy machine); sign in again, as ask() does.
        let reply = await client.signIn(LOGINS[who], DEMO_PASSWORD);
        for (let attempt = 1; reply.status === 503 && attempt < 3; attempt++) {
          await new Promise((resolve) => setTimeout(resolve, 1000 * attempt));
          reply = await client.signIn(LOGINS[who], DEMO_PASSWORD);
        }
        expect(reply.status, `${who} signs in`).to.equal(200);
      }
      clients.set(who, client);
    }

    // ---- orders through the real flows (the buyer's cart, checkout, paying, the hub) ----
    const paid = await checkout('paid', { keepPages: true });
    keep('GET /orders/:orderNo (waiting for payment)', await ask('buyer', `/orders/${paid}`));
    keep('GET /orders/:orderNo/pay', await ask('buyer', `/orders/${paid}/pay`));
    const local = await postForm('buyer', `/orders/${paid}/pay/local`, { method: 'alipay' });
    expect(local.status, 'paid on the local pay page').to.equal(303);
    const cancelled = await checkout('cancelled');
    expect((await postForm('buyer', `/orders/${cancelled}/cancel`, {})).status).to.equal(303);
    const pending = await checkout('left unpaid'); // its pay page is in the sweep

    const parcelNo = await eventually(async () => {
      const o = await OrderModel.findOne({ orderNo: paid }).lean();
      return o?.status === 'routed' ? o.parcelNo : undefined;
    }, TIMEOUTS.orderRouted);
    const staff = clients.get('hubStaff')!;
    const waveNo = await startWaveFor(staff, parcelNo!);
    keep(
      'GET /hub/waves/:waveNo (one parcel to pick)',
      await ask('hubStaff', `/hub/waves/${waveNo}`),
    );
    keep(
      'GET /hub/parcels/:parcelNo (being picked)',
      await ask('hubStaff', `/hub/parcels/${parcelNo}`),
    );
    for (const barcode of await unitBarcodes(parcelNo!)) {
      expect((await staff.post(`/api/hub/waves/${waveNo}/pick`, { barcode })).status).to.equal(200);
      expect((await staff.post(`/api/hub/parcels/${parcelNo}/pack`, { barcode })).status).to.equal(
        200,
      );
    }
    const weighed = await postForm('hubStaff', `/hub/parcels/${parcelNo}/weight`, {
      weight_grams: '420',
    });
    expect(weighed.status, 'weighed').to.equal(303);
    // Labels print while the parcel waits for its courier; by the sweep it is delivered.
    answeredOnTheWay.set('/hub/parcels/:parcelNo/label.pdf', [
      await ask('hubStaff', `/hub/parcels/${parcelNo}/label.pdf`),
    ]);
    keep(
      'GET /hub/parcels/:parcelNo?packed=1',
      await ask('hubStaff', `/hub/parcels/${parcelNo}?packed=1`),
    );
    keep('GET /hub (a parcel waiting for its courier)', await ask('hubStaff', '/hub'));
    const parcel = (await ParcelModel.findOne({ parcelNo }).lean())!;
    const signed = await postForm('hubStaff', `/hub/manifests/${parcel.courierCode}/sign-off`, {
      collector: '王师傅',
    });
    expect(signed.status, 'manifest signed off').to.equal(303);
    keep('GET /hub after a sign-off', await ask('hubStaff', signed.location));
    for (const kind of ['collected', 'delivered'])
      expect(
        (await courierEvent(scene.web, parcel.courierCode!, parcel.waybillNo!, kind)).status,
      ).to.equal(200);

    // ---- forms refused and shown again with the reason (validation messages) ----
    keep(
      'POST /signin refused',
      await postForm('anonymous', '/signin', { login: '', password: '' }),
    );
    keep('POST /signup refused', await postForm('anonymous', '/signup', { login: 'x' }));
    keep('POST /shops/new refused', await postForm('buyer', '/shops/new', {}));
    keep('POST /studio/products refused', await postForm('streamer', '/studio/products', {}));
    keep('POST /studio/live refused', await postForm('streamer', '/studio/live', {}));
    keep(
      'POST /studio/certifications refused',
      await postForm('streamer', '/studio/certifications', {}),
    );
    keep(
      'POST /studio/import with a bad row',
      await postFile('streamer', '/studio/import', 'file', '导入.csv', 'product_slug\nno-such\n'),
    );
    keep('POST /hub/batches refused', await postForm('hubStaff', '/hub/batches', {}));
    keep(
      'POST /admin/couriers/rate-cards with a bad file',
      await postFile('admin', '/admin/couriers/rate-cards', 'file', '运价.csv', 'courier\nSF\n'),
    );

    // ---- actions refused on the delivered demo order: the error page, the scanner's answer ----
    const demoParcelNo = (await OrderModel.findOne({ orderNo: DEMO_ORDER_NO }).lean())!.parcelNo!;
    keep(
      'POST /orders/:orderNo/cancel refused (delivered)',
      await postForm('buyer', `/orders/${DEMO_ORDER_NO}/cancel`, {}),
    );
    keep(
      'POST /hub/parcels/:parcelNo/void refused (delivered)',
      await postForm('hubStaff', `/hub/parcels/${demoParcelNo}/void`, {}),
    );
    const scan = { barcode: (await SkuModel.findOne({ code: 'HJ-DHP-TJ-250' }).lean())!.barcode };
    keep(
      'POST /api/hub/parcels/:parcelNo/pack refused (hub-live.js shows error.message)',
      await ask('hubStaff', `/api/hub/parcels/${demoParcelNo}/pack`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(scan),
      }),
    );

    // ---- route parameters: real demo objects, and what the flows above made ----
    const demo = (await OrderModel.findOne({ orderNo: DEMO_ORDER_NO }).lean())!;
    const demoParcel = (await ParcelModel.findOne({ parcelNo: demo.parcelNo }).lean())!;
    const xigou = (await ShopModel.findOne({ slug: 'xigou-pepper' }).lean())!;
    const products = await ProductModel.find({}, { slug: 1, shopId: 1 }).lean();
    const shops = await ShopModel.find({}, { slug: 1 }).lean();
    const sessions = await LiveSessionModel.find({ shopId: xigou._id }, { _id: 1 }).lean();
    // The demo's replay, and a lucky bag drawn in the session on air (its public record).
    const replays = await LiveSessionModel.find(
      { replayUrl: { $exists: true } },
      { _id: 1 },
    ).lean();
    const onAir = (await LiveSessionModel.findOne({ shopId: xigou._id, status: 'live' }).lean())!;
    const bag = await scene.web.services.live.startGiveaway(
      { id: '64b000000000000000000001', role: 'admin', displayName: '县电商中心' },
      parseInput(startGiveawayInput, {
        sessionId: String(onAir._id),
        prize: 'coupon',
        off_yuan: '3',
        min_yuan: '30',
        winners: '2',
        entry: 'tap',
        duration_s: '60',
      }),
    );
    await scene.web.services.giveaways.draw(bag.giveawayId, { now: true });
    // The parcel's own code (the label's QR) and one line's, of the demo and the flow parcels.
    const codes = await TraceCodeModel.find({
      parcelNo: { $in: [demo.parcelNo!, parcelNo!] },
    }).lean();
    const certifications = await CertificationModel.find({}, { certificate: 1 }).lean();
    const batch = (await BatchModel.findOne({}, { batchNo: 1 }).lean())!;
    const reports = await BatchModel.find({ 'qc.reportDocumentId': { $exists: true } }, { qc: 1 })
      .limit(2)
      .lean();
    Object.assign(values, {
      orderNo: [DEMO_ORDER_NO, paid, cancelled, pending],
      parcelNo: [demoParcel.parcelNo, parcelNo!],
      waveNo: [waveNo],
      courier: [demoParcel.courierCode!],
      format: ['pdf', 'csv'],
      month: [new Date().toISOString().slice(0, 7)],
      table: [...REPORT_TABLES],
    });
    const xigouProducts = products.filter((p) => String(p.shopId) === String(xigou._id));
    Object.assign(valuesByRoute, {
      '/p/:slug': { slug: products.map((p) => p.slug) },
      '/s/:slug': { slug: shops.map((s) => s.slug) },
      '/studio/products/:id': { id: xigouProducts.map((p) => String(p._id)) },
      '/live/:id': { id: sessions.map((s) => String(s._id)) },
      '/live/:id/replay': { id: replays.map((s) => String(s._id)) },
      '/giveaways/:giveawayId': { giveawayId: [bag.giveawayId] },
      '/studio/live/:id': { id: sessions.map((s) => String(s._id)) },
      '/t/:code': { code: codes.map((c) => c.code) },
      '/documents/:id': {
        id: [
          ...certifications.map((c) => documentId(c.certificate)),
          ...reports.map((b) => String(b.qc!.reportDocumentId)),
        ],
      },
    });
    Object.assign(queries, {
      '/search': [
        '?q=%E8%8A%B1%E6%A4%92',
        '',
        `?category=${PRODUCT_CATEGORIES[0]}`,
        '?q=%E6%B2%A1%E6%9C%89',
      ],
      '/p/:slug': ['', '?added=1'],
      '/studio': ['', '?invited=1'],
      '/studio/certifications': ['', '?submitted=1'],
      '/admin/couriers': ['', '?saved=1'],
      '/county': [
        '',
        '?range=week&sort=repeat',
        '?range=custom&from=2026-11-01&to=2026-11-30',
        '?range=custom&from=2026-02-30&to=2026-03-01',
      ],
      '/hub': ['', `?received=${encodeURIComponent(batch.batchNo)}`],
      '/hub/batches': ['', '?result=passed', '?result=failed'],
      '/hub/manifests/:courier.:format': [`?no=${encodeURIComponent(demoParcel.manifestNo!)}`],
    });

    throwaway = await throwawayOrders(demo, demoParcel.waybillNo!);
    values.orderNo!.push(...throwaway.map((o) => o.orderNo));
  });

  after(async () => {
    if (throwaway.length)
      await OrderModel.deleteMany({ orderNo: { $in: throwaway.map((o) => o.orderNo) } });
  });

  /** Every filled path of a route pattern, with its query variants. */
  function filled(pattern: string): string[] {
    let out = [pattern.replace(/[{}]/g, '')];
    for (const [, name] of pattern.matchAll(/[:*](\w+)/g)) {
      const options = valuesByRoute[pattern]?.[name!] ?? values[name!];
      if (!options?.length) throw new Error(`${pattern}: no value for :${name}`);
      out = out.flatMap((p) =>
        options.map((v) => p.replace(new RegExp(`[:*]${name}\\b`), encodeURIComponent(v))),
      );
    }
    // The first query is asked on every path; the others (page states) on the first path only.
    const [first = '', ...others] = queries[pattern] ?? [];
    return [...out.map((p) => `${p}${first}`), ...others.map((q) => `${out[0]}${q}`)];
  }

  const findings = new Findings();
  const answers = new Map<string, Answer[]>();

  it('sweeps every page the router serves, as each kind of person', async function () {
    this.timeout(90_000);
    // A few at a time, as a handful of people browsing at once.
    const browse = async (asks: { pattern: string; path: string; who: Person }[]) => {
      let next = 0;
      const one = async () => {
        for (let i = next++; i < asks.length; i = next++) {
          const { pattern, path, who } = asks[i]!;
          answers.get(pattern)!.push(await ask(who, path));
        }
      };
      await Promise.all(Array.from({ length: 6 }, one));
    };
    const filledPaths = new Map(paths.map((pattern) => [pattern, filled(pattern)]));
    for (const pattern of paths) answers.set(pattern, []);
    // Each page as everyone; its other parameter values and states (other data on the same page)
    // as the first person who could open it, or everyone if nobody could.
    await browse(
      paths.flatMap((pattern) =>
        PEOPLE.map((who) => ({ pattern, path: filledPaths.get(pattern)![0]!, who })),
      ),
    );
    await browse(
      paths.flatMap((pattern) => {
        const got = answers.get(pattern)!;
        const opened = PEOPLE.find((who) => got.some((a) => a.who === who && a.status < 300));
        return filledPaths
          .get(pattern)!
          .slice(1)
          .flatMap((path) => (opened ? [opened] : PEOPLE).map((who) => ({ pattern, path, who })));
      }),
    );
    // A route nobody could open was not checked: give it real parameters above.
    const unchecked = [...answers]
      .map(
        ([pattern, got]) => [pattern, [...got, ...(answeredOnTheWay.get(pattern) ?? [])]] as const,
      )
      .filter(([, got]) => !got.some((a) => a.status < 300 || (!isPage(a) && a.status < 500)))
      .map(
        ([pattern, got]) =>
          `${pattern}: ${[...new Set(got.map((a) => `${a.who} ${a.status}`))].join(', ')}`,
      );
    const broken = [...answers.values()]
      .flat()
      .filter((a) => a.status >= 500 && a.path !== '/readyz')
      .map((a) => `${a.who} GET ${a.path}: ${a.status}`);
    expect([...unchecked, ...broken], 'routes that no one could open').to.deep.equal([]);
  });

  it('no page shows untranslated English in zh-CN', function () {
    // The pages are fetched by the test before; none fetched is a failure here, never a skip.
    expect(answers.size, 'pages fetched by the test before this one').to.be.above(0);
    for (const got of answers.values())
      for (const a of got.filter(isRead))
        findings.add(`GET ${a.path} [${a.status}, ${a.who}]`, englishWords(readableText(a.body)));
    for (const { label, answer } of onTheWay)
      findings.add(`${label} [${answer.status}, ${answer.who}]`, englishWords(shownOf(answer)));
    const pages = [...answers.values()].flat().filter(isRead).length + onTheWay.length;
    expect(
      findings.size,
      `${findings.size} untranslated word(s) on ${pages} pages checked:\n${findings.report()}\n`,
    ).to.equal(0);
  });

  it('every timeline entry reads in Chinese, on the order page and in its live update', async function () {
    this.timeout(scaled(30_000));
    const found = new Findings();
    const orders = [DEMO_ORDER_NO, ...flowOrders, ...throwaway.map((o) => o.orderNo)];
    for (const orderNo of orders) {
      const page = await ask('buyer', `/orders/${orderNo}`);
      expect(page.status, `/orders/${orderNo}`).to.equal(200);
      const list = /<ol class="timeline" data-testid="timeline">([\s\S]*?)<\/ol>/.exec(page.body);
      expect(list, `the timeline of ${orderNo}`).to.not.equal(null);
      const stored = (await OrderModel.findOne({ orderNo }).lean())!;
      expect(list![1]!.match(/<li>/g)?.length ?? 0, `entries of ${orderNo}`).to.equal(
        stored.timeline.length,
      );
      found.add(`GET /orders/${orderNo} timeline`, englishWords(readableText(list![1]!)));
      const json = await ask('buyer', `/api/orders/${orderNo}`);
      const timeline = (JSON.parse(json.body) as { timeline: { text: string; reason: string }[] })
        .timeline;
      found.add(
        `GET /api/orders/${orderNo} timeline[].text (order-live.js)`,
        englishWords(timeline.map((t) => ({ text: t.text, where: t.reason }))),
      );
      const tracking = await ask('buyer', `/api/orders/${orderNo}/tracking`);
      // What order-live.js puts on the page from it; codes and kinds stay in the script.
      const { tracking: shown } = JSON.parse(tracking.body) as { tracking: Tracking | null };
      const pieces = shown
        ? [
            { text: shown.courierName, where: 'tracking.courierName' },
            ...shown.events.flatMap((e) => [
              { text: e.label, where: `tracking.events[${e.kind}].label` },
              { text: e.location ?? '', where: `tracking.events[${e.kind}].location` },
              { text: e.note ?? '', where: `tracking.events[${e.kind}].note` },
            ]),
          ]
        : [];
      found.add(`GET /api/orders/${orderNo}/tracking (order-live.js)`, englishWords(pieces));
    }
    const made = throwaway.flatMap((o) => o.codes);
    expect(
      timelineCodes().filter((c) => !made.includes(c)),
      'timeline codes with no entry',
    ).to.deep.equal([]);
    expect(found.size, `${found.size} untranslated word(s):\n${found.report()}\n`).to.equal(0);
  });
});

// ---------------------------------------------------------------------------------------------
// The throwaway orders: one entry of every timeline.* code in the zh-CN catalogue, each of its
// parameters filled with what the real code stores there.

type Catalogue = { timeline: Record<string, string | Record<string, string>> };
/** The zh-CN catalogue as the server merges it (zh-CN.json and its <area>.zh-CN.json files). */
const ZH = (await createI18n('zh-CN')).getResourceBundle('zh-CN', 'translation') as Catalogue;

/** `timeline.placed`, …: the codes (the sub-tables channels and methods are their parameters). */
function timelineCodes(): string[] {
  return Object.entries(ZH.timeline)
    .filter(([, text]) => typeof text === 'string')
    .map(([name]) => `timeline.${name}`);
}

/** The status an order moves to with each note (any status would do for the text). */
const STATUS_OF: Record<string, (typeof ORDER_STATUSES)[number]> = {
  placed: 'pending_payment',
  notPaidInTime: 'expired',
  cancelledByBuyer: 'cancelled',
  stockRebuilt: 'cancelled',
  paidWith: 'paid',
  paidLateRefunded: 'refunded',
  paidAfterCancelRefunded: 'refunded',
  paidLateKept: 'paid',
  cancelledBeforePicking: 'cancelled',
  shortPickRefund: 'partially_refunded',
  routed: 'routed',
  picking: 'picking',
  packed: 'packed',
  damagedRefund: 'partially_refunded',
  collected: 'shipped',
  delivered: 'delivered',
  reconfirmed: 'pending_payment',
};

/**
 * Parameter sets for one code: each `{{name}}` of its text filled with what the services store
 * there; `$t(timeline.<table>.{{name}})` once for every entry of that table.
 */
function paramSets(text: string, plain: Record<string, unknown>): Record<string, unknown>[] {
  let sets: Record<string, unknown>[] = [{}];
  const tables = new Map(
    [...text.matchAll(/\$t\(timeline\.(\w+)\.\{\{(\w+)\}\}\)/g)].map((m) => [m[2]!, m[1]!]),
  );
  for (const [, name] of text.matchAll(/\{\{(\w+)\}\}/g)) {
    const table = tables.get(name!);
    const options = table
      ? Object.keys(ZH.timeline[table] as Record<string, string>)
      : [plain[name!] ?? plain[`${name}Fen`]];
    if (options[0] === undefined)
      throw new Error(`no plausible value for {{${name}}} in "${text}"`);
    const key = table || plain[name!] !== undefined ? name! : `${name}Fen`;
    sets = sets.flatMap((s) => options.map((v) => ({ ...s, [key]: v })));
  }
  return sets;
}

async function throwawayOrders(demo: Order, waybill: string) {
  const courier = (await CourierModel.findOne().lean())!;
  const plain: Record<string, unknown> = {
    parcel: demo.parcelNo,
    courier: courier.name, // stored as { zh, en }: shown in the reader's language
    waybill,
    wave: 'W20261016-1730',
    amountFen: 7760, // shown as money: {{amount}}
  };
  const start = Date.now() - 3600_000;
  const timeline = timelineCodes().flatMap((code) =>
    paramSets(ZH.timeline[code.slice('timeline.'.length)] as string, plain).map((params, i) => ({
      at: new Date(start + i * 1000),
      from: null,
      to: STATUS_OF[code.slice('timeline.'.length)] ?? 'paid', // a new code: any status will do
      actor: 'system:untranslated-english-test',
      reason: code,
      ...(Object.keys(params).length ? { params } : {}),
    })),
  );
  // Each status once, so every status's name is shown in a timeline entry too.
  for (const to of ORDER_STATUSES)
    timeline.push({
      at: new Date(),
      from: null,
      to,
      actor: 'system:test',
      reason: 'timeline.placed',
      params: { channel: 'live' },
    });
  const {
    _id,
    createdAt: _c,
    updatedAt: _u,
    ...fields
  } = demo as Order & {
    _id: unknown;
    createdAt?: Date;
    updatedAt?: Date;
  };
  const everything = {
    ...fields,
    orderNo: newOrderNo(),
    idempotencyKey: `${String(demo.buyerId)}:untranslated-${randomBytes(6).toString('hex')}`,
    status: 'delivered',
    // The hub's notice and its address form are shown too.
    hubNotice: 'address_unreachable',
    timeline,
  };
  // A live order placed without an address: the order page asks for one.
  const noAddress = {
    ...fields,
    orderNo: newOrderNo(),
    idempotencyKey: `${String(demo.buyerId)}:untranslated-${randomBytes(6).toString('hex')}`,
    channel: 'live',
    status: 'pending_payment',
    address: undefined,
    parcelNo: undefined,
    payBy: new Date(Date.now() + 3600_000),
    timeline: [
      {
        at: new Date(),
        from: null,
        to: 'pending_payment',
        actor: 'system:untranslated-english-test',
        reason: 'timeline.placed',
        params: { channel: 'live' },
      },
    ],
  };
  await OrderModel.insertMany([everything, noAddress]);
  return [
    { orderNo: everything.orderNo, codes: [...new Set(timeline.map((t) => t.reason))] },
    { orderNo: noAddress.orderNo, codes: ['timeline.placed'] },
  ];
}
