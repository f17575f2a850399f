// What the fuzz suite sends: hostile inputs as fast-check arbitraries, over the routes and socket
// events the running server really has (fuzz-driver.ts sends them and judges the answers).
//
// Field names come from the app itself, read when this module loads: the `name="…"` of every
// view (and which form posts where), the keys of the zod objects in the input, schema and service
// modules, and the body and query keys the routes read. A body is either random (real and random
// keys, any values) or shaped like one of the app's forms or schemas with every field plausible
// but up to two hostile, so that checks past the first field get their turn.
//
// Inputs are plain JSON so that a failing one can be printed and replayed. A value taken from the
// database is a reference, {"@fuzzRef": "pool#index"}, resolved when it is sent, so the same seed
// picks the same records in every freshly seeded test database.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { PROJECT_ROOT } from '../../server/core/config.ts';
import { ADDRESS_FIELDS } from '../../server/orders/order-input.ts';

export const IDENTITIES = ['anonymous', 'buyer', 'streamer', 'hub', 'admin'] as const;
export type Identity = (typeof IDENTITIES)[number];

export type FuzzValue =
  null | boolean | number | string | FuzzValue[] | { [key: string]: FuzzValue };

export interface FuzzFile {
  field: string;
  filename: string;
  contentType: string;
  /** The first bytes, so that a file gets past sniffing by magic number into the real parser. */
  magic: 'pdf' | 'png' | 'jpeg' | 'webp' | 'csv' | 'none';
  bytes: number;
}

export type FuzzBody =
  | { encoding: 'none' }
  | { encoding: 'json'; value: FuzzValue }
  | { encoding: 'form'; fields: [string, FuzzValue][] }
  | { encoding: 'multipart'; fields: [string, FuzzValue][]; files: FuzzFile[] }
  /** Bytes no encoder would make: broken or deeply nested JSON, a content type that lies. */
  | { encoding: 'raw'; contentType: string; text: string };

export interface HttpInput {
  kind: 'http';
  as: Identity;
  method: 'GET' | 'POST';
  /** The route as mounted, e.g. `/orders/:orderNo`. */
  route: string;
  /** Per path parameter: a value (encoded in the URL) or `{raw}`, put in the URL as it is. */
  params: Record<string, FuzzValue>;
  query: [string, FuzzValue][];
  accept: 'default' | 'json' | 'html' | 'any';
  body: FuzzBody;
}

export interface SocketInput {
  kind: 'socket';
  as: Identity;
  event: string;
  /** The emit's arguments; with `ack`, an acknowledgement callback follows them. */
  args: FuzzValue[];
  ack: boolean;
}

export type FuzzInput = HttpInput | SocketInput;

export interface Route {
  method: 'GET' | 'POST';
  path: string;
}

export interface FuzzTargets {
  routes: Route[];
  events: string[];
  /** Names of the pools of real values (`collection.field`, …) the database offers. */
  pools: string[];
}

export const REF_KEY = '@fuzzRef';
export const BYTES_KEY = '@fuzzBytes';

export function ref(pool: string, index: number): FuzzValue {
  return { [REF_KEY]: `${pool}#${index}` };
}

/** An object whose keys, `__proto__` included, are its own properties (as JSON.parse makes). */
export function objectFrom(entries: [string, FuzzValue][]): { [key: string]: FuzzValue } {
  const object: { [key: string]: FuzzValue } = {};
  for (const [key, value] of entries)
    Object.defineProperty(object, key, {
      value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  return object;
}

// ---- what the app calls things -----------------------------------------------------------------

interface Shape {
  fields: string[];
  files: string[];
  multipart: boolean;
}

interface Form extends Shape {
  /** The action with each `{{…}}` as `*`, to compare with a route whose parameters are `*`. */
  action: string;
  method: 'GET' | 'POST';
}

function filesUnder(dir: string, test: (file: string) => boolean): string[] {
  return (readdirSync(dir, { recursive: true }) as string[])
    .filter(test)
    .sort()
    .map((f) => path.join(dir, f));
}

/** A `{{this}}` in a field name stands for a row number. */
function expandName(name: string): string[] {
  return name.includes('{{') ? [0, 1, 2].map((i) => name.replace(/{{[^}]*}}/g, `${i}`)) : [name];
}

/** Every form of every view: where it posts (or, for the scanners, sends JSON) and its fields. */
function viewForms(): Form[] {
  const forms: Form[] = [];
  for (const file of filesUnder(path.join(PROJECT_ROOT, 'views'), (f) => f.endsWith('.hbs'))) {
    // A partial's fields belong to the form that includes it.
    const view = readFileSync(file, 'utf8').replace(/{{>\s*([\w-]+)[^}]*}}/g, (_m, name: string) =>
      readFileSync(path.join(PROJECT_ROOT, 'views', 'partials', `${name}.hbs`), 'utf8'),
    );
    for (const [, attrs, body] of view.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/g)) {
      const target = /\b(?:action|data-scan)="([^"]*)"/.exec(attrs!)?.[1];
      if (!target) continue;
      const fields: string[] = [];
      const files: string[] = [];
      for (const [tag] of body!.matchAll(/<(?:input|select|textarea)\b[^>]*>/g)) {
        const name = /\bname="([^"]+)"/.exec(tag)?.[1];
        if (!name || name === '_csrf') continue;
        (/\btype="file"/.test(tag) ? files : fields).push(...expandName(name));
      }
      const multipart = /multipart\/form-data/.test(attrs!);
      const method = /\bmethod="get"/i.test(attrs!) ? 'GET' : 'POST';
      // `{{#if a}}/x{{else}}/y{{/if}}` posts to either.
      const ifElse = /{{#if [^}]*}}(.*?){{else}}(.*?){{\/if}}/.exec(target);
      const targets = ifElse
        ? [target.replace(ifElse[0], ifElse[1]!), target.replace(ifElse[0], ifElse[2]!)]
        : [target];
      for (const t of targets) {
        const action = t.replace(/\?.*$/, '').replace(/{{[^}]*}}/g, '*');
        forms.push({ action, method, fields: [...new Set(fields)], files, multipart });
      }
    }
  }
  return forms;
}

/** The keys of the object literal `block` (`{…}`): at its top level only, or at any depth. */
function objectKeys(block: string, topLevelOnly: boolean): string[] {
  const keys: string[] = [];
  const open: string[] = [];
  let quote = '';
  let expectKey = false;
  for (let i = 0; i < block.length; i++) {
    const ch = block[i]!;
    if (quote) {
      if (ch === '\\') i++;
      else if (ch === quote) quote = '';
    } else if (ch === '/' && block[i + 1] === '/') {
      i = block.indexOf('\n', i);
      if (i < 0) break;
    } else if (ch === '/' && block[i + 1] === '*') {
      i = block.indexOf('*/', i) + 1;
      if (i <= 0) break;
    } else if (ch === "'" || ch === '"' || ch === '`') {
      quote = ch;
      expectKey = false;
    } else if ('{(['.includes(ch)) {
      open.push(ch);
      expectKey = ch === '{';
    } else if ('})]'.includes(ch)) {
      open.pop();
      expectKey = false;
      if (open.length === 0) break;
    } else if (ch === ',') {
      expectKey = open.at(-1) === '{';
    } else if (!/\s/.test(ch) && expectKey) {
      const key = /^([A-Za-z_$][\w$]*)\s*:/.exec(block.slice(i, i + 80))?.[1];
      if (key && (!topLevelOnly || open.length === 1)) keys.push(key);
      expectKey = false;
    }
  }
  return keys;
}

/** The object literal passed to each `z.object(` and `.extend(` in a source file. */
function schemaBlocks(source: string): string[] {
  return [...source.matchAll(/z\s*\.\s*object\s*\(\s*{|\.extend\s*\(\s*{/g)].map((m) =>
    source.slice(m.index + m[0].length - 1),
  );
}

const SERVER = path.join(PROJECT_ROOT, 'server');
const schemaFiles = filesUnder(SERVER, (f) => /(?:-input|[.-]service|\.schema)\.ts$/.test(f));

/** The top-level keys of every schema object in the input, schema and service modules. */
const SCHEMA_SHAPES: Shape[] = schemaFiles
  .flatMap((file) => schemaBlocks(readFileSync(file, 'utf8')))
  .map((block) => ({ fields: objectKeys(block, true), files: [], multipart: false }))
  .filter((shape) => shape.fields.length > 0);

/** The input modules beside a socket handler module: what socket events take. */
const SOCKET_FIELDS: string[] = [
  ...new Set(
    filesUnder(SERVER, (f) => f.endsWith('.socket.ts')).flatMap((socketFile) =>
      schemaFiles
        .filter((f) => path.dirname(f) === path.dirname(socketFile) && f.endsWith('-input.ts'))
        .flatMap((f) => schemaBlocks(readFileSync(f, 'utf8')))
        .flatMap((block) => objectKeys(block, true)),
    ),
  ),
].sort();

export const FORMS: readonly Form[] = viewForms();

/** Every real field name. `_csrf` is left out: a token the fuzzer overwrote would be the refusal. */
export const FIELD_NAMES: readonly string[] = [
  ...new Set([
    ...FORMS.flatMap((f) => [...f.fields, ...f.files]),
    ...schemaFiles.flatMap((f) =>
      schemaBlocks(readFileSync(f, 'utf8')).flatMap((block) => objectKeys(block, false)),
    ),
    ...filesUnder(SERVER, (f) => f.endsWith('.ts')).flatMap((f) =>
      [
        ...readFileSync(f, 'utf8').matchAll(/(?:req\.(?:query|body)|\bbody)\??\.([A-Za-z_]\w*)/g),
      ].map((m) => m[1]!),
    ),
    'lang',
  ]),
]
  // Not fields: the schema builders' options, a string's length.
  .filter(
    (n) =>
      !['_csrf', 'error', 'message', 'min', 'max', 'multiline', 'maxCode', 'length'].includes(n),
  )
  .sort();

// ---- hostile values -------------------------------------------------------------------------------

// prettier-ignore
const CONTROL_CHARS = [
  '\u0000', '\u0001', '\b', '\t', '\n', '\r', '\u000b', '\u001b', '\u001f', '\u007f', '\u0085',
  '\u00a0', '\u2028', '\u2029', '\u200b', '\u200d', '\u202e', '\ufeff', '\ufffd', '\ud800', '\udfff',
];
const WIDE_CHARS = ['😀', '👨‍👩‍👧‍👦', '🇨🇳', '𠀀', '𝕏', '🀄', '花', 'é', 'a', ' '];
/** The length limits the schemas use, each tried at, one under and one over. */
const LENGTH_LIMITS = [1, 2, 8, 16, 20, 30, 40, 60, 64, 100, 120, 200, 500, 1000];

// prettier-ignore
const TRICKY_STRINGS = [
  '', ' ', '0x10', '2e0', '+2', '-1', '0', '-0', '1.5', '1e309', '-1e309', 'NaN', 'Infinity',
  '9007199254740993', '1,000', '00012', ' 3 ', '٣', '３', '1n', 'null', 'undefined', 'true',
  'false', 'on', '[]', '{}', '[object Object]', '<script>alert(1)</script>', '{{constructor}}',
  '{{#each this}}x{{/each}}', '../../../etc/passwd', '%00', '%ZZ', '\\', "' OR 1=1 --", '${7*7}',
  '__proto__', 'constructor', '2026-02-30', '2026-13-01T25:61', '2026-11-29T20:00',
  '1970-01-01T00:00', '9999-12-31T23:59', '00:00', '23:59', '24:00', '13800000001', '1380000000',
  '138000000011', 'a@b', 'buyer@test.cunbo', 'https://', 'https://example.com/live.m3u8',
  'javascript:alert(1)', 'data:text/html,x', '000000000000000000000000', 'ffffffffffffffffffffffff',
  'ZZZZZZZZZZZZZZZZZZZZZZZZ', 'approve', 'reject', 'pass', 'fail', 'pdf', 'csv', 'alipay',
  'short_pick', 'damaged', 'address_unreachable', 'active', 'archived',
];

// prettier-ignore
const TRICKY_KEYS = [
  '__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf', '$where',
  '$gt', '$set', '$ne', 'a.b', 'address.phone', 'lines.0.quantity', '$', '.', '', ' ', 'a[b]',
  'a[]', '\u0000', '😀',
];

const MONGO_OPERATORS: FuzzValue[] = [
  { $gt: '' },
  { $ne: null },
  { $where: 'sleep(1000) || true' },
  { $regex: '.*' },
  { $in: ['a', 1] },
  { $exists: true },
  { $expr: { $eq: [1, 1] } },
  { $set: { role: 'admin' } },
  { $function: { body: 'function () { return true }', args: [], lang: 'js' } },
];

// prettier-ignore
const EDGE_NUMBERS = [
  0, -0, 1, -1, 2, 1.5, 10, 99, 100, 101, 300, 100_000, 2 ** 31, -(2 ** 31), 2 ** 53, 2 ** 53 + 2,
  -(2 ** 53), 1e308, -1e308, 5e-324, 0.1,
];

const repeat = (unit: string, n: number) => unit.repeat(Math.max(0, n));

export interface Grammar {
  value: fc.Arbitrary<FuzzValue>;
  text: fc.Arbitrary<FuzzValue>;
  key: fc.Arbitrary<string>;
}

/**
 * The grammar of hostile values, with references into the given pools of real values. Without
 * `long`, no string is over 1,000 characters: for URLs of requests with a body, which Node refuses
 * (431) past 16 kB before reading the body, so that the upload breaks off and looks like no answer.
 */
export function valueGrammar(pools: readonly string[], { long: withLong = true } = {}): Grammar {
  const reference =
    pools.length > 0
      ? fc.tuple(fc.constantFrom(...pools), fc.nat(63)).map(([pool, i]) => ref(pool, i))
      : fc.constant<FuzzValue>('');
  const shortText = fc.oneof(
    fc.string({ maxLength: 24 }),
    fc.string({ unit: 'binary', maxLength: 24 }),
    fc.string({ unit: fc.constantFrom(...CONTROL_CHARS, ...WIDE_CHARS), maxLength: 24 }),
    fc.stringMatching(/^[A-Za-z0-9_-]{8,40}$/),
    fc.integer({ min: -5, max: 120 }).map(String),
  );
  const atLimit = fc
    .tuple(
      fc.constantFrom(...WIDE_CHARS, ...CONTROL_CHARS),
      fc.constantFrom(...LENGTH_LIMITS),
      fc.integer({ min: -1, max: 1 }),
    )
    .map(([unit, limit, off]) => repeat(unit, limit + off));
  // Longer than any field allows; the longest are over the 100 kB body limit too.
  const long = fc
    .tuple(
      fc.constantFrom('a', '花', '😀', '\u0000', 'ab '),
      fc.integer({ min: 10_000, max: 40_000 }),
    )
    .map(([unit, n]) => repeat(unit, Math.ceil(n / unit.length)));
  const text: fc.Arbitrary<FuzzValue> = fc.oneof(
    { weight: 5, arbitrary: shortText },
    { weight: 4, arbitrary: fc.constantFrom(...TRICKY_STRINGS) },
    { weight: 3, arbitrary: reference },
    { weight: 2, arbitrary: atLimit },
    { weight: withLong ? 1 : 0, arbitrary: long },
  );
  const key = fc.oneof(
    { weight: 8, arbitrary: fc.constantFrom(...FIELD_NAMES) },
    { weight: 1, arbitrary: fc.constantFrom(...TRICKY_KEYS) },
    { weight: 1, arbitrary: fc.string({ maxLength: 12 }) },
  );
  const number = fc.oneof(
    fc.constantFrom(...EDGE_NUMBERS),
    fc.integer(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
  );
  const { value } = fc.letrec<{ value: FuzzValue; object: FuzzValue }>((tie) => ({
    value: fc.oneof(
      { maxDepth: 3, depthSize: 'small' },
      { weight: 8, arbitrary: text },
      { weight: 3, arbitrary: number },
      { weight: 1, arbitrary: fc.boolean() },
      { weight: 1, arbitrary: fc.constant(null) },
      { weight: 1, arbitrary: fc.constantFrom(...MONGO_OPERATORS) },
      { weight: 2, arbitrary: fc.array(tie('value'), { maxLength: 4 }) },
      { weight: 2, arbitrary: tie('object') },
    ),
    object: fc
      .uniqueArray(fc.tuple(key, tie('value')), { maxLength: 6, selector: ([k]) => k })
      .map((entries) => objectFrom(entries)),
  }));
  return { value, text, key };
}

// ---- plausible values ---------------------------------------------------------------------------

/** A value that looks right for the field: what its form would send, or a real record's. */
function plausibleFor(name: string, pools: readonly string[]): fc.Arbitrary<FuzzValue> {
  const pooled = (pool: string) => fc.nat(63).map((i) => ref(pool, i));
  const fromPool = (pool: string) => (pools.includes(pool) ? pooled(pool) : undefined);
  const count = fc.oneof(
    fc.integer({ min: 1, max: 5 }).map(String),
    fc.integer({ min: 1, max: 300 }),
    fc.integer({ min: 0, max: 100_000 }).map(String),
  );
  const special: [RegExp, () => fc.Arbitrary<FuzzValue> | undefined][] = [
    [/^(sessionId|id)$/, () => fromPool('livesessions._id')],
    [/^offerId$/, () => fromPool('livesessions.offerId')],
    [/^sku(Id)?$/, () => fromPool('skus._id')],
    [/^userId$/, () => fromPool('users._id')],
    [/^product_ids$/, () => fromPool('products._id')],
    [/^sku_code/, () => fromPool('skus.code')],
    [/^(courier|preferredCourier|courierCode)$/, () => fromPool('couriers.code')],
    [/^village_code$/, () => fromPool('villages.code')],
    [/^producer_code$/, () => fromPool('producers.code')],
    [/^productSlug$/, () => fromPool('products.slug')],
    [/^login$/, () => fromPool('users.phone')],
    [/^password$/, () => fc.constantFrom('cunbo2026', 'buyer-pass-2026', 'wrong-password')],
    [/^text$/, () => fc.constantFrom('扣1', '买2', '+1', '要3斤', '来两瓶', '2', '你好')],
    [/^resend$/, () => fc.boolean()],
    [/^clientKey$/, () => fc.stringMatching(/^[A-Za-z0-9_-]{8,40}$/)],
    [/^idempotencyKey$/, () => fc.stringMatching(/^[A-Za-z0-9_-]{16,40}$/)],
    [/^receipt_id$/, () => fc.stringMatching(/^[0-9a-f]{24}$/)],
    [/^messageId$/, () => fc.stringMatching(/^[a-z0-9]{8,16}$/)],
    [/cutoff/i, () => fc.constantFrom('09:00', '16:30', '17:00', '25:00')],
    [
      /date|_at$|^valid_/,
      () => fc.constantFrom('2026-11-29', '2026-11-29T20:00', '2040-01-01T00:00'),
    ],
    [/quantity|allotment|limit|durationS|weight|grams|fen|yuan|days|capacity|stock/i, () => count],
    [/^phone$/, () => fc.constantFrom('13800000001', '13912345678')],
    [
      /^lines$/,
      () =>
        fromPool('skus._id') &&
        fc.array(
          fc
            .tuple(pooled('skus._id'), fc.integer({ min: 1, max: 3 }))
            .map(([skuId, quantity]) => ({ skuId, quantity })),
          { minLength: 1, maxLength: 3 },
        ),
    ],
    [
      /^address$/,
      () =>
        fc
          .tuple(...ADDRESS_FIELDS.map((f) => plausibleFor(f, pools)))
          .map((values) => objectFrom(ADDRESS_FIELDS.map((f, i) => [f, values[i]!]))),
    ],
  ];
  for (const [pattern, make] of special) {
    const arbitrary = pattern.test(name) ? make() : undefined;
    if (arbitrary) return arbitrary;
  }
  // A field some records have (an address's province, a product's category, …).
  const named = pools.filter((p) => p.endsWith(`.${name}`));
  if (named.length > 0) return fc.constantFrom(...named).chain(pooled);
  return fc.constantFrom('测试', '平顺县西沟村', '西沟大红袍花椒', 'Test 1');
}

/** All the fields, each plausible, then up to two made hostile and maybe one left out. */
function shapedEntries(
  fields: readonly string[],
  grammar: Grammar,
  pools: readonly string[],
): fc.Arbitrary<[string, FuzzValue][]> {
  if (fields.length === 0) return fc.constant([]);
  const slot = fc.nat(fields.length - 1);
  return fc
    .tuple(
      fc.tuple(...fields.map((f) => plausibleFor(f, pools))),
      fc.array(fc.tuple(slot, grammar.value), { maxLength: 2 }),
      fc.option(slot, { freq: 4 }),
    )
    .map(([values, hostile, dropped]) => {
      const entries = fields.map((f, i): [string, FuzzValue] => [f, values[i]!]);
      for (const [i, value] of hostile) entries[i]![1] = value;
      return entries.filter((_, i) => i !== dropped);
    });
}

/** Random keys, real ones mostly, each with a plausible or a hostile value. */
function randomEntries(
  keys: fc.Arbitrary<string>,
  grammar: Grammar,
  pools: readonly string[],
  maxLength: number,
): fc.Arbitrary<[string, FuzzValue][]> {
  return fc.uniqueArray(
    keys.chain((k) =>
      fc.oneof(plausibleFor(k, pools), grammar.value).map((v): [string, FuzzValue] => [k, v]),
    ),
    { maxLength, selector: ([k]) => k },
  );
}

// ---- inputs over the targets ----------------------------------------------------------------------

/** Who a route or an event is mainly for: they send it half the time, so its guard is passed. */
const NATURAL_IDENTITY: [RegExp, Identity][] = [
  [/^\/(?:api\/)?hub\b/, 'hub'],
  [/^\/admin\b/, 'admin'],
  [/^\/studio\b|^live:(?!join|buy|chat|waitlist)/, 'streamer'],
  [/^\/(?:api\/)?(?:orders|cart|checkout|live)\b|^\/shops\/new|^live:/, 'buyer'],
];

/** Pools of real values for a path parameter, by the route up to it. */
const PARAM_POOLS: [RegExp, string][] = [
  [/:orderNo$/, 'orders.orderNo'],
  [/:parcelNo$/, 'parcels.parcelNo'],
  [/:waveNo$/, 'waves.waveNo'],
  [/:courier$|\/couriers\/:code$/, 'couriers.code'],
  [/\/t\/:code$/, 'tracecodes.code'],
  [/\/p\/:slug$/, 'products.slug'],
  [/\/s\/:slug$/, 'shops.slug'],
  [/\/shops\/:id$/, 'shops._id'],
  [/\/live\/:id$/, 'livesessions._id'],
  [/\/products\/:id$/, 'products._id'],
  [/\/certifications\/:id$/, 'certifications._id'],
  [/\/documents\/:id$/, 'documents'],
  [/:format$/, 'formats'],
  [/:queueName$/, 'queues'],
  [/:queueStatus$/, 'queueStatuses'],
];

/** Pieces that are not valid in a URL path, or mean something to a router, sent as they are. */
const RAW_PATH_PIECES = [
  '%ZZ',
  '%',
  '%00',
  '..',
  '.',
  '%2e%2e',
  '%2F',
  '%C0%AE',
  '%u0041',
  '%E4%B8',
  '~',
  ';x',
];

const FILE_FIELDS = ['photos', 'report', 'certificate', 'file'];
const MAGIC_FOR_FIELD: Record<string, FuzzFile['magic']> = {
  photos: 'png',
  report: 'pdf',
  certificate: 'pdf',
  file: 'csv',
};

function fileFor(field: fc.Arbitrary<string>): fc.Arbitrary<FuzzFile> {
  return field.chain((name) =>
    fc.record({
      field: fc.constant(name),
      filename: fc.constantFrom(
        'a.pdf',
        'a.png',
        'a.csv',
        'photo.jpg',
        '../../x.webp',
        '',
        '😀\u0000.exe',
      ),
      contentType: fc.constantFrom(
        'application/pdf',
        'image/png',
        'image/jpeg',
        'image/webp',
        'text/csv',
        'application/octet-stream',
      ),
      magic: fc.oneof(
        fc.constant(Object.hasOwn(MAGIC_FOR_FIELD, name) ? MAGIC_FOR_FIELD[name]! : 'none'),
        fc.constantFrom('pdf', 'png', 'jpeg', 'webp', 'csv', 'none'),
      ),
      bytes: fc.oneof(fc.constantFrom(0, 1, 8, 12), fc.integer({ min: 13, max: 40_000 })),
    }),
  );
}

/** Nested `depth` deep: a recursive walk over such a body would run out of stack. */
const deepJson = fc
  .tuple(
    fc.constantFrom(['[', ']'], ['{"a":', '}'], ['{"__proto__":', '}']),
    fc.integer({ min: 100, max: 20_000 }),
  )
  .map(([[open, close], depth]) => `${open!.repeat(depth)}1${close!.repeat(depth)}`);

const rawBody: fc.Arbitrary<FuzzBody> = fc.record({
  encoding: fc.constant('raw' as const),
  contentType: fc.constantFrom(
    'application/json',
    'application/json; charset=utf-16',
    'application/x-www-form-urlencoded',
    'text/plain',
    'application/vnd.api+json',
    'multipart/form-data; boundary=x',
    'multipart/form-data',
  ),
  text: fc.oneof(
    deepJson,
    fc.constantFrom(
      '{"quantity": 2,',
      '{"a":1,"a":2,"__proto__":{"isAdmin":true},"constructor":{"prototype":{"x":1}}}',
      '\ufeff{"quantity":1}',
      '[]',
      'null',
      '"text"',
      '1e309',
      'a=1&a=2&a[b]=3&__proto__[x]=1&%ZZ=1',
      '--x\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n',
      '',
    ),
    fc.string({ unit: 'binary', maxLength: 200 }),
  ),
});

const pattern = (route: string) => route.replace(/[:*]\w+/g, '*');

function paramValue(route: Route, name: string, grammar: Grammar, pools: readonly string[]) {
  const upTo = route.path.slice(0, route.path.indexOf(`:${name}`) + name.length + 1);
  const pool = PARAM_POOLS.find(([p]) => p.test(upTo))?.[1];
  const generated = fc.oneof(
    { weight: 6, arbitrary: grammar.text },
    {
      weight: 1,
      arbitrary: fc.constantFrom(...RAW_PATH_PIECES).map((raw): FuzzValue => ({ raw })),
    },
  );
  // Half real values, half generated strings.
  return pool && pools.includes(pool)
    ? fc.oneof(
        fc.nat(63).map((i) => ref(pool, i)),
        generated,
      )
    : generated;
}

function identityFor(target: string): fc.Arbitrary<Identity> {
  const natural = NATURAL_IDENTITY.find(([p]) => p.test(target))?.[1];
  const anyone = fc.constantFrom(...IDENTITIES);
  return natural ? fc.oneof(fc.constant(natural), anyone) : anyone;
}

function httpBody(
  route: Route,
  grammar: Grammar,
  pools: readonly string[],
): fc.Arbitrary<FuzzBody> {
  const api = route.path.startsWith('/api/');
  const forms = FORMS.filter((f) => f.method === 'POST' && f.action === pattern(route.path));
  const shape = fc.constantFrom<Shape>(...(forms.length > 0 ? forms : SCHEMA_SHAPES));
  const shaped = shape.chain((s): fc.Arbitrary<FuzzBody> => {
    const entries = shapedEntries(s.fields, grammar, pools);
    if (s.multipart)
      return fc
        .tuple(entries, fc.tuple(...s.files.map((f) => fileFor(fc.constant(f)))))
        .map(([fields, files]) => ({ encoding: 'multipart', fields, files }));
    const json = entries.map((e): FuzzBody => ({ encoding: 'json', value: objectFrom(e) }));
    const form = entries.map((fields): FuzzBody => ({ encoding: 'form', fields }));
    return api ? json : fc.oneof({ weight: 3, arbitrary: form }, { weight: 1, arbitrary: json });
  });
  const randomJson = fc.oneof(
    { weight: 8, arbitrary: randomEntries(grammar.key, grammar, pools, 8).map(objectFrom) },
    { weight: 1, arbitrary: fc.array(grammar.value, { maxLength: 3 }) },
    { weight: 1, arbitrary: grammar.value },
  );
  const anyFile = fileFor(fc.oneof(fc.constantFrom(...FILE_FIELDS), fc.string({ maxLength: 8 })));
  return fc.oneof(
    { weight: 10, arbitrary: shaped },
    { weight: 5, arbitrary: randomJson.map((value): FuzzBody => ({ encoding: 'json', value })) },
    {
      weight: 4,
      arbitrary: randomEntries(grammar.key, grammar, pools, 10).map((fields): FuzzBody => ({
        encoding: 'form',
        fields,
      })),
    },
    {
      weight: 1,
      arbitrary: fc
        .tuple(randomEntries(grammar.key, grammar, pools, 6), fc.array(anyFile, { maxLength: 2 }))
        .map(([fields, files]): FuzzBody => ({ encoding: 'multipart', fields, files })),
    },
    { weight: 1, arbitrary: fc.constant<FuzzBody>({ encoding: 'none' }) },
    { weight: 1, arbitrary: rawBody },
  );
}

function httpInput(
  route: Route,
  grammars: { full: Grammar; short: Grammar },
  pools: readonly string[],
): fc.Arbitrary<HttpInput> {
  const grammar = grammars.full;
  const inUrl = route.method === 'GET' ? grammars.full : grammars.short;
  const params = [...route.path.matchAll(/[:*](\w+)/g)].map((m) => m[1]!);
  const getForms = FORMS.filter((f) => f.method === 'GET' && f.action === pattern(route.path));
  const query = fc.oneof(
    { weight: 3, arbitrary: fc.constant<[string, FuzzValue][]>([]) },
    { weight: 2, arbitrary: randomEntries(inUrl.key, inUrl, pools, 3) },
    ...getForms.map((f) => ({ weight: 3, arbitrary: shapedEntries(f.fields, inUrl, pools) })),
  );
  return fc.record({
    kind: fc.constant('http' as const),
    as: identityFor(route.path),
    method: fc.constant(route.method),
    route: fc.constant(route.path),
    params: fc
      .tuple(...params.map((p) => paramValue(route, p, inUrl, pools)))
      .map((values) => Object.fromEntries(params.map((p, i) => [p, values[i]!]))),
    query,
    accept: fc.oneof(
      { weight: 6, arbitrary: fc.constant('default' as const) },
      { weight: 1, arbitrary: fc.constantFrom('json' as const, 'html' as const, 'any' as const) },
    ),
    body:
      route.method === 'GET'
        ? fc.constant<FuzzBody>({ encoding: 'none' })
        : httpBody(route, grammar, pools),
  });
}

function socketInput(
  event: string,
  grammar: Grammar,
  pools: readonly string[],
): fc.Arbitrary<SocketInput> {
  const keys = fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...SOCKET_FIELDS) },
    { weight: 1, arbitrary: grammar.key },
  );
  const payload: fc.Arbitrary<FuzzValue> = fc.oneof(
    { weight: 4, arbitrary: shapedEntries(SOCKET_FIELDS, grammar, pools).map(objectFrom) },
    { weight: 4, arbitrary: randomEntries(keys, grammar, pools, 8).map(objectFrom) },
    { weight: 2, arbitrary: grammar.value },
    {
      weight: 1,
      arbitrary: fc
        .uint8Array({ maxLength: 64 })
        .map((b) => ({ [BYTES_KEY]: Buffer.from(b).toString('base64') })),
    },
  );
  return fc.record({
    kind: fc.constant('socket' as const),
    as: identityFor(event),
    event: fc.constant(event),
    args: fc.oneof(
      { weight: 1, arbitrary: fc.constant<FuzzValue[]>([]) },
      { weight: 8, arbitrary: payload.map((p): FuzzValue[] => [p]) },
      { weight: 1, arbitrary: fc.tuple(payload, grammar.value).map((a): FuzzValue[] => a) },
    ),
    ack: fc.oneof(
      { weight: 4, arbitrary: fc.constant(true) },
      { weight: 1, arbitrary: fc.constant(false) },
    ),
  });
}

/** One input: a route (70 %) or a socket event (30 %), each of its kind equally likely. */
export function fuzzInput(targets: FuzzTargets): fc.Arbitrary<FuzzInput> {
  const grammar = valueGrammar(targets.pools);
  const grammars = { full: grammar, short: valueGrammar(targets.pools, { long: false }) };
  const kinds: fc.WeightedArbitrary<FuzzInput>[] = [];
  if (targets.routes.length > 0) {
    const routes = targets.routes.map((r) => httpInput(r, grammars, targets.pools));
    kinds.push({ weight: 7, arbitrary: fc.oneof(...routes) });
  }
  if (targets.events.length > 0) {
    const events = targets.events.map((e) => socketInput(e, grammar, targets.pools));
    kinds.push({ weight: 3, arbitrary: fc.oneof(...events) });
  }
  return fc.oneof(...kinds);
}
