// One load-generator process of the live bench (started by runLoad in scripts/bench/load.ts over
// IPC; not run by hand). It opens a socket.io connection per buyer (websocket transport, the
// buyer's session cookie), joins the live room, waits for `fire`, then runs every buyer at once:
// each buyer sends its buys one after another, the next once the previous one (and its resend)
// is answered. A resent buy goes twice at once with the same clientKey, as a phone's retry after
// a reconnect does. A buy the server does not answer within the ack timeout is answered
// `bench.timeout` here, one whose socket dropped `bench.disconnected`.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { io, type Socket } from 'socket.io-client';
import { pool, sleep } from './bench-kit.ts';
import {
  emptyStats,
  type Ack,
  type BuyResult,
  type FromGenerator,
  type LoadPlan,
  type Target,
  type ToGenerator,
} from './load.ts';

/** The flood limiter's window, with a margin for the way to the server. */
const WINDOW_MS = 10_000 + 500;
const CONNECT_ATTEMPTS = 3;
const CONNECT_TIMEOUT_MS = 20_000;
const JOIN_TIMEOUT_MS = 30_000;

const send = (message: FromGenerator) => process.send!(message);
const wallClock = (t: number) => performance.timeOrigin + t;

interface Answer {
  ack: Ack;
  /** performance.now() when it was settled. */
  t: number;
  /** The server answered (not a timeout or a dropped socket). */
  real: boolean;
}

function ask(socket: Socket, event: string, payload: unknown, timeoutMs: number) {
  if (!socket.connected)
    return Promise.resolve<Answer>({
      ack: { ok: false, code: 'bench.disconnected' },
      t: performance.now(),
      real: false,
    });
  return new Promise<Answer>((resolve) => {
    let settled = false;
    let timedOut = false;
    const finish = (ack: Ack, real: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.off('disconnect', dropped);
      resolve({ ack, t: performance.now(), real });
    };
    const dropped = () => finish({ ok: false, code: 'bench.disconnected' }, false);
    const timer = setTimeout(() => {
      timedOut = true;
      awaitingLate++;
      finish({ ok: false, code: 'bench.timeout' }, false);
    }, timeoutMs);
    socket.on('disconnect', dropped);
    socket.emit(event, payload, (ack: Ack | undefined) => {
      if (settled && timedOut && counting) {
        awaitingLate--;
        stats.lateAt.push(Math.round(wallClock(performance.now())));
        if (ack?.ok) stats.lateOk++;
      }
      finish(ack ?? { ok: false, code: 'bench.emptyAck' }, true);
    });
  });
}

const stats = emptyStats();
let counting = false;
/** Buys given up on whose answer may still come. */
let awaitingLate = 0;
/** After the last buy, how long answers to buys given up on are still waited for. */
const LINGER_MS = 15_000;

async function open(plan: LoadPlan, target: Target): Promise<Socket> {
  let last: unknown;
  for (let attempt = 1; attempt <= CONNECT_ATTEMPTS; attempt++) {
    const socket = io(target.url, {
      transports: ['websocket'],
      extraHeaders: target.cookie ? { cookie: target.cookie } : {},
      reconnection: false,
      forceNew: true,
      timeout: CONNECT_TIMEOUT_MS,
    });
    try {
      await new Promise<void>((resolve, reject) => {
        socket.once('connect', () => resolve());
        socket.once('connect_error', reject);
      });
      const join = await ask(socket, 'live:join', { sessionId: plan.sessionId }, JOIN_TIMEOUT_MS);
      if (!join.ack.ok) throw new Error(`live:join answered ${join.ack.code}`);
      socket.on('disconnect', () => {
        if (counting) stats.disconnects++;
      });
      socket.onAny(() => {
        if (counting) stats.pushes++;
      });
      return socket;
    } catch (error) {
      socket.close();
      last = error;
      if (attempt < CONNECT_ATTEMPTS) {
        stats.connectRetries++;
        await sleep(500 * attempt);
      }
    }
  }
  throw new Error(`buyer ${target.buyer} could not connect: ${(last as Error).message}`);
}

/** Waits until sending `events` more keeps this socket within the flood limit. */
async function pace(sent: number[], events: number, limit: number) {
  let waited = 0;
  for (let guard = 0; guard < 1000; guard++) {
    const t = performance.now();
    while (sent.length && sent[0]! <= t - WINDOW_MS) sent.shift();
    const over = sent.length + events - limit;
    if (over <= 0) break;
    const wait = sent[over - 1]! + WINDOW_MS - t;
    waited += wait;
    await sleep(wait);
  }
  if (waited > 0) {
    stats.pacedBuys++;
    stats.pacedMs += Math.round(waited);
  }
}

async function runBuyer(plan: LoadPlan, socket: Socket, target: Target): Promise<BuyResult[]> {
  const results: BuyResult[] = [];
  const sent: number[] = [];
  for (let seq = 0; seq < target.resends.length; seq++) {
    const twice = target.resends[seq]!;
    await pace(sent, twice ? 2 : 1, plan.buyLimit);
    const clientKey = `${plan.keyPrefix}-${target.buyer}-${seq}`;
    const buy = { sessionId: plan.sessionId, offerId: plan.offerId, quantity: 1, clientKey };
    const started = performance.now();
    sent.push(started);
    if (twice) sent.push(started);
    const answers = await Promise.all([
      ask(socket, 'live:buy', buy, plan.ackTimeoutMs),
      ...(twice ? [ask(socket, 'live:buy', buy, plan.ackTimeoutMs)] : []),
    ]);
    const ok = answers.filter((a) => a.ack.ok).map((a) => a.t);
    const real = answers.filter((a) => a.real).map((a) => a.t);
    results.push({
      buyer: target.buyer,
      seq,
      clientKey,
      first: answers[0]!.ack,
      ...(answers[1] ? { resend: answers[1].ack } : {}),
      ms: Math.max(...answers.map((a) => a.t)) - started,
      ...(ok.length ? { okAt: wallClock(Math.min(...ok)) } : {}),
      ...(real.length ? { ackAt: wallClock(Math.max(...real)) } : {}),
    });
  }
  return results;
}

let plan: LoadPlan | undefined;
let targets: Target[] = [];
const sockets: Socket[] = [];

process.on('disconnect', () => process.exit(1));
process.on('message', (message: ToGenerator) => {
  void (async () => {
    switch (message.type) {
      case 'connect': {
        plan = message.plan;
        targets = message.targets;
        try {
          await pool(plan.connectConcurrency, targets, async (target, i) => {
            sockets[i] = await open(plan!, target);
          });
          send({ type: 'ready' });
        } catch (error) {
          send({ type: 'failed', error: (error as Error).message });
        }
        break;
      }
      case 'fire': {
        await sleep(Math.max(0, message.at - Date.now()));
        counting = true;
        const loop = monitorEventLoopDelay({ resolution: 10 });
        loop.enable();
        const cpu = process.cpuUsage();
        const started = performance.now();
        const perBuyer = await Promise.all(
          targets.map((target, i) => runBuyer(plan!, sockets[i]!, target)),
        );
        loop.disable();
        const used = process.cpuUsage(cpu);
        stats.cpuMs = Math.round((used.user + used.system) / 1000);
        stats.wallMs = Math.round(performance.now() - started);
        // No sample at all means the loop never turned during the buys: one block, all of it.
        stats.loopDelayP99Ms = loop.count ? Math.round(loop.percentile(99) / 1e6) : stats.wallMs;
        stats.loopDelayMaxMs = loop.count ? Math.round(loop.max / 1e6) : stats.wallMs;
        // Late answers say whether the server was still working: give them a moment.
        const lingerUntil = performance.now() + LINGER_MS;
        while (awaitingLate > 0 && performance.now() < lingerUntil) await sleep(100);
        counting = false;
        send({ type: 'done', results: perBuyer.flat(), stats });
        break;
      }
      case 'close': {
        for (const socket of sockets) socket?.close();
        setTimeout(() => process.exit(0), 200);
        break;
      }
    }
  })();
});
