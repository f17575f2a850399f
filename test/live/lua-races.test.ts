// A live offer's counters raced through LiveStock from connections of their own, as several web
// and worker processes would: units returned, holds lapsing, the allotment changed and the
// counters rebuilt, each while buyers tap. The buy itself is raced in live-room.test.ts (160
// buyers, 60 units, two processes) and live-rush-faults.test.ts.
import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import type { Redis } from '../../server/core/redis.ts';
import { LiveStock, type LiveReserveOutcome } from '../../server/live/live-stock.ts';
import { StockReservations } from '../../server/stock/stock-reservations.ts';
import { separateRedisConnections, skuWithStock } from '../support/fixtures.ts';
import { getRuntime } from '../support/root-hooks.ts';

interface Offer {
  sessionId: string;
  offerId: string;
}

describe('live offers raced from several processes (live-*.lua)', function () {
  this.timeout(120_000);
  let connections: Redis[] = [];
  let lives: LiveStock[] = [];
  let stocks: StockReservations[] = [];
  let close = async () => {};
  let skuId = '';
  let taps = 0;
  const run = randomBytes(3).toString('hex');

  before(async () => {
    ({ connections, close } = separateRedisConnections(8));
    const { keys } = getRuntime();
    stocks = connections.map((c) => new StockReservations(c, keys));
    lives = connections.map((c, i) => new LiveStock(c, keys, stocks[i]!));
    skuId = String((await skuWithStock(5000, 2990))._id);
    await lives[0]!.ensureSkuCounters([skuId]);
  });
  after(() => close());

  const live = (i: number) => lives[i % lives.length]!;

  /** A pinned offer, open for buying, its counters made the way a session makes them. */
  async function openOffer(allotment: number, perBuyerLimit: number): Promise<Offer> {
    const offer = {
      sessionId: randomBytes(6).toString('hex'),
      offerId: randomBytes(4).toString('hex'),
    };
    await live(0).create(offer.sessionId, offer.offerId, allotment, 0, perBuyerLimit, new Map());
    await live(0).setWindow(offer.sessionId, offer.offerId, 'open');
    return offer;
  }

  /** One tap on "buy" with a client key of its own; the order number it would get. */
  async function tap(onProcess: number, offer: Offer, buyerId: string, quantity = 1) {
    const orderNo = `LR${run}${++taps}`;
    const outcome = await live(onProcess).buy(
      offer.sessionId,
      offer.offerId,
      buyerId,
      `${buyerId}-${orderNo}`,
      orderNo,
      skuId,
      quantity,
    );
    return { orderNo, outcome };
  }

  const counters = async (offer: Offer) =>
    (await live(0).counters(offer.sessionId, offer.offerId))!;

  const offerEpoch = (outcome: LiveReserveOutcome) => {
    expect(outcome.kind, JSON.stringify(outcome)).to.equal('reserved');
    return (outcome as { offerEpoch: string }).offerEpoch;
  };

  it('live-return: ten orders each returned 20 times at once give their units back once, one hold per waitlisted buyer', async () => {
    const offer = await openOffer(30, 3);
    const orders = [];
    for (let i = 0; i < 10; i++) {
      const buyerId = `buyer-${i}`;
      const { orderNo, outcome } = await tap(i, offer, buyerId, 3);
      orders.push({ buyerId, orderNo, epoch: offerEpoch(outcome) });
    }
    expect(await counters(offer)).to.deep.include({ allotment: 30, sold: 30, remaining: 0 });
    const waiting = ['waiting-0', 'waiting-1', 'waiting-2', 'waiting-3'];
    for (const buyerId of waiting)
      await live(0).joinWaitlist(offer.sessionId, offer.offerId, buyerId);

    // Every order comes back at once, each many times over (the expiry job, its retry, the
    // buyer's cancel, the sweep), through every process.
    const answers = await Promise.all(
      orders.flatMap((o, i) =>
        Array.from({ length: 20 }, (_, k) =>
          live(i + k).giveBack(offer.sessionId, offer.offerId, o.orderNo, o.buyerId, 3, o.epoch),
        ),
      ),
    );

    const heldFor = answers.flatMap((a) => (a.heldFor ? [a.heldFor] : []));
    expect(heldFor.sort(), 'holds offered').to.deep.equal(waiting);
    const holds = await Promise.all(
      waiting.map((buyerId) => live(0).hold(offer.sessionId, offer.offerId, buyerId)),
    );
    expect(holds).to.deep.equal([3, 3, 3, 3]);
    // 30 units: 12 held for the waitlist, 18 back on sale, none sold twice or lost.
    expect(await counters(offer)).to.deep.include({ allotment: 30, sold: 0, remaining: 18 });
    // A buyer whose order came back may buy their full limit again.
    expect((await tap(1, offer, 'buyer-0', 3)).outcome.kind).to.equal('reserved');
  });

  it('live-hold-expire: a hold lapsing while its buyer and strangers tap sells the unit once, never also puts it back', async () => {
    // Thirty one-unit offers: the unit was bought, returned, and held for the waitlisted buyer.
    const offers = await Promise.all(
      Array.from({ length: 30 }, async (_, r) => {
        const offer = await openOffer(1, 1);
        const { orderNo, outcome } = await tap(r, offer, 'first');
        await live(r).joinWaitlist(offer.sessionId, offer.offerId, 'waiting');
        const { heldFor } = await live(r + 1).giveBack(
          offer.sessionId,
          offer.offerId,
          orderNo,
          'first',
          1,
          offerEpoch(outcome),
        );
        expect(heldFor).to.equal('waiting');
        return offer;
      }),
    );

    // As the hold lapses (the job, and its retries), the waitlisted buyer taps twice and three
    // strangers try their luck, all on different processes.
    const bought = await Promise.all(
      offers.map(async (offer, r) => {
        const racers: Promise<unknown>[] = [];
        const buys: Promise<{ outcome: LiveReserveOutcome }>[] = [];
        for (let k = 0; k < 3; k++) {
          racers.push(live(r + k).expireHold(offer.sessionId, offer.offerId, 'waiting'));
          buys.push(tap(r + k + 1, offer, `stranger-${k}`));
          if (k < 2) buys.push(tap(r + k + 2, offer, 'waiting'));
        }
        await Promise.all(racers);
        const outcomes = await Promise.all(buys);
        return outcomes.filter((b) => b.outcome.kind === 'reserved').length;
      }),
    );

    const after = await Promise.all(
      offers.map(async (offer) => {
        const c = await counters(offer);
        const held = await live(0).hold(offer.sessionId, offer.offerId, 'waiting');
        return { sold: c.sold, remaining: c.remaining, held };
      }),
    );
    expect(bought, 'buys that succeeded, per offer').to.deep.equal(offers.map(() => 1));
    expect(after).to.deep.equal(offers.map(() => ({ sold: 1, remaining: 0, held: 0 })));
  });

  it('live-set-allotment: the streamer changing the allotment 60 times while 200 buyers tap never takes it below what is sold', async () => {
    const offer = await openOffer(50, 1);
    const skuBefore = (await stocks[0]!.available([skuId])).get(skuId)!;
    const wanted = Array.from({ length: 60 }, (_, i) => (i * 7) % 90);
    const changes: Promise<{
      wanted: number;
      answer: { ok: true } | { ok: false; out: number };
    }>[] = [];
    const buys: Promise<{ outcome: LiveReserveOutcome }>[] = [];
    for (let i = 0; i < 200; i++) {
      buys.push(tap(i, offer, `tapper-${i}`));
      if (i % 10 < 3) {
        const w = wanted[changes.length]!;
        changes.push(
          live(i + 3)
            .setAllotment(offer.sessionId, offer.offerId, w)
            .then((answer) => ({ wanted: w, answer })),
        );
      }
    }
    const [bought, changed] = await Promise.all([Promise.all(buys), Promise.all(changes)]);

    const sold = bought.filter((b) => b.outcome.kind === 'reserved').length;
    const c = await counters(offer);
    expect(c.sold, 'sold in Redis').to.equal(sold);
    expect(c.allotment - c.remaining, 'units out').to.equal(sold);
    expect(c.remaining).to.be.at.least(0);
    expect(c.allotment).to.be.oneOf([
      50,
      ...changed.filter((ch) => ch.answer.ok).map((ch) => ch.wanted),
    ]);
    // A refused change names what was out at the time: more than asked for, no more than sold.
    for (const { wanted: w, answer } of changed.filter((ch) => !ch.answer.ok)) {
      const out = (answer as { out: number }).out;
      expect(out, `refused allotment ${w}`).to.be.above(w).and.at.most(sold);
    }
    expect(
      bought.filter((b) => b.outcome.kind !== 'reserved').map((b) => b.outcome.kind),
    ).to.satisfy((kinds: string[]) => kinds.every((k) => k === 'sold_out'));
    expect((await stocks[0]!.available([skuId])).get(skuId), 'the SKU counter').to.equal(
      skuBefore - sold,
    );
  });

  it('live-create-offer: 40 processes rebuilding a missing offer at once leave exactly one snapshot, whole', async () => {
    const offer = {
      sessionId: randomBytes(6).toString('hex'),
      offerId: randomBytes(4).toString('hex'),
    };
    // Each process read MongoDB at a slightly different moment: 0 to 3 buyers had one unit each.
    const snapshots = Array.from({ length: 40 }, (_, i) => {
      const sold = i % 4;
      return { sold, buyers: new Map(Array.from({ length: sold }, (_, b) => [`b${b}`, 1])) };
    });
    const created = await Promise.all(
      snapshots.map((s, i) =>
        live(i).create(offer.sessionId, offer.offerId, 20, s.sold, 2, s.buyers),
      ),
    );
    expect(created.filter(Boolean), 'creators that wrote').to.have.length(1);
    const winner = snapshots[created.indexOf(true)]!;
    expect(await counters(offer)).to.deep.include({
      state: 'closed',
      allotment: 20,
      sold: winner.sold,
      remaining: 20 - winner.sold,
    });
    // The per-buyer counts are the same snapshot's: its buyers have one unit of their two left.
    await live(0).setWindow(offer.sessionId, offer.offerId, 'open');
    const kinds = [];
    for (const b of ['b0', 'b1', 'b2']) kinds.push((await tap(0, offer, b, 2)).outcome.kind);
    expect(kinds).to.deep.equal(
      ['b0', 'b1', 'b2'].map((_, b) => (b < winner.sold ? 'limit' : 'reserved')),
    );
  });
});
