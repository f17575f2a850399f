// A SKU's stock counter raced through StockReservations by processes on connections of their own:
// placements reserving while the counter is rebuilt, given up by their process and by reapers,
// settled just as their lease runs out, released over and over, and resynced from the ledger
// mid-rush. Whatever wins, Redis's available plus what orders hold is what the ledger received.
import { expect } from 'chai';
import type { Types } from 'mongoose';
import type { Redis } from '../../server/core/redis.ts';
import {
  movementIds,
  recordMovements,
  sellableStockBySku,
  theHubId,
} from '../../server/stock/stock-ledger.ts';
import {
  StockReservations,
  type ReservedLine,
  type ReserveOutcome,
} from '../../server/stock/stock-reservations.ts';
import { pausedAt, separateRedisConnections, skuWithStock } from '../support/fixtures.ts';
import { getRuntime } from '../support/root-hooks.ts';

type Reserved = Extract<ReserveOutcome, { kind: 'reserved' }>;

describe('a stock counter raced by several processes (reserve, settle, abandon, release, rebuild)', function () {
  this.timeout(120_000);
  let connections: Redis[] = [];
  let stocks: StockReservations[] = [];
  let close = async () => {};

  before(() => {
    ({ connections, close } = separateRedisConnections(8));
    stocks = connections.map((c) => new StockReservations(c, getRuntime().keys));
  });
  after(() => close());

  const inProcess = (i: number) => stocks[i % stocks.length]!;

  /** What the SKU's counter says: units on sale now, and placements between reserving and settling. */
  async function counter(skuId: string) {
    const { redis } = getRuntime();
    const [available, inflight] = await redis.hmget(
      stocks[0]!.counterKey(skuId),
      'available',
      'inflight',
    );
    return { available: Number(available), inflight: Number(inflight) };
  }

  /** A SKU with `units` received, and `count` placements of `quantity` reserved by `owner`. */
  async function reservedBy(
    owner: StockReservations,
    units: number,
    count: number,
    quantity: number,
  ) {
    const sku = await skuWithStock(units);
    const skuId = String(sku._id);
    const placements = await Promise.all(
      Array.from({ length: count }, async (_, i) => {
        const idempotencyKey = `race-${sku.code}-${i}`;
        const orderNo = `SR${sku.code}${i}`;
        const outcome = await owner.reserve(idempotencyKey, orderNo, [{ skuId, quantity }]);
        expect(outcome.kind).to.equal('reserved');
        return { idempotencyKey, orderNo, lines: (outcome as Reserved).lines };
      }),
    );
    return { sku, skuId, placements };
  }

  it('reserve-stock + rebuild-stock: 300 placements on 8 processes find the counter missing and race for 50 units; exactly 50 are reserved', async () => {
    const sku = await skuWithStock(50);
    const skuId = String(sku._id);
    // No counter yet: every process rebuilds it from the ledger as its first placement arrives.
    const outcomes = await Promise.all(
      Array.from({ length: 300 }, (_, i) =>
        inProcess(i).reserve(`race-${sku.code}-${i}`, `SR${sku.code}${i}`, [
          { skuId, quantity: 1 },
        ]),
      ),
    );
    const reserved = outcomes.flatMap((o, i) =>
      o.kind === 'reserved' ? [{ i, lines: o.lines }] : [],
    );
    expect(reserved).to.have.length(50);
    expect(outcomes.filter((o) => o.kind === 'sold_out')).to.have.length(250);
    expect(await counter(skuId)).to.deep.equal({ available: 0, inflight: 50 });

    // The orders are written: each process settles its own, and every reservation still counts.
    const stale = await Promise.all(
      stocks.map((s, p) =>
        s.settle(
          reserved
            .filter((r) => r.i % stocks.length === p)
            .map((r) => ({ orderNo: `SR${sku.code}${r.i}`, lines: r.lines })),
        ),
      ),
    );
    expect(stale.map((m) => m.size)).to.deep.equal(stocks.map(() => 0));
    expect(await counter(skuId)).to.deep.equal({ available: 0, inflight: 0 });
  });

  it('abandon-placement: 20 placements each given up 10 times at once (their process, reapers elsewhere) give their units back once', async () => {
    const owner = inProcess(0);
    const { skuId, placements } = await reservedBy(owner, 40, 20, 2);
    expect(await counter(skuId)).to.deep.equal({ available: 0, inflight: 20 });

    const answers = await Promise.all(
      placements.map((p, i) =>
        Promise.all(
          Array.from({ length: 10 }, (_, k) =>
            inProcess(i + k).abandon(p.orderNo, false, owner.owner),
          ),
        ),
      ),
    );

    expect(
      answers.map((a) => a.filter(Boolean).length),
      'abandons that gave units back, per placement',
    ).to.deep.equal(placements.map(() => 1));
    expect(await counter(skuId)).to.deep.equal({ available: 40, inflight: 0 });
    // The buyers' keys are forgotten: a retry is a fresh attempt.
    expect(
      await Promise.all(placements.map((p) => owner.placedOrderNo(p.idempotencyKey))),
    ).to.deep.equal(placements.map(() => null));
  });

  it('settle-stock vs abandon-placement: 60 orders written just as reapers give their placements up are each kept or given back, never both', async () => {
    const owner = inProcess(0);
    const { skuId, placements } = await reservedBy(owner, 60, 60, 1);

    // The owner settles its write batches of ten while two reapers (who think its lease ran
    // out) give every placement up; the calls are interleaved so either side can come first.
    const settles: Promise<Map<string, ReservedLine[]>>[] = [];
    const abandons: Promise<boolean>[][] = placements.map(() => []);
    for (let b = 0; b < placements.length; b += 10) {
      const batch = placements.slice(b, b + 10);
      batch.forEach((p, j) => {
        if (j % 2 === 0)
          abandons[b + j]!.push(inProcess(1 + j).abandon(p.orderNo, false, owner.owner));
      });
      settles.push(owner.settle(batch.map((p) => ({ orderNo: p.orderNo, lines: p.lines }))));
      batch.forEach((p, j) => {
        abandons[b + j]!.push(inProcess(2 + j).abandon(p.orderNo, false, owner.owner));
      });
    }
    const stale = new Map((await Promise.all(settles)).flatMap((m) => [...m]));
    const given = await Promise.all(abandons.map((a) => Promise.all(a)));

    const outcome = placements.map((p, i) => ({
      kept: !stale.has(p.orderNo),
      givenBack: given[i]!.filter(Boolean).length,
    }));
    expect(
      outcome.filter((o) => Number(o.kept) + o.givenBack !== 1),
      'placements kept and given back, or neither',
    ).to.deep.equal([]);
    const kept = outcome.filter((o) => o.kept).length;
    expect(await counter(skuId)).to.deep.equal({ available: 60 - kept, inflight: 0 });
  });

  it('release-stock: ten orders each released 20 times at once give their units back once, while 100 buyers take them', async () => {
    const owner = inProcess(0);
    const { sku, skuId, placements } = await reservedBy(owner, 30, 10, 3);
    const stale = await owner.settle(
      placements.map((p) => ({ orderNo: p.orderNo, lines: p.lines })),
    );
    expect(stale.size).to.equal(0);
    expect(await counter(skuId)).to.deep.equal({ available: 0, inflight: 0 });

    // The orders expire (the job, its retries, the sweep) while new buyers keep pressing buy.
    const releases: Promise<void>[] = [];
    const buys: Promise<ReserveOutcome>[] = [];
    for (let k = 0; k < 200; k++) {
      const p = placements[k % placements.length]!;
      releases.push(inProcess(k).release(p.orderNo, p.lines));
      if (k % 2 === 0)
        buys.push(
          inProcess(k + 1).reserve(`late-${sku.code}-${k}`, `SL${sku.code}${k}`, [
            { skuId, quantity: 1 },
          ]),
        );
    }
    await Promise.all(releases);
    const taken = (await Promise.all(buys)).filter((o) => o.kind === 'reserved').length;

    expect(taken, 'units the new buyers got').to.be.at.most(30);
    expect((await counter(skuId)).available, 'units still on sale').to.equal(30 - taken);
  });

  it('rebuild-stock: the resync job running throughout a rush of 120 placements for 60 units never puts back a unit', async () => {
    const sku = await skuWithStock(60);
    const skuId = String(sku._id);
    const hubId = await theHubId();
    await inProcess(0).available([skuId]);

    // A placement as the order writer makes it: reserve, write the ledger, settle.
    const place = async (i: number) => {
      const orderNo = `SY${sku.code}${i}`;
      const outcome = await inProcess(i).reserve(`rush-${sku.code}-${i}`, orderNo, [
        { skuId, quantity: 1 },
      ]);
      if (outcome.kind !== 'reserved') return outcome.kind;
      await writeToLedger(orderNo, sku._id, hubId);
      const stale = await inProcess(i).settle([{ orderNo, lines: outcome.lines }]);
      return stale.size === 0 ? 'kept' : 'lost to a resync';
    };
    let rushing = true;
    const resyncing = [5, 6, 7].map(async (p) => {
      while (rushing) await inProcess(p).resync(skuId);
    });
    const outcomes = await Promise.all(Array.from({ length: 120 }, (_, i) => place(i)));
    rushing = false;
    await Promise.all(resyncing);

    expect(outcomes.filter((o) => o === 'kept')).to.have.length(60);
    expect(outcomes.filter((o) => o === 'sold_out')).to.have.length(60);
    expect((await sellableStockBySku([sku._id])).get(skuId), 'the ledger').to.equal(0);
    expect(await counter(skuId)).to.deep.equal({ available: 0, inflight: 0 });
  });

  it('rebuild-stock: a resync that read the ledger just before the last unit’s order was written does not put that unit back on sale', async () => {
    const sku = await skuWithStock(1);
    const skuId = String(sku._id);
    const hubId = await theHubId();
    const owner = inProcess(0);
    const orderNo = `SZ${sku.code}`;
    const last = await owner.reserve(`last-${sku.code}`, orderNo, [{ skuId, quantity: 1 }]);
    expect(last.kind).to.equal('reserved');

    // The resync job reads the counter and the ledger while that order is being written, and
    // its last step reaches Redis late (a busy worker, a slow network). (Seeing the placement in
    // flight, it may also give up before that step: then there is nothing to hold back.)
    const slow = pausedAt(connections[1]!, 'rebuildStock');
    const resyncing = new StockReservations(slow.connection, getRuntime().keys).resync(skuId);
    await Promise.race([slow.reached, resyncing]);
    // Meanwhile the order is written: the ledger first, then the placement settles.
    await writeToLedger(orderNo, sku._id, hubId);
    expect((await owner.settle([{ orderNo, lines: (last as Reserved).lines }])).size).to.equal(0);
    slow.letGo();
    await resyncing;

    expect((await sellableStockBySku([sku._id])).get(skuId), 'the ledger').to.equal(0);
    expect(await counter(skuId), 'the counter').to.deep.equal({ available: 0, inflight: 0 });
    const next = await inProcess(2).reserve(`next-${sku.code}`, `SZ${sku.code}2`, [
      { skuId, quantity: 1 },
    ]);
    expect(next.kind, 'the next buyer of a sold-out SKU').to.equal('sold_out');
  });
});

/** The order writer's reservation movement for a one-unit order. */
async function writeToLedger(orderNo: string, skuId: Types.ObjectId, hubId: Types.ObjectId) {
  const { failed } = await recordMovements([
    {
      movementId: movementIds.reserve(orderNo, String(skuId)),
      skuId,
      hubId,
      kind: 'reserved',
      delta: -1,
      orderNos: [orderNo],
    },
  ]);
  expect(failed.size).to.equal(0);
}
