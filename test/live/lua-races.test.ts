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

  it('live-return + live-hold-expire: units coming back while their waitlisted buyers, already holding some, join again are each held for one buyer or on sale, never lost', async () => {
    const offer = await openOffer(12, 1);
    const orders: { buyerId: string; orderNo: string; epoch: string }[] = [];
    for (let i = 0; i < 12; i++) {
      const buyerId = `owner-${i}`;
      const { orderNo, outcome } = await tap(i, offer, buyerId);
      orders.push({ buyerId, orderNo, epoch: offerEpoch(outcome) });
    }
    const waiting = ['waiting-0', 'waiting-1', 'waiting-2', 'waiting-3'];
    for (const buyerId of waiting)
      await live(0).joinWaitlist(offer.sessionId, offer.offerId, buyerId);
    const giveBack = (on: number, o: (typeof orders)[number]) =>
      live(on).giveBack(offer.sessionId, offer.offerId, o.orderNo, o.buyerId, 1, o.epoch);
    // The offer still shows sold out, so a buyer holding units may tap "join the waitlist" again.
    const joinAgain = (on: number, buyerId: string) =>
      live(on).joinWaitlist(offer.sessionId, offer.offerId, buyerId);
    /** Every unit of the allotment is on sale, held or sold, once. */
    const accounted = async () => {
      const c = await counters(offer);
      const holds = await Promise.all(
        waiting.map((buyerId) => live(0).hold(offer.sessionId, offer.offerId, buyerId)),
      );
      const held = holds.reduce((sum, n) => sum + n, 0);
      return { onSale: c.remaining, held, sold: c.sold, total: c.remaining + held + c.sold };
    };

    // The first unit back is held for the first waitlisted buyer, who joins again.
    expect(await giveBack(1, orders[0]!)).to.deep.equal({ heldFor: 'waiting-0' });
    await joinAgain(2, 'waiting-0');
    // The other eleven come back at once, each twice, while every waitlisted buyer joins again
    // three times, all on different processes.
    const answers = await Promise.all([
      ...orders.slice(1).flatMap((o, i) => [giveBack(i, o), giveBack(i + 4, o)]),
      ...waiting.flatMap((buyerId, i) => [1, 2, 3].map((k) => joinAgain(i + k, buyerId))),
    ]);
    const heldFor = answers.flatMap((a) => (typeof a === 'object' && a.heldFor ? [a.heldFor] : []));
    expect(await accounted()).to.deep.equal({ onSale: 8, held: 4, sold: 0, total: 12 });
    expect(heldFor.sort(), 'holds offered').to.deep.equal(waiting.slice(1));

    // Every hold lapses at once (the job and its retry) while their buyers are on the waitlist
    // again: no lapsed unit goes to a buyer who holds some already, or back to its own buyer.
    for (const buyerId of waiting) await joinAgain(0, buyerId);
    await Promise.all(
      waiting.flatMap((buyerId, i) =>
        [0, 4].map((k) => live(i + k).expireHold(offer.sessionId, offer.offerId, buyerId)),
      ),
    );
    expect(await accounted()).to.deep.equal({ onSale: 12, held: 0, sold: 0, total: 12 });
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
