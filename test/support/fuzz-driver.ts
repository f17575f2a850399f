// How the fuzz suite sends its inputs (fuzz-inputs.ts) to an in-process web server and judges
// the answers. Shared by test/core/fuzz.test.ts (a few thousand inputs in `npm test`) and
// scripts/fuzz.ts (the long run, and the replay of a findings file).
//
// An input fails when:
//   - an HTTP answer is 5xx (but /readyz's 503: it reports a store that did not answer in time);
//   - a socket emit with an acknowledgement gets none within ACK_TIMEOUT_MS, or is acknowledged
//     `errors.internal`, or the server closes the socket;
//   - the server logs at error level ('unhandled error', 'socket handler failed', …);
//   - it was refused (HTTP 4xx, a redirect to sign-in, an ack {ok:false}) and yet changed the
//     database.
// Every log line and every database write is tied to the input that caused it, with one
// AsyncLocalStorage entered for each request (by its x-request-id) and each socket packet (the
// emits of one socket are numbered in order). The log lines come from a pino destination put on
// the server's logger; the writes from wrapping the MongoDB driver's write methods in this process
// (insert/update/replace/delete/findOneAnd*/bulkWrite, counting what they inserted, modified,
// upserted or deleted), so a refused input is checked by itself even when the inputs around it
// were accepted and ran at the same time. A refused input that wrote is replayed at the end
// between two fingerprints of the database (per collection: its document count and a hash of
// its documents), which says what it changed.
// Identities stay signed in: before each chunk each one's session is checked and restored (a
// fuzzed sign-in or sign-up can switch it; a buyer whom a fuzzed form turned into a streamer is
// replaced by a new buyer), and the sign-in and trace-lookup limits are lifted, so they refuse
// only what they should.
import { AsyncLocalStorage } from 'node:async_hooks';
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import type { Express } from 'express';
import fc from 'fast-check';
import mongoose from 'mongoose';
import { pino } from 'pino';
import type { Socket as ServerSocket } from 'socket.io';
import { io as connectSocket, type Socket } from 'socket.io-client';
import { PROJECT_ROOT } from '../../server/core/config.ts';
import type { WebServer } from '../../server/app/web-server.ts';
import type { Logger } from '../../server/core/logger.ts';
import { deleteKeysWithPrefix } from '../../server/core/redis.ts';
import type { Runtime } from '../../server/core/runtime.ts';
import { DEMO_PASSWORD } from '../../server/seed/demo-county.ts';
import { BUYER_PASSWORD, createBuyers } from './fixtures.ts';
import { Client } from './http-client.ts';
import {
  BYTES_KEY,
  fuzzInput,
  objectFrom,
  REF_KEY,
  type FuzzBody,
  type FuzzFile,
  type FuzzInput,
  type FuzzTargets,
  type FuzzValue,
  type HttpInput,
  type Identity,
  type Route,
  type SocketInput,
} from './fuzz-inputs.ts';

const HTTP_TIMEOUT_MS = 20_000;
const ACK_TIMEOUT_MS = 10_000;
/** Past this, with the other headers, a request line is over Node's 16 kB header limit. */
const URL_LIMIT = 15_000;

/**
 * Left out, and only these: they end the identity's session and close its sockets in the middle
 * of a chunk, so every emit after them would read as a missing acknowledgement.
 */
const EXCLUDED_ROUTES = ['POST /signout', 'POST /signout/everywhere'];

/** socket.io's own events, which a client may not emit. */
const RESERVED_EVENTS = new Set([
  'connect',
  'connect_error',
  'disconnect',
  'disconnecting',
  'error',
  'newListener',
  'removeListener',
]);

const DEMO_LOGINS: Record<Exclude<Identity, 'anonymous'>, { login: string; role: string }> = {
  buyer: { login: '13800000001', role: 'buyer' },
  streamer: { login: '13900000001', role: 'streamer' },
  hub: { login: '13600000001', role: 'hub_staff' },
  admin: { login: '13700000000', role: 'admin' },
};

export type Verdict = 'accepted' | 'refused' | 'unknown' | 'failed';

export interface Finding {
  kind: 'server error' | 'no answer' | 'error log' | 'state change on refusal';
  /** What the finding is about, without the input: one entry per root cause. */
  summary: string;
  targets: Set<string>;
  count: number;
  /** The smallest input seen with it, and what happened to that one. */
  example: FuzzInput;
  exampleSize: number;
  /** The example as it went out, references resolved (request line or emit), shortened. */
  sent: string;
  detail: string;
  firstAt: number;
}

export interface FuzzStats {
  inputs: number;
  http: Record<string, number>;
  acks: Record<string, number>;
  refusedChecked: number;
  targetsHit: number;
  /** The routes and events that took the most time in all, with their count and mean time. */
  slowest: string[];
  ms: number;
}

interface Person {
  name: Identity;
  client: Client;
  login?: string;
  password?: string;
  userId?: string;
  socket?: Socket;
  /** The last emit on this socket; the next waits for it, so packets keep their numbering. */
  queue: Promise<unknown>;
  freshSocket: boolean;
}

interface Attribution {
  inputId: number | undefined;
}

interface CapturedLine {
  msg: string;
  error: string;
}

/**
 * Sends the server's error-level log lines to `onLine`, together with the input they belong to.
 * Call it before the web server starts: pino-http takes its logger's level when the app is made.
 */
export function captureServerErrors(logger: Logger) {
  const lines: { inputId: number | undefined; line: CapturedLine }[] = [];
  const target = logger as unknown as Record<symbol, unknown>;
  const stream = pino.symbols.streamSym;
  const previous = { stream: target[stream], level: logger.level };
  let onLine: ((inputId: number | undefined, line: CapturedLine) => void) | undefined;
  target[stream] = {
    write(text: string) {
      const entry = JSON.parse(text) as {
        level: number;
        msg?: string;
        responseTime?: number;
        err?: { type?: string; message?: string; stack?: string };
      };
      // pino-http's own "request errored" lines repeat what the status says.
      if (entry.level < 50 || entry.responseTime !== undefined) return;
      const line = { msg: entry.msg ?? '', error: describeError(entry.err) };
      const inputId = attribution.getStore()?.inputId;
      if (onLine) onLine(inputId, line);
      else lines.push({ inputId, line });
    },
  };
  logger.level = 'error';
  // Express's last-resort handler prints to the console what no error handler took.
  const consoleError = console.error;
  console.error = (...args: unknown[]) => {
    const inputId = attribution.getStore()?.inputId;
    if (inputId === undefined) return consoleError(...args);
    const [first] = args;
    const stack =
      first instanceof Error ? (first.stack ?? String(first)) : args.map(String).join(' ');
    const [head = ''] = stack.split('\n');
    const type = /^(\w*Error)\b/.exec(head)?.[1];
    const line = {
      msg: 'console.error',
      error: describeError({
        type,
        message: type ? head.replace(/^\w*Error:\s*/, '') : head,
        stack,
      }),
    };
    if (onLine) onLine(inputId, line);
    else lines.push({ inputId, line });
  };
  return {
    listen(callback: (inputId: number | undefined, line: CapturedLine) => void) {
      onLine = callback;
      for (const { inputId, line } of lines.splice(0)) callback(inputId, line);
    },
    restore() {
      target[stream] = previous.stream;
      logger.level = previous.level;
      console.error = consoleError;
    },
  };
}
export type ServerErrors = ReturnType<typeof captureServerErrors>;

const attribution = new AsyncLocalStorage<Attribution>();

function describeError(
  err: { type?: string; message?: string; stack?: string } | undefined,
): string {
  if (!err) return '';
  const frame = (err.stack ?? '')
    .split('\n')
    .find((l) => /^\s+at /.test(l) && !l.includes('node_modules') && !l.includes('node:'));
  const where = frame
    ? ` @ ${frame
        .trim()
        .replace(/^at /, '')
        .replace(/^.*\((.*)\)$/, '$1')
        .replace(`file://${PROJECT_ROOT}/`, '')}`
    : '';
  return `${err.type ?? 'Error'}: ${(err.message ?? '').split('\n')[0]}${where}`;
}

// ---- database writes ---------------------------------------------------------------------------

const WRITE_METHODS = [
  'insertOne',
  'insertMany',
  'updateOne',
  'updateMany',
  'replaceOne',
  'deleteOne',
  'deleteMany',
  'findOneAndUpdate',
  'findOneAndReplace',
  'findOneAndDelete',
  'bulkWrite',
] as const;

interface WriteResult {
  insertedCount?: number;
  modifiedCount?: number;
  upsertedCount?: number;
  deletedCount?: number;
  value?: unknown;
  lastErrorObject?: { n?: number; upserted?: unknown };
  result?: WriteResult;
}

/** Documents the write inserted, changed or removed (a findOneAnd* that found one counts). */
function effectOf(method: string, result: WriteResult | null | undefined): number {
  if (!result) return 0;
  if (method === 'insertOne') return 1;
  if (method.startsWith('findOneAnd'))
    return 'value' in result ? (result.value ? 1 : result.lastErrorObject?.upserted ? 1 : 0) : 1;
  return (
    (result.insertedCount ?? 0) +
    (result.modifiedCount ?? 0) +
    (result.upsertedCount ?? 0) +
    (result.deletedCount ?? 0)
  );
}

/** Wraps the driver's write methods; returns the function that puts them back. */
function watchWrites(onWrite: (inputId: number | undefined, what: string, effect: number) => void) {
  const proto = mongoose.mongo.Collection.prototype as unknown as Record<
    string,
    (...a: unknown[]) => Promise<unknown>
  >;
  const originals = WRITE_METHODS.map((m) => [m, proto[m]!] as const);
  for (const [method, original] of originals) {
    proto[method] = async function (this: { collectionName: string }, ...args: unknown[]) {
      const inputId = attribution.getStore()?.inputId;
      const what = `${this.collectionName}.${method}`;
      try {
        const result = await original.apply(this, args);
        onWrite(inputId, what, effectOf(method, result as WriteResult));
        return result;
      } catch (error) {
        // An unordered insertMany may have inserted some documents before it failed.
        onWrite(inputId, what, effectOf(method, (error as { result?: WriteResult }).result));
        throw error;
      }
    };
  }
  return () => {
    for (const [method, original] of originals) proto[method] = original;
  };
}

/** Per collection: its document count and, below 2,000 documents, a hash of them all. */
export async function fingerprint(): Promise<Map<string, string>> {
  const db = mongoose.connection.db!;
  const prints = new Map<string, string>();
  const collections = (await db.listCollections().toArray()).map((c) => c.name).sort();
  for (const name of collections) {
    const docs = await db.collection(name).find({}).sort({ _id: 1 }).limit(2001).toArray();
    prints.set(
      name,
      docs.length > 2000
        ? `${await db.collection(name).countDocuments()} documents`
        : `${docs.length} documents, ${createHash('sha1').update(JSON.stringify(docs)).digest('hex').slice(0, 12)}`,
    );
  }
  return prints;
}

function changedCollections(before: Map<string, string>, after: Map<string, string>): string[] {
  const names = new Set([...before.keys(), ...after.keys()]);
  return [...names]
    .filter((n) => before.get(n) !== after.get(n))
    .map((n) => `${n} (${before.get(n) ?? 'none'} → ${after.get(n) ?? 'none'})`);
}

// ---- targets and real values -------------------------------------------------------------------

interface RouterLayer {
  rawPath?: string | string[];
  route?: { path: string | string[]; methods: Record<string, boolean> };
  handle?: {
    stack?: RouterLayer[];
    router?: { stack?: RouterLayer[] };
    _router?: { stack?: RouterLayer[] };
  };
}

/** The app behind the server: read from a request's `req.app` (Express sets it on every one). */
function appOf(web: WebServer): Promise<Express> {
  return new Promise((resolve, reject) => {
    const listener = (req: { app?: Express }, res: { once(e: string, f: () => void): void }) =>
      res.once('finish', () => {
        web.http.off('request', listener);
        if (req.app) resolve(req.app);
        else reject(new Error('no Express app behind the server'));
      });
    web.http.on('request', listener);
    fetch(`http://127.0.0.1:${web.port}/healthz`).then((r) => r.arrayBuffer(), reject);
  });
}

/** Every GET and POST route, nested routers and mounted apps included, from the router stack. */
export function routesOf(app: Express): Route[] {
  const found = new Map<string, Route>();
  const join = (a: string, b: string) => `${a}${b === '/' && a ? '' : b}` || '/';
  const walk = (stack: RouterLayer[], prefix: string) => {
    for (const layer of stack) {
      if (layer.route) {
        for (const p of [layer.route.path].flat())
          for (const method of Object.keys(layer.route.methods).map((m) => m.toUpperCase()))
            if (method === 'GET' || method === 'POST')
              found.set(`${method} ${join(prefix, p)}`, { method, path: join(prefix, p) });
        continue;
      }
      const inner =
        layer.handle?.stack ?? layer.handle?.router?.stack ?? layer.handle?._router?.stack;
      if (!inner) continue;
      for (const mount of [layer.rawPath ?? '/'].flat())
        walk(inner, mount === '/' ? prefix : join(prefix, mount));
    }
  };
  walk((app as unknown as { router: { stack: RouterLayer[] } }).router.stack, '');
  return [...found.entries()]
    .filter(([key]) => !EXCLUDED_ROUTES.includes(key))
    .map(([, route]) => route);
}

/** The events a connected socket has handlers for (what the dispatcher registered). */
async function eventsOf(web: WebServer, base: string): Promise<string[]> {
  const socket = await openSocket(base, '');
  try {
    const server = web.io.of('/').sockets.get(socket.id!);
    return (server?.eventNames() ?? [])
      .map(String)
      .filter((e) => !RESERVED_EVENTS.has(e))
      .sort();
  } finally {
    socket.close();
  }
}

/** Fields whose values are worth sending back: ids and codes, and what forms choose from. */
// prettier-ignore
const WANTED_FIELDS = new Set([
  'orderNo', 'parcelNo', 'waveNo', 'code', 'slug', 'barcode', 'phone', 'offerId', 'category',
  'status', 'kind', 'method', 'grade', 'issuer', 'number', 'pickupCutoff', 'recipient', 'province',
  'city', 'county', 'township', 'village', 'detail',
]);

/**
 * Real values, per `collection.field` (and `documents`, `formats`, `queues`): the first 64 of
 * each, in _id order, which is the order the seed made them in.
 */
async function harvestPools(web: WebServer): Promise<Map<string, string[]>> {
  const db = mongoose.connection.db!;
  const pools = new Map<string, string[]>();
  const add = (pool: string, value: string) => {
    const values = pools.get(pool) ?? [];
    if (values.length < 64 && !values.includes(value)) values.push(value);
    pools.set(pool, values);
  };
  const collections = (await db.listCollections().toArray()).map((c) => c.name).sort();
  for (const name of collections) {
    for (const doc of await db.collection(name).find({}).sort({ _id: 1 }).limit(64).toArray()) {
      add(`${name}._id`, String(doc._id));
      const visit = (value: unknown, key: string) => {
        if (Array.isArray(value)) value.forEach((v) => visit(v, key));
        else if (
          value &&
          typeof value === 'object' &&
          !(value instanceof Date) &&
          !('_bsontype' in value)
        )
          for (const [k, v] of Object.entries(value)) visit(v, k);
        else if (typeof value === 'string') {
          if (WANTED_FIELDS.has(key)) add(`${name}.${key}`, value);
          if (key === 'path' && value.startsWith('documents/')) add('documents', value.slice(10));
          if (key === 'reportDocumentId') add('documents', value);
        }
      };
      visit(doc, '');
    }
  }
  pools.set('formats', ['pdf', 'csv', 'txt']);
  pools.set(
    'queues',
    Object.values(web.services.queues).map((q) => q.name),
  );
  pools.set('queueStatuses', [
    'active',
    'completed',
    'delayed',
    'failed',
    'latest',
    'paused',
    'prioritized',
    'waiting',
    'waiting-children',
  ]);
  return pools;
}

// ---- sending -------------------------------------------------------------------------------------

const MAGIC: Record<FuzzFile['magic'], Buffer> = {
  pdf: Buffer.from('%PDF-1.4\n'),
  png: Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  jpeg: Buffer.from([0xff, 0xd8, 0xff, 0xe0]),
  webp: Buffer.from('RIFF\u0000\u0000\u0000\u0000WEBPVP8 '),
  csv: Buffer.from('sku_code,title_zh,price_yuan,stock\n'),
  none: Buffer.alloc(0),
};

function fileContent(file: FuzzFile): Buffer {
  const filler =
    file.magic === 'csv'
      ? Buffer.from('HJ-DHP-TJ-250,花椒,"1e309",-1\n,,,\n'.repeat(Math.ceil(file.bytes / 30)))
      : Buffer.from(Array.from({ length: file.bytes }, (_, i) => (i * 31 + 7) & 0xff));
  return Buffer.concat([MAGIC[file.magic], filler]).subarray(0, file.bytes);
}

function openSocket(base: string, cookie: string): Promise<Socket> {
  const socket = connectSocket(base, {
    transports: ['websocket'],
    extraHeaders: cookie ? { cookie } : {},
    reconnection: false,
    forceNew: true,
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('socket did not connect within 10 s')), 10_000);
    socket.once('connect', () => {
      clearTimeout(timer);
      resolve(socket);
    });
    socket.once('connect_error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

const LONG = 120;

/** An input as a person would read it: long strings shortened. */
export function showInput(input: FuzzInput): string {
  return JSON.stringify(input, (_key, value: unknown) => {
    if (typeof value !== 'string' || value.length <= LONG) return value;
    const unit = [...value.slice(0, 8)].find(Boolean) ?? '';
    return value === unit.repeat(value.length / unit.length)
      ? `<${JSON.stringify(unit)} × ${value.length / unit.length}>`
      : `${value.slice(0, LONG)}…<${value.length} chars>`;
  });
}

// ---- the harness ---------------------------------------------------------------------------------

export class FuzzHarness {
  readonly targets: FuzzTargets;
  readonly findings = new Map<string, Finding>();
  private readonly runtime: Runtime;
  private readonly web: WebServer;
  private readonly base: string;
  private readonly errors: ServerErrors;
  private readonly findingsFile: string | undefined;
  private readonly seed: number;
  private readonly persons = new Map<Identity, Person>();
  private pools: Map<string, string[]>;
  private nextInputId = 1;
  private readonly inputs = new Map<
    number,
    { input: FuzzInput; verdict?: Verdict; writes: string[] }
  >();
  /** Per server-side socket id: the input id of each packet not yet received, in order. */
  private readonly packetOwners = new Map<string, number[]>();
  private readonly restoreWrites: () => void;
  private readonly detach: () => void;
  readonly stats: FuzzStats = {
    inputs: 0,
    http: {},
    acks: {},
    refusedChecked: 0,
    targetsHit: 0,
    slowest: [],
    ms: 0,
  };
  /** Per route or event: inputs sent and the time they took, to show where a run's time goes. */
  private readonly timeByTarget = new Map<string, { n: number; ms: number }>();

  private constructor(args: {
    runtime: Runtime;
    web: WebServer;
    errors: ServerErrors;
    targets: FuzzTargets;
    pools: Map<string, string[]>;
    findingsFile: string | undefined;
    seed: number;
  }) {
    this.runtime = args.runtime;
    this.web = args.web;
    this.base = `http://127.0.0.1:${args.web.port}`;
    this.errors = args.errors;
    this.targets = args.targets;
    this.pools = args.pools;
    this.findingsFile = args.findingsFile;
    this.seed = args.seed;

    const onRequest = (req: { headers: Record<string, string | string[] | undefined> }) => {
      const id = /^fuzz-(\d+)$/.exec(String(req.headers['x-request-id'] ?? ''))?.[1];
      attribution.enterWith({ inputId: id ? Number(id) : undefined });
    };
    const onConnection = (socket: ServerSocket) => {
      socket.use((_packet, next) => {
        const inputId = this.packetOwners.get(socket.id)?.shift();
        attribution.run({ inputId }, () => next());
      });
      socket.once('disconnect', () => this.packetOwners.delete(socket.id));
    };
    this.web.http.prependListener('request', onRequest);
    this.web.io.on('connection', onConnection);
    this.detach = () => {
      this.web.http.off('request', onRequest);
      this.web.io.off('connection', onConnection);
    };
    this.restoreWrites = watchWrites((inputId, what, effect) =>
      this.onWrite(inputId, what, effect),
    );
    this.errors.listen((inputId, line) => this.onErrorLine(inputId, line));
  }

  /** Reads the server's routes, events and real values, and signs the identities in. */
  static async start(
    runtime: Runtime,
    web: WebServer,
    errors: ServerErrors,
    options: {
      seed: number;
      findingsFile?: string | undefined;
      /** Only the routes (`POST /cart/add`) and events that match. */
      only?: RegExp | undefined;
    },
  ): Promise<FuzzHarness> {
    const base = `http://127.0.0.1:${web.port}`;
    const pools = await harvestPools(web);
    const wanted = (target: string) => !options.only || options.only.test(target);
    const targets: FuzzTargets = {
      routes: routesOf(await appOf(web)).filter((r) => wanted(`${r.method} ${r.path}`)),
      events: (await eventsOf(web, base)).filter(wanted),
      pools: [...pools.keys()].sort(),
    };
    if (targets.routes.length + targets.events.length === 0)
      throw new Error(`no route or event matches ${options.only}`);
    const harness = new FuzzHarness({
      runtime,
      web,
      errors,
      targets,
      pools,
      findingsFile: options.findingsFile,
      seed: options.seed,
    });
    await harness.keepIdentities();
    return harness;
  }

  /** Sends `runs` generated inputs, `chunkSize` at a time, `concurrency` of them in flight. */
  async run(options: {
    runs: number;
    chunkSize?: number;
    concurrency?: number;
    /** Stops after the chunk in flight. */
    signal?: AbortSignal;
    /** Called every 1,000 inputs with a line on how the run goes. */
    progress?: (line: string) => void;
  }) {
    const { runs, chunkSize = 50, concurrency = 6, signal, progress } = options;
    const started = Date.now();
    let done = 0;
    const chunkOfInputs = fc.array(fuzzInput(this.targets), {
      minLength: chunkSize,
      maxLength: chunkSize,
    });
    const property = fc.asyncProperty(chunkOfInputs, async (chunk) => {
      if (signal?.aborted) return;
      const inputs = chunk.slice(0, runs - done);
      await this.keepIdentities();
      await this.runChunk(inputs, concurrency);
      const before = done;
      done += inputs.length;
      if (Math.floor(done / 1000) > Math.floor(before / 1000)) {
        progress?.(this.progressLine(done, runs, started));
        this.pools = await harvestPools(this.web); // records the inputs made count too
      }
    });
    const result = await fc.check(property, {
      seed: this.seed,
      numRuns: Math.ceil(runs / chunkSize),
      endOnFailure: true,
    });
    this.stats.ms = Date.now() - started;
    this.stats.targetsHit = this.timeByTarget.size;
    this.stats.slowest = [...this.timeByTarget]
      .sort(([, a], [, b]) => b.ms - a.ms)
      .slice(0, 5)
      .map(([target, t]) => `${target} ${t.n}× ${Math.round(t.ms / t.n)} ms`);
    if (result.failed) {
      throw new Error(
        `the fuzz harness itself failed in chunk ${result.numRuns} (seed ${this.seed}, ` +
          `path ${result.counterexamplePath}): ${String(result.errorInstance)}`,
      );
    }
    await this.confirmStateChanges();
    this.writeFindings(done, runs);
  }

  /** Sends the given inputs (a findings file's examples) one by one; says how each was taken. */
  async replay(inputs: FuzzInput[]): Promise<{ input: FuzzInput; verdict: Verdict }[]> {
    await this.keepIdentities();
    const verdicts = [];
    for (const input of inputs)
      verdicts.push({ input, verdict: (await this.runChunk([input], 1))[0]! });
    await this.confirmStateChanges();
    this.writeFindings(this.stats.inputs);
    return verdicts;
  }

  async close() {
    this.detach();
    this.restoreWrites();
    for (const person of this.persons.values()) person.socket?.close();
    await this.forgiveLimits();
  }

  progressLine(done: number, runs: number, started: number): string {
    const s = ((Date.now() - started) / 1000).toFixed(0);
    const http = Object.entries(this.stats.http)
      .map(([k, v]) => `${k}:${v}`)
      .join(' ');
    const acks = Object.entries(this.stats.acks)
      .map(([k, v]) => `${k}:${v}`)
      .join(' ');
    return `fuzz ${done}/${runs} in ${s} s — http ${http} — acks ${acks} — findings ${this.findings.size}`;
  }

  // ---- one chunk ----

  private async runChunk(inputs: FuzzInput[], concurrency: number): Promise<Verdict[]> {
    const verdicts: Verdict[] = [];
    let next = 0;
    // A fault of the harness stops the chunk, once the inputs in flight are answered.
    let fault: unknown;
    await Promise.all(
      Array.from({ length: Math.min(concurrency, inputs.length) }, async () => {
        while (next < inputs.length && fault === undefined) {
          const at = next++;
          const input = inputs[at]!;
          const id = this.nextInputId++;
          this.inputs.set(id, { input, writes: [] });
          this.inputs.delete(id - 2000); // late writes are tied to recent inputs only
          this.stats.inputs++;
          const sentAt = Date.now();
          const verdict = await (
            input.kind === 'http' ? this.sendHttp(id, input) : this.emit(id, input)
          ).catch((error: unknown) => {
            fault ??= error;
            return 'failed' as const;
          });
          this.judge(id, verdict);
          verdicts[at] = verdict;
          const time = this.timeByTarget.get(targetOf(input)) ?? { n: 0, ms: 0 };
          this.timeByTarget.set(targetOf(input), {
            n: time.n + 1,
            ms: time.ms + Date.now() - sentAt,
          });
        }
      }),
    );
    if (fault !== undefined) throw fault;
    return verdicts;
  }

  private resolve(value: FuzzValue, forSocket = false): unknown {
    if (Array.isArray(value)) return value.map((v) => this.resolve(v, forSocket));
    if (value === null || typeof value !== 'object') return value;
    const refText = value[REF_KEY];
    if (typeof refText === 'string' && Object.keys(value).length === 1) {
      const [pool, index] = refText.split('#') as [string, string];
      const values = this.pools.get(pool) ?? [];
      return values.length ? values[Number(index) % values.length] : '';
    }
    const bytes = value[BYTES_KEY];
    if (typeof bytes === 'string' && Object.keys(value).length === 1)
      return forSocket ? Buffer.from(bytes, 'base64') : bytes;
    return objectFrom(
      Object.entries(value).map(([k, v]) => [k, this.resolve(v, forSocket) as FuzzValue]),
    );
  }

  private formText(value: FuzzValue): string[] {
    const resolved = this.resolve(value);
    if (Array.isArray(resolved))
      return resolved.map((v) => (typeof v === 'string' ? v : (JSON.stringify(v) ?? '')));
    if (resolved === null || resolved === undefined) return [''];
    return [typeof resolved === 'string' ? resolved : JSON.stringify(resolved)];
  }

  private url(input: HttpInput): string {
    let path = input.route;
    for (const [name, value] of Object.entries(input.params)) {
      const text =
        value && typeof value === 'object' && 'raw' in value && typeof value.raw === 'string'
          ? value.raw
          : encodeURIComponent(this.formText(value as FuzzValue)[0]!.toWellFormed());
      path = path.replace(new RegExp(`[:*]${name}\\b`), () => text);
    }
    const query = new URLSearchParams();
    for (const [key, value] of input.query)
      for (const text of this.formText(value)) query.append(key, text);
    const search = query.toString();
    return `${this.base}${path}${search ? `?${search}` : ''}`;
  }

  private body(body: FuzzBody, csrfToken: string): { type?: string; data?: string | FormData } {
    if (body.encoding === 'json')
      return { type: 'application/json', data: JSON.stringify(this.resolve(body.value)) ?? 'null' };
    if (body.encoding === 'form') {
      const form = new URLSearchParams({ _csrf: csrfToken });
      for (const [key, value] of body.fields)
        for (const text of this.formText(value)) form.append(key, text);
      return { type: 'application/x-www-form-urlencoded', data: form.toString() };
    }
    if (body.encoding === 'raw') return { type: body.contentType, data: body.text };
    if (body.encoding === 'multipart') {
      const form = new FormData();
      for (const [key, value] of body.fields)
        for (const text of this.formText(value)) form.append(key, text);
      for (const file of body.files)
        form.append(
          file.field,
          new Blob([fileContent(file)], { type: file.contentType }),
          file.filename,
        );
      return { data: form };
    }
    return {};
  }

  private async sendHttp(id: number, input: HttpInput): Promise<Verdict> {
    const person = this.persons.get(input.as)!;
    const url = this.url(input);
    const accept = {
      default: input.route.startsWith('/api/') ? 'application/json' : 'text/html',
      json: 'application/json',
      html: 'text/html',
      any: '*/*',
    }[input.accept];
    const { type, data } = this.body(input.body, person.client.csrfToken);
    const headers: Record<string, string> = {
      cookie: person.client.cookieHeader(),
      accept,
      'x-request-id': `fuzz-${id}`,
    };
    if (type) headers['content-type'] = type;
    if (input.method !== 'GET') headers['x-csrf-token'] = person.client.csrfToken;
    let status = 0;
    let location = '';
    let text = '';
    // A 503 with Retry-After is the server asking to try again (its store was out of reach or
    // busy): tried once more a moment later, and only a second 503 counts.
    for (let attempt = 0; attempt < 2; attempt++) {
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 1000));
      try {
        const res = await fetch(url, {
          method: input.method,
          headers,
          body: data,
          redirect: 'manual',
          signal: AbortSignal.timeout(HTTP_TIMEOUT_MS),
        });
        text = await res.text();
        status = res.status;
        location = res.headers.get('location') ?? '';
        if (status !== 503 || !res.headers.has('retry-after')) break;
        if (attempt === 0) this.count('http', '503 tried again');
      } catch (error) {
        const cause = (error as { cause?: { message?: string } }).cause?.message;
        // Node answers 431 to a URL over its 16 kB header limit and closes the connection
        // without reading the body, so the upload of one breaks off: a refusal, by Node.
        if (data !== undefined && url.length > URL_LIMIT && !/timeout/i.test(cause ?? '')) {
          this.count('http', '431 (URL over 16 kB, upload cut off)');
          return 'refused';
        }
        // A timeout, or an answer the client could not read (headers over its 16 kB, say).
        const why = cause ?? (error as Error).message;
        const summary = `${input.method} ${input.route}: ${why}`;
        this.record(
          'no answer',
          summary,
          `no readable answer within ${HTTP_TIMEOUT_MS / 1000} s: ${why}`,
          input,
          id,
        );
        return 'failed';
      }
    }
    this.count('http', `${Math.floor(status / 100)}xx`);
    if (status >= 500 && !(input.route === '/readyz' && status === 503)) {
      const logged = this.takeLines(id).map((l) => `'${l.msg}' ${l.error}`);
      const code = /"code":"([^"]+)"/.exec(text)?.[1];
      this.record(
        'server error',
        logged[0] ?? `${input.method} ${input.route} → ${status}${code ? ` ${code}` : ''}`,
        `answered ${status}${code ? ` ${code}` : ''}${logged.length ? `; logged ${logged.join('; ')}` : ''}`,
        input,
        id,
        `${input.method} ${input.route}`,
      );
      return 'failed';
    }
    if (status >= 400 || (status >= 300 && location.startsWith('/signin'))) return 'refused';
    return 'accepted';
  }

  private async emit(id: number, input: SocketInput): Promise<Verdict> {
    const person = this.persons.get(input.as)!;
    const previous = person.queue;
    let release!: () => void;
    person.queue = new Promise<void>((resolve) => (release = resolve));
    await previous;
    try {
      const socket = person.socket;
      if (!socket?.connected) {
        this.count('acks', 'skipped (socket closed)');
        return 'unknown';
      }
      const args = input.args.map((a) => this.resolve(a, true));
      // socket.io closes the connection on a message over its 1 MB limit, by design.
      if (Buffer.byteLength(JSON.stringify(args)) > 900_000) {
        this.count('acks', 'not sent (over 1 MB)');
        return 'unknown';
      }
      const owners = this.packetOwners.get(socket.id!) ?? [];
      this.packetOwners.set(socket.id!, owners);
      owners.push(id);
      if (!input.ack) {
        socket.emit(input.event, ...args);
        this.count('acks', 'none asked');
        return 'unknown';
      }
      let ack: { ok?: boolean; code?: string } | undefined;
      try {
        ack = (await socket
          .timeout(ACK_TIMEOUT_MS)
          .emitWithAck(input.event, ...args)) as typeof ack;
      } catch {
        const closed = !socket.connected;
        this.record(
          'no answer',
          input.event,
          closed
            ? 'the server closed the socket'
            : `no acknowledgement within ${ACK_TIMEOUT_MS / 1000} s`,
          input,
          id,
        );
        person.freshSocket = true;
        return 'failed';
      }
      const code = ack?.ok ? 'ok' : (ack?.code ?? 'malformed ack');
      this.count('acks', code);
      if (code === 'errors.tooManyRequests') person.freshSocket = true;
      if (code === 'errors.internal' || code === 'malformed ack') {
        const logged = this.takeLines(id);
        this.record(
          'server error',
          logged[0]?.error || `${input.event} → ${code}`,
          `ack ${JSON.stringify(ack)}${logged.length ? `; logged ${logged.map((l) => `'${l.msg}' ${l.error}`).join('; ')}` : ''}`,
          input,
          id,
          input.event,
        );
        return 'failed';
      }
      return ack?.ok ? 'accepted' : 'refused';
    } finally {
      release();
    }
  }

  private count(group: 'http' | 'acks', key: string) {
    this.stats[group][key] = (this.stats[group][key] ?? 0) + 1;
  }

  // ---- judging ----

  private readonly linesByInput = new Map<number, CapturedLine[]>();

  private takeLines(id: number): CapturedLine[] {
    const lines = this.linesByInput.get(id) ?? [];
    this.linesByInput.delete(id);
    return lines;
  }

  private onErrorLine(inputId: number | undefined, line: CapturedLine) {
    const known = inputId !== undefined ? this.inputs.get(inputId) : undefined;
    if (known && known.verdict === undefined) {
      const lines = this.linesByInput.get(inputId!) ?? [];
      lines.push(line);
      this.linesByInput.set(inputId!, lines);
      return;
    }
    // Logged after the answer, or for no input at all.
    const target = known
      ? targetOf(known.input)
      : inputId !== undefined
        ? `input ${inputId}, long answered`
        : 'no input (background work)';
    this.record(
      'error log',
      `'${line.msg}' ${line.error}`,
      `logged '${line.msg}' ${line.error}`,
      known?.input,
      inputId,
      target,
    );
  }

  private onWrite(inputId: number | undefined, what: string, effect: number) {
    if (inputId === undefined || effect === 0) return;
    const known = this.inputs.get(inputId);
    if (!known) return;
    known.writes.push(`${what}×${effect}`);
    if (known.verdict === 'refused') this.judgeWrites(inputId);
  }

  private judge(id: number, verdict: Verdict) {
    const known = this.inputs.get(id)!;
    known.verdict = verdict;
    for (const line of this.takeLines(id))
      this.record(
        'error log',
        `'${line.msg}' ${line.error}`,
        `logged '${line.msg}' ${line.error}`,
        known.input,
        id,
        targetOf(known.input),
      );
    if (verdict === 'refused') {
      this.stats.refusedChecked++;
      if (known.writes.length) this.judgeWrites(id);
    }
  }

  private judgeWrites(id: number) {
    const known = this.inputs.get(id)!;
    const collections = [...new Set(known.writes.map((w) => w.split('.')[0]))].sort().join(', ');
    this.record(
      'state change on refusal',
      `${targetOf(known.input)} refused but wrote to ${collections}`,
      `refused, wrote ${known.writes.join(', ')}`,
      known.input,
      id,
    );
    known.writes = [];
  }

  private record(
    kind: Finding['kind'],
    summary: string,
    detail: string,
    input: FuzzInput | undefined,
    id: number | undefined,
    target = input ? targetOf(input) : '?',
  ) {
    const key = `${kind}|${normalise(summary)}`;
    const size = input ? JSON.stringify(input).length : 0;
    const finding = this.findings.get(key);
    if (finding) {
      finding.count++;
      finding.targets.add(target);
      if (input && size < finding.exampleSize)
        Object.assign(finding, {
          example: input,
          exampleSize: size,
          detail,
          sent: this.sent(input),
        });
      return;
    }
    this.findings.set(key, {
      kind,
      summary: normalise(summary),
      targets: new Set([target]),
      count: 1,
      example:
        input ??
        ({ kind: 'socket', as: 'anonymous', event: '(none)', args: [], ack: false } as SocketInput),
      exampleSize: size,
      sent: input ? this.sent(input) : '',
      detail,
      firstAt: id ?? 0,
    });
    this.writeFindings(this.stats.inputs);
  }

  /** The input as it went out (references resolved), shortened: the request line, or the emit. */
  private sent(input: FuzzInput): string {
    const text =
      input.kind === 'http'
        ? `${input.method} ${this.url(input).slice(this.base.length)}`
        : `emit ${input.event} ${JSON.stringify(input.args.map((a) => this.resolve(a)))}${input.ack ? ' + ack' : ''}`;
    return text.length > 300 ? `${text.slice(0, 300)}…` : text;
  }

  /** Replays each refused input that wrote, between two fingerprints, to say what it changed. */
  private async confirmStateChanges() {
    const unconfirmed = [...this.findings.values()].filter(
      (f) => f.kind === 'state change on refusal' && !f.detail.includes('replayed:'),
    );
    for (const finding of unconfirmed.slice(0, 10)) {
      const input = finding.example;
      await this.keepIdentities();
      const before = await fingerprint();
      const id = this.nextInputId++;
      this.inputs.set(id, { input, writes: [] });
      const verdict =
        input.kind === 'http' ? await this.sendHttp(id, input) : await this.emit(id, input);
      this.inputs.get(id)!.verdict = verdict;
      const changed = changedCollections(before, await fingerprint());
      finding.detail +=
        ` — replayed: ${verdict}, ` +
        (changed.length ? `changed ${changed.join(', ')}` : 'changed nothing this time');
    }
  }

  // ---- identities ----

  /** Signs each identity in again if a fuzzed input switched its session; fresh sockets where needed. */
  private async keepIdentities() {
    await this.forgiveLimits();
    for (const name of ['anonymous', 'buyer', 'streamer', 'hub', 'admin'] as const) {
      const person: Person = this.persons.get(name) ?? {
        name,
        client: new Client(this.base),
        queue: Promise.resolve(),
        freshSocket: true,
        ...(name === 'anonymous'
          ? {}
          : { login: DEMO_LOGINS[name].login, password: DEMO_PASSWORD }),
      };
      this.persons.set(name, person);
      await person.queue;
      const session = await this.session(person.client);
      const expected = name === 'anonymous' ? undefined : person.userId;
      // Someone else now (a fuzzed sign-in or sign-up), or the same person in another role (a
      // fuzzed invitation made the buyer a shop's assistant).
      if (
        session.status !== 200 ||
        session.actorId !== expected ||
        (name !== 'anonymous' && (!expected || session.role !== DEMO_LOGINS[name].role))
      ) {
        person.client = new Client(this.base);
        if (name === 'anonymous') await this.session(person.client);
        else await this.signIn(person);
        person.freshSocket = true;
      }
      if (person.freshSocket || !person.socket?.connected) {
        person.socket?.close();
        person.socket = await openSocket(this.base, person.client.cookieHeader());
        person.freshSocket = false;
      }
    }
  }

  /** The session's person, and its CSRF token kept in the client (a new session has a new one). */
  private async session(client: Client) {
    const reply = await client.get<{
      actor: { id: string; role: string } | null;
      csrfToken: string;
    }>('/api/session');
    if (reply.status === 200) client.csrfToken = reply.body.csrfToken;
    const actor = reply.status === 200 ? reply.body.actor : undefined;
    return { status: reply.status, actorId: actor?.id, role: actor?.role };
  }

  private async signIn(person: Person) {
    const role = DEMO_LOGINS[person.name as Exclude<Identity, 'anonymous'>].role;
    let reply = await person.client.signIn(person.login!, person.password!);
    // A fuzzed form made the demo buyer a shop owner, or an assistant: a new buyer takes over.
    if (
      reply.status === 200 &&
      (reply.body.actor as { role?: string }).role !== role &&
      person.name === 'buyer'
    ) {
      const [email] = await createBuyers(1);
      Object.assign(person, {
        login: email,
        password: BUYER_PASSWORD,
        client: new Client(this.base),
      });
      reply = await person.client.signIn(person.login!, person.password!);
    }
    if (reply.status !== 200)
      throw new Error(
        `${person.name} (${person.login}) could not sign in again: ${reply.status} ${JSON.stringify(reply.body)}`,
      );
    person.userId = reply.body.actor.id;
  }

  /** Lifts the sign-in and trace-lookup limits, so they stop neither the fuzzer nor later tests. */
  async forgiveLimits() {
    await deleteKeysWithPrefix(this.runtime.redis, this.runtime.keys.key('rl'));
  }

  // ---- reporting ----

  writeFindings(done: number, runs?: number) {
    if (!this.findingsFile) return;
    writeFileSync(
      this.findingsFile,
      findingsMarkdown(this.findings, { seed: this.seed, done, runs }),
    );
    writeFileSync(
      this.findingsFile.replace(/(\.md)?$/, '.json'),
      JSON.stringify(
        [...this.findings.values()].flatMap((f) => (f.exampleSize ? [f.example] : [])),
      ),
    );
  }
}

function targetOf(input: FuzzInput): string {
  return input.kind === 'http' ? `${input.method} ${input.route}` : input.event;
}

/** A summary with the parts that vary between inputs (ids, numbers, quoted values) taken out. */
function normalise(text: string): string {
  return text
    .replace(/[0-9a-f]{24}/g, '<id>')
    .replace(/"([^"]*)"/g, (_m, inner: string) =>
      /^[\w.$-]{1,30}$/.test(inner) ? `"${inner}"` : '"…"',
    )
    .replace(/:\d+:\d+\b/g, '')
    .replace(/\b\d+\b/g, 'N')
    .slice(0, 300);
}

export function findingsMarkdown(
  findings: Map<string, Finding>,
  run: { seed: number; done: number; runs?: number | undefined },
): string {
  const list = [...findings.values()].sort(
    (a, b) => a.kind.localeCompare(b.kind) || b.count - a.count,
  );
  const lines = [
    `# Fuzz findings (seed ${run.seed}, ${run.done}${run.runs ? ` of ${run.runs}` : ''} inputs)`,
    '',
    'One entry per root cause; the example is the smallest input seen with it. Replay the examples',
    'with `npm run fuzz -- --replay <this file>.json` (or rerun with `--seed`).',
    '',
  ];
  list.forEach((f, i) => {
    lines.push(`## ${i + 1}. ${f.kind}: ${f.summary}`, '');
    lines.push(
      `- seen ${f.count}× on ${[...f.targets].sort().join(', ')} (first at input ${f.firstAt})`,
    );
    lines.push(`- example (${f.example.as}): \`${showInput(f.example)}\``);
    if (f.sent) lines.push(`- sent: \`${f.sent}\``);
    lines.push(`- ${f.detail}`, '');
  });
  if (list.length === 0) lines.push('None so far.');
  return `${lines.join('\n')}\n`;
}
