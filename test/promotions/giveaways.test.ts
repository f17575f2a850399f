// Lucky bags (issue #15): started in a live session, entered once per buyer in Redis (a tap or
// the keyword in a comment), drawn with a seeded, recorded draw that anyone can run again, and
// won as a ¥0 order placed like any order (never oversold) or as a coupon.
import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import type { Actor } from '../../server/accounts/actor.ts';
import { UserModel } from '../../server/accounts/user.model.ts';
import { ShopModel } from '../../server/catalogue/shop.model.ts';
import { Conflict, Invalid, NotFound } from '../../server/core/errors.ts';
import { parseInput } from '../../server/core/validation.ts';
import { LiveSessionModel } from '../../server/live/live-session.model.ts';
import { OrderModel } from '../../server/orders/order.model.ts';
import { StockMovementModel } from '../../server/stock/stock-movement.model.ts';
import { CouponClaimModel, CouponModel } from '../../server/promotions/coupon.model.ts';
import {
  draw,
  entryToken,
  seedCommitment,
  verifyDraw,
} from '../../server/promotions/giveaway-draw.ts';
import { GiveawayEntryListModel, GiveawayModel } from '../../server/promotions/giveaway.model.ts';
import { startGiveawayInput } from '../../server/promotions/giveaway-terms.ts';
import { Giveaways } from '../../server/promotions/giveaways.ts';
import { expectRejected } from '../support/expect-rejected.ts';
import { createBuyers, separateRedisConnections, skuWithStock } from '../support/fixtures.ts';
import { DEMO_ADDRESS } from '../support/http-client.ts';
import { ask, buyerSocket } from '../support/live-room.ts';
import { inBatches } from '../support/processes.ts';
import { inProcessWeb } from '../support/web-scene.ts';

const admin: Actor = { id: '64b000000000000000000001', role: 'admin', displayName: '县电商中心' };

describe('lucky bags (福袋)', () => {
  const scene = inProcessWeb({ workers: true });
  const services = () => scene.web.services;

  /** `count` buyers, all with a delivery address unless `withAddress` is false. */
  async function buyers(count: number, { withAddress = true } = {}): Promise<Actor[]> {
    const emails = await createBuyers(count);
    if (withAddress)
      await UserModel.updateMany(
        { email: { $in: emails } },
        { $set: { addresses: [DEMO_ADDRESS] } },
      );
    const users = await UserModel.find({ email: { $in: emails } }).lean();
    return users.map((u) => ({ id: String(u._id), role: 'buyer', displayName: u.displayName }));
  }

  /** A live session of the pepper shop with one offer of a fresh SKU that has `stock` units. */
  async function liveSession(stock = 50) {
    const sku = await skuWithStock(stock, 3880);
    const shop = (await ShopModel.findOne({ slug: 'xigou-pepper' }).lean())!;
    const offerId = randomBytes(4).toString('hex');
    const session = await LiveSessionModel.create({
      shopId: shop._id,
      title: { zh: '福袋测试', en: 'Lucky bag test' },
      scheduledAt: new Date(),
      status: 'live',
      offers: [{ offerId, skuId: sku._id, livePriceFen: 2990, allotment: 20, perBuyerLimit: 5 }],
    });
    return { sessionId: String(session._id), offerId, sku };
  }

  const start = (sessionId: string, fields: Record<string, unknown>) =>
    services().live.startGiveaway(
      admin,
      parseInput(startGiveawayInput, {
        sessionId,
        entry: 'tap',
        duration_s: '600',
        ...fields,
      }),
    );

  const enter = (who: Actor, sessionId: string, giveawayId: string) =>
    services().live.enterGiveaway(who, { sessionId, giveawayId });

  it('draws the same winners again from the record, and notices a changed record', () => {
    const seed = randomBytes(32).toString('hex');
    const tokens = Array.from({ length: 500 }, (_, i) => entryToken('abcdefghij', `buyer-${i}`));
    const first = draw(seed, [...tokens].reverse(), 7);
    // Same seed and entries, in any order and with repeats: the same draw.
    const again = draw(seed, [...tokens, ...tokens.slice(0, 50)], 7);
    expect(again.drawn).to.deep.equal(first.drawn);
    expect(first.drawn).to.have.length(7);
    expect(new Set(first.drawn).size).to.equal(7);
    expect(first.seedHash).to.equal(seedCommitment(seed));
    expect(verifyDraw(first)).to.deep.equal({ ok: true });
    // Another seed draws others; a record whose entries, seed or winners changed fails.
    expect(draw(randomBytes(32).toString('hex'), tokens, 7).drawn).to.not.deep.equal(first.drawn);
    expect(verifyDraw({ ...first, entries: first.entries.slice(1) })).to.deep.equal({
      ok: false,
      problem: 'entries_hash',
    });
    expect(verifyDraw({ ...first, seed: randomBytes(32).toString('hex') })).to.deep.equal({
      ok: false,
      problem: 'seed_commitment',
    });
    expect(verifyDraw({ ...first, drawn: [...first.drawn].reverse() })).to.deep.equal({
      ok: false,
      problem: 'drawn',
    });
    // Fewer entrants than winners: each of them, once.
    expect(draw(seed, tokens.slice(0, 3), 7).drawn).to.have.members(tokens.slice(0, 3));
    // Every entrant can win: over many seeds, each of 5 tokens is drawn first sometimes.
    const firsts = new Set(
      Array.from(
        { length: 200 },
        () => draw(randomBytes(8).toString('hex'), tokens.slice(0, 5), 1).drawn[0],
      ),
    );
    expect(firsts.size).to.equal(5);
  });

  it('gives each winner a ¥0 order placed like any order and sent without payment', async () => {
    const { sessionId, offerId, sku } = await liveSession(50);
    const withAddress = await buyers(4);
    const [noAddress] = await buyers(1, { withAddress: false });
    const bag = await start(sessionId, { prize: 'sku', offerId, winners: '5' });
    expect(bag.status).to.equal('open');
    expect(bag.seedHash).to.match(/^[0-9a-f]{64}$/);
    for (const b of [...withAddress, noAddress!]) await enter(b, sessionId, bag.giveawayId);

    const shown = await services().live.drawGiveawayNow(admin, {
      sessionId,
      giveawayId: bag.giveawayId,
    });
    expect(shown!.status).to.equal('drawn');
    expect(shown!.result!.winners).to.have.length(5);
    expect(shown!.result!.shortBy).to.equal(0);
    // Masked names only: 买家3 → 买**.
    for (const w of shown!.result!.winners) expect(w.name).to.match(/^买\*+$/);

    const orders = await OrderModel.find({ 'lines.skuId': sku._id }).lean();
    expect(orders).to.have.length(5);
    for (const order of orders) {
      expect(order.channel).to.equal('giveaway');
      expect(order.totalFen).to.equal(0);
      expect(order.lines[0]!.unitPriceFen).to.equal(0);
      expect(order.lines[0]!.quantity).to.equal(1);
    }
    const paid = orders.filter((o) => o.status === 'paid');
    expect(paid).to.have.length(4);
    expect(
      paid.filter((o) => o.timeline.some((t) => t.reason === 'timeline.prizeNoPayment')),
    ).to.have.length(4);
    // The winner without an address has a day to give one; then the prize is sent.
    const waiting = orders.find((o) => String(o.buyerId) === noAddress!.id)!;
    expect(waiting.status).to.equal('pending_payment');
    expect(waiting.payBy.getTime() - Date.now()).to.be.greaterThan(23 * 3600_000);
    const sent = await services().orders.unpaid.setAddress(
      noAddress,
      waiting.orderNo,
      DEMO_ADDRESS,
    );
    expect(sent.status).to.equal('paid');
    // Reserved through the ledger like any order.
    const reserved = await StockMovementModel.find({ skuId: sku._id, kind: 'reserved' }).lean();
    expect(reserved.reduce((s, m) => s - m.delta, 0)).to.equal(5);

    // Drawing again changes nothing: the same five orders.
    await services().giveaways.draw(bag.giveawayId, { now: true });
    expect(await OrderModel.countDocuments({ 'lines.skuId': sku._id })).to.equal(5);
  });

  it('gives fewer winners when the prize runs out, says so, and never oversells', async () => {
    const { sessionId, offerId, sku } = await liveSession(2);
    const entrants = await buyers(6);
    const bag = await start(sessionId, { prize: 'sku', offerId, winners: '5' });
    await Promise.all(entrants.map((b) => enter(b, sessionId, bag.giveawayId)));
    const shown = await services().live.drawGiveawayNow(admin, {
      sessionId,
      giveawayId: bag.giveawayId,
    });
    expect(shown!.result!.winners).to.have.length(2);
    expect(shown!.result!.shortBy).to.equal(3);
    const stored = (await GiveawayModel.findOne({ giveawayId: bag.giveawayId }).lean())!;
    expect(stored.results!.map((r) => r.outcome)).to.deep.equal([
      'won',
      'won',
      'out_of_stock',
      'out_of_stock',
      'out_of_stock',
    ]);
    expect(await OrderModel.countDocuments({ 'lines.skuId': sku._id })).to.equal(2);
    const left = await services().stock.available([String(sku._id)]);
    expect(left.get(String(sku._id))).to.equal(0);
  });

  it('counts one entry per buyer under a flood, on separate connections, and two drawers agree', async function () {
    this.timeout(180_000);
    const { sessionId } = await liveSession(10);
    const entrants = await buyers(300);
    const bag = await start(sessionId, {
      prize: 'coupon',
      off_yuan: '5',
      min_yuan: '50',
      winners: '10',
      entry: 'keyword',
      keyword: '福袋来了',
    });
    // Each buyer comments the keyword three times at once ("福袋 来了" with a space counts).
    const texts = ['福袋来了', '福袋 来了', '福袋来了'];
    await inBatches(
      60,
      entrants.flatMap((b) =>
        texts.map((text) => () => services().live.chat(b, { sessionId, text })),
      ),
    );
    const [view] = (await services().live.roomGiveaways(sessionId)).filter(
      (g) => g.giveawayId === bag.giveawayId,
    );
    expect(view!.entries).to.equal(300);

    // Two processes draw at once, each with its own Redis connection: one record, one result.
    const { connections, close } = separateRedisConnections(2);
    try {
      const drawers = connections.map(
        (redis) =>
          new Giveaways({
            ...services().giveaways['deps'],
            redis,
          }),
      );
      const results = await Promise.allSettled(
        drawers.map((d) => d.draw(bag.giveawayId, { now: true })),
      );
      expect(results.map((r) => r.status)).to.include('fulfilled');
      await services().giveaways.draw(bag.giveawayId, { now: true });
    } finally {
      await close();
    }
    const stored = (await GiveawayModel.findOne({ giveawayId: bag.giveawayId }).lean())!;
    expect(stored.status).to.equal('drawn');
    expect(stored.entryCount).to.equal(300);
    expect(stored.results!.filter((r) => r.outcome === 'won')).to.have.length(10);
    // Replayed from the record alone: the same winners, in the same order.
    const list = (await GiveawayEntryListModel.findById(bag.giveawayId).lean())!;
    expect(list.entries).to.have.length(300);
    const replay = draw(stored.seed, list.entries, stored.winners);
    expect(replay.entriesHash).to.equal(stored.entriesHash);
    expect(replay.drawn).to.deep.equal(stored.results!.map((r) => r.token));
    expect(verifyDraw({ ...replay, seedHash: stored.seedHash })).to.deep.equal({ ok: true });
    // Each winner holds the prize coupon, once; nobody else does, and the room never listed it.
    const coupon = (await CouponModel.findOne({ prizeOf: bag.giveawayId }).lean())!;
    const claims = await CouponClaimModel.find({ couponId: coupon.couponId }).lean();
    expect(claims.map((c) => String(c.buyerId)).sort()).to.deep.equal(
      stored.results!.map((r) => String(r.buyerId)).sort(),
    );
    expect((await services().live.roomCoupons(sessionId)).map((c) => c.couponId)).to.not.include(
      coupon.couponId,
    );
    const loser = entrants.find((b) => !claims.some((c) => String(c.buyerId) === b.id))!;
    await expectRejected(
      services().live.claimCoupon(loser, { sessionId, couponId: coupon.couponId }),
      NotFound,
      'errors.couponNotFound',
    );
  });

  it('tells a buyer who enters twice, or after the draw, why, in their language', async () => {
    const { sessionId, offerId } = await liveSession(10);
    const bag = await start(sessionId, { prize: 'sku', offerId, winners: '1' });
    const { socket } = await buyerSocket(scene.base);
    try {
      const first = await ask(socket, 'live:giveaway-enter', {
        sessionId,
        giveawayId: bag.giveawayId,
      });
      expect(first).to.include({ ok: true });
      const twice = await ask(socket, 'live:giveaway-enter', {
        sessionId,
        giveawayId: bag.giveawayId,
      });
      expect(twice).to.include({ ok: false, code: 'errors.giveawayAlreadyEntered' });
      expect(twice.message).to.contain('你已经参与过这个福袋了');
      await services().live.drawGiveawayNow(admin, { sessionId, giveawayId: bag.giveawayId });
      const late = await ask(socket, 'live:giveaway-enter', {
        sessionId,
        giveawayId: bag.giveawayId,
      });
      expect(late).to.include({ ok: false, code: 'errors.giveawayDrawn' });
      expect(late.message).to.contain('已经开奖');
      const unknown = await ask(socket, 'live:giveaway-enter', {
        sessionId,
        giveawayId: 'zzzzzzzzzz',
      });
      expect(unknown).to.include({ ok: false, code: 'errors.giveawayNotFound' });
      const malformed = await ask(socket, 'live:giveaway-enter', { sessionId, giveawayId: 'x' });
      expect(malformed).to.include({ ok: false });
      expect(JSON.stringify(malformed)).to.contain('福袋编号不对');
    } finally {
      socket.close();
    }
    // A second bag while one is open is refused; so is a keyword bag without its keyword.
    await start(sessionId, { prize: 'sku', offerId, winners: '1' });
    await expectRejected(
      start(sessionId, { prize: 'sku', offerId, winners: '1' }),
      Conflict,
      'errors.giveawayStillOpen',
    );
    const noKeyword = await expectRejected(
      Promise.resolve().then(() =>
        parseInput(startGiveawayInput, {
          sessionId,
          prize: 'sku',
          offerId,
          winners: '1',
          entry: 'keyword',
          duration_s: '60',
        }),
      ),
      Invalid,
    );
    expect(noKeyword.fields).to.deep.include({
      field: 'keyword',
      code: 'validation.giveawayKeyword',
    });
  });

  it('draws the open bag when the session ends, and the public record checks out', async () => {
    const { sessionId, offerId } = await liveSession(10);
    const entrants = await buyers(3);
    const bag = await start(sessionId, { prize: 'sku', offerId, winners: '2' });
    for (const b of entrants) await enter(b, sessionId, bag.giveawayId);
    await services().live.end(admin, { sessionId });
    const stored = (await GiveawayModel.findOne({ giveawayId: bag.giveawayId }).lean())!;
    expect(stored.status).to.equal('drawn');
    const page = await fetch(`${scene.base}/giveaways/${bag.giveawayId}`);
    expect(page.status).to.equal(200);
    const html = await page.text();
    expect(html).to.contain(stored.seed);
    expect(html).to.contain(stored.entriesHash!);
    expect(html).to.contain('按记录重新抽取，结果一致');
    expect(html).to.not.contain(entrants[0]!.id);
    const missing = await fetch(`${scene.base}/giveaways/zzzzzzzzzz`);
    expect(missing.status).to.equal(404);
  });
});
