// The big rush when things break: a buyer resends after the sell-out, a web process is killed
// in the middle of the rush, Redis is wiped in the middle of the rush. In every case the buyers
// are told the truth, nothing is oversold, and the stock comes back by itself.
import path from 'node:path';
import { expect } from 'chai';
import { Redis } from 'ioredis';
import type { Socket } from 'socket.io-client';
import { startWebServer, type WebServer } from '../../server/app/web-server.ts';
import { findExecutable } from '../../server/core/local-services/processes.ts';
import { spawnRedis } from '../../server/core/local-services/redis.ts';
import { LiveStock } from '../../server/live/live-stock.ts';
import { OrderModel, STOCK_HOLDING_STATUSES } from '../../server/orders/order.model.ts';
import { sellableStockBySku } from '../../server/stock/stock-ledger.ts';
import { StockReservations } from '../../server/stock/stock-reservations.ts';
import { startWorkers, type Workers } from '../../workers/index.ts';
import { eventually, runEntry, childEnv, startWebProcesses } from '../support/processes.ts';
import { getRuntime } from '../support/root-hooks.ts';
import { trackServer } from '../support/spawned-processes.ts';
import { freePort } from '../support/test-env.ts';
import { TIMEOUTS } from '../support/timeouts.ts';
import { ask, buyerSocket, liveSession, type Ack } from '../support/live-room.ts';
import { inBatches } from '../support/processes.ts';

type Bought = Ack & { data?: { orderNo: string } };

const buyOnce = (socket: Socket, sessionId: string, offerId: string, clientKey: string) =>
  ask(socket, 'live:buy', { sessionId, offerId, quantity: 1, clientKey }).catch((): Bought => ({
    ok: false,
    code: 'no-answer',
  })) as Promise<Bought>;

/** Units held by the offer's orders in MongoDB (placed and not given back). */
async function unitsInOrders(offerId: string): Promise<number> {
  const orders = await OrderModel.find(
    { 'live.offerId': offerId, status: { $in: STOCK_HOLDING_STATUSES } },
    { lines: 1 },
  ).lean();
  return orders.reduce((s, o) => s + o.lines.reduce((n, l) => n + l.quantity, 0), 0);
}

describe('the big rush when things break', function () {
  this.timeout(240_000);
  const sockets: Socket[] = [];
  const track = <T extends { socket: Socket }>(x: T) => (sockets.push(x.socket), x);
  afterEach(() => {
    for (const s of sockets.splice(0)) s.close();
  });

  describe('one web process', () => {
    let web: WebServer;
    let base: string;
    before(async () => {
      web = await startWebServer(getRuntime(), { port: 0 });
      base = `http://127.0.0.1:${web.port}`;
    });
    after(() => web.close());

    it('a resend after the sell-out gets its own order, even once Redis has forgotten the key', async () => {
      const { sessionId, offerId } = await liveSession(1, 1);
      const winner = track(await buyerSocket(base));
      const loser = track(await buyerSocket(base));
      const won = await buyOnce(winner.socket, sessionId, offerId, 'resend-won-01');
      expect(won.ok, JSON.stringify(won)).to.equal(true);
      const lost = await buyOnce(loser.socket, sessionId, offerId, 'resend-lost-01');
      expect(lost.code).to.equal('errors.soldOut');

      // The winner's phone never heard its answer and sends the same buy again: its order.
      const again = await buyOnce(winner.socket, sessionId, offerId, 'resend-won-01');
      expect(again.ok, JSON.stringify(again)).to.equal(true);
      expect(again.data!.orderNo).to.equal(won.data!.orderNo);

      // Redis lost the key (a wipe of that one key): the resend says it is one, and still
      // gets its order rather than 已抢光.
      const { redis } = getRuntime();
      const stock = new StockReservations(redis, getRuntime().keys);
      const order = (await OrderModel.findOne({ orderNo: won.data!.orderNo }).lean())!;
      await redis.del(stock.placementKey(order.idempotencyKey));
      const late = (await ask(winner.socket, 'live:buy', {
        sessionId,
        offerId,
        quantity: 1,
        clientKey: 'resend-won-01',
        resend: true,
      })) as Bought;
      expect(late.ok, JSON.stringify(late)).to.equal(true);
      expect(late.data!.orderNo).to.equal(won.data!.orderNo);
      // The loser's resend is still told the truth.
      expect((await buyOnce(loser.socket, sessionId, offerId, 'resend-lost-01')).code).to.equal(
        'errors.soldOut',
      );
      expect(await OrderModel.countDocuments({ 'live.offerId': offerId })).to.equal(1);
    });
  });

  describe('two web processes and a worker', () => {
    let workers: Workers;
    before(async () => {
      workers = await startWorkers(getRuntime());
    });
    after(() => workers.close());

    it('units held by a web process killed mid-rush are back on sale within 30 s, and Redis agrees with the ledger', async () => {
      const allotment = 40;
      const { sessionId, offerId, sku } = await liveSession(allotment, 1, 100);
      // Process B holds its placements three seconds before writing: it is killed holding them.
      const { bases, webs, stop } = await startWebProcesses(2, (i) =>
        i === 1
          ? { ORDER_BATCH_WAIT_MS: '3000', ORDER_BATCH_MAX: '1000' }
          : ({} as Record<string, string>),
      );
      try {
        const onA = await inBatches(
          8,
          Array.from({ length: 10 }, () => () => buyerSocket(bases[0]!)),
        );
        const onB = await inBatches(
          8,
          Array.from({ length: 25 }, () => () => buyerSocket(bases[1]!)),
        );
        onA.concat(onB).forEach(track);
        const { redis, keys } = getRuntime();
        const live = new LiveStock(redis, keys, new StockReservations(redis, keys));

        const fromA = onA.map((b, i) => buyOnce(b.socket, sessionId, offerId, `kill-a-${i}-xx`));
        const fromB = onB.map((b, i) => buyOnce(b.socket, sessionId, offerId, `kill-b-${i}-xx`));
        // Wait until B holds its units in Redis, then kill it without a chance to clean up.
        await eventually(
          async () => ((await live.counters(sessionId, offerId))?.remaining ?? allotment) <= 5,
        );
        webs[1]!.child.kill('SIGKILL');
        const killedAt = Date.now();
        const answersA = await Promise.all(fromA);
        const answersB = await Promise.all(fromB);
        expect(answersA.every((a) => a.ok)).to.equal(true);
        expect(answersB.filter((a) => a.ok)).to.have.length(0); // never acknowledged

        // Within 30 s the dead process's units are back: the offer shows what MongoDB holds.
        // (The 30 s is the promise, so it is not stretched by TEST_TIME_FACTOR; the wait is.)
        await eventually(async () => {
          const counters = await live.counters(sessionId, offerId);
          return counters!.remaining === allotment - (await unitsInOrders(offerId));
        }, TIMEOUTS.reaperHeals);
        const healedInMs = Date.now() - killedAt;
        expect(healedInMs, 'ms until the units were back').to.be.below(30_000);
        expect(await unitsInOrders(offerId)).to.equal(10);
        // Redis agrees with the ledger: the SKU counter is the ledger's balance.
        const ledger = (await sellableStockBySku([sku._id])).get(String(sku._id))!;
        expect(ledger).to.equal(100 - 10);
        const counter = await redis.hget(
          new StockReservations(redis, keys).counterKey(String(sku._id)),
          'available',
        );
        expect(Number(counter)).to.equal(ledger);

        // And the units sell again, through the process that lived.
        const more = await inBatches(
          8,
          Array.from({ length: 5 }, () => () => buyerSocket(bases[0]!)),
        );
        more.forEach(track);
        const resold = await Promise.all(
          more.map((b, i) => buyOnce(b.socket, sessionId, offerId, `kill-again-${i}-xx`)),
        );
        expect(
          resold.every((a) => a.ok),
          JSON.stringify(resold),
        ).to.equal(true);
      } finally {
        await stop();
      }
    });
  });

  describe('a Redis of its own, wiped mid-rush', () => {
    let redis: Redis;
    let stopRedis = async () => {};
    let env: Record<string, string>;
    before(async function () {
      const binary = findExecutable('redis-server', ['/usr/sbin', '/usr/local/bin']);
      if (!binary) throw new Error('redis-server is not installed (apt-get install redis-server)');
      const port = await freePort();
      const server = trackServer(
        await spawnRedis(
          binary,
          port,
          path.join(getRuntime().config.DATA_DIR, 'logs', `redis-flush-test-${port}.log`),
        ),
      );
      stopRedis = () => server.stop();
      env = { REDIS_URL: `redis://127.0.0.1:${port}/0` };
      redis = new Redis(env.REDIS_URL!);
    });
    after(async () => {
      redis.disconnect();
      await stopRedis();
    });

    it('after FLUSHALL mid-rush, buying works again within 60 s with no process restarted, and nothing is oversold', async () => {
      // 110 buyers for 100 units: 90 in the rush that Redis loses, 20 more once it is back.
      const allotment = 100;
      const { sessionId, offerId, sku } = await liveSession(allotment, 1, 200);
      const { bases, stop } = await startWebProcesses(2, () => env);
      const worker = runEntry('workers/main.ts', childEnv(env));
      try {
        const buyers = await inBatches(
          8,
          Array.from({ length: 110 }, (_, i) => () => buyerSocket(bases[i % 2]!)),
        );
        buyers.forEach(track);
        for (const b of buyers.slice(0, 2))
          expect((await ask(b.socket, 'live:join', { sessionId })).ok).to.equal(true);

        const rush = buyers
          .slice(0, 90)
          .map((b, i) => buyOnce(b.socket, sessionId, offerId, `flush-${i}-xxxx`));
        // Wipe Redis once units are being taken, while orders are still in flight.
        const { keys } = getRuntime();
        const offerKey = new LiveStock(redis, keys, new StockReservations(redis, keys)).offerKey(
          sessionId,
          offerId,
        );
        let taken = 0;
        for (let i = 0; i < 2000 && taken < 20; i++) {
          await new Promise((r) => setTimeout(r, 2));
          taken = Number((await redis.hget(offerKey, 'sold')) ?? 0);
        }
        const written = await OrderModel.countDocuments({ 'live.offerId': offerId });
        await redis.flushall();
        const flushedAt = Date.now();
        expect(taken, 'units taken in Redis when it was wiped').to.be.above(written);
        const answers = await Promise.all(rush);

        // Buying works again, with no process restarted: the buyers who waited try now.
        const seen = new Set<string>();
        const after = await eventually(async () => {
          const tries = await Promise.all(
            buyers
              .slice(90)
              .map((b, i) =>
                buyOnce(b.socket, sessionId, offerId, `after-flush-${i}-${Date.now()}`),
              ),
          );
          tries.forEach((a) => seen.add(a.code ?? 'ok'));
          return tries.some((a) => a.ok) ? tries : undefined;
        }, 60_000).catch((error: Error) => {
          throw new Error(`${error.message}; answers seen: ${[...seen].join(', ')}`);
        });
        expect(Date.now() - flushedAt).to.be.below(60_000);
        expect(after.some((a) => a.ok)).to.equal(true);

        // Nothing oversold, nothing acknowledged lost, one unit per buyer at most.
        const orders = await OrderModel.find(
          { 'live.offerId': offerId, status: { $in: STOCK_HOLDING_STATUSES } },
          { orderNo: 1, buyerId: 1, lines: 1 },
        ).lean();
        expect(await unitsInOrders(offerId)).to.be.at.most(allotment);
        expect(new Set(orders.map((o) => String(o.buyerId))).size).to.equal(orders.length);
        const inMongo = new Set(orders.map((o) => o.orderNo));
        for (const a of [...answers, ...after].filter((x) => x.ok))
          expect(inMongo.has(a.data!.orderNo), a.data!.orderNo).to.equal(true);
        const ledger = (await sellableStockBySku([sku._id])).get(String(sku._id))!;
        expect(ledger).to.equal(200 - (await unitsInOrders(offerId)));
      } finally {
        await Promise.all([stop(), worker.stop()]);
      }
    });
  });
});
