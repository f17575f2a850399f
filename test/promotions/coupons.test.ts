// Live coupons (issue #15): dropped in a session, claimed first come first served in Redis, put
// on an unpaid order, paid at the discounted total, refunded in proportion, and given back when
// the order expires unpaid. Races run across real web processes and separate Redis connections.
import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import type { Actor } from '../../server/accounts/actor.ts';
import { UserModel } from '../../server/accounts/user.model.ts';
import { ShopModel } from '../../server/catalogue/shop.model.ts';
import { Conflict, Invalid, NotFound, SoldOut } from '../../server/core/errors.ts';
import { LiveSessionModel } from '../../server/live/live-session.model.ts';
import { OrderModel } from '../../server/orders/order.model.ts';
import { note } from '../../server/orders/timeline.ts';
import { PaymentModel, RefundModel } from '../../server/payments/payment.model.ts';
import { paidShareFen } from '../../server/payments/refunds.ts';
import { StripeGateway } from '../../server/payments/stripe-gateway.ts';
import { CouponClaimModel, CouponModel } from '../../server/promotions/coupon.model.ts';
import { Coupons } from '../../server/promotions/coupons.ts';
import { discountFen, dropCouponInput } from '../../server/promotions/coupon-terms.ts';
import { parseInput } from '../../server/core/validation.ts';
import { expectRejected } from '../support/expect-rejected.ts';
import { createBuyers, separateRedisConnections, skuWithStock } from '../support/fixtures.ts';
import { DEMO_ADDRESS } from '../support/http-client.ts';
import { ask, buyerSocket } from '../support/live-room.ts';
import { eventually, inBatches, startWebProcesses } from '../support/processes.ts';
import { getRuntime } from '../support/root-hooks.ts';
import { inProcessWeb } from '../support/web-scene.ts';

const admin: Actor = { id: '64b000000000000000000001', role: 'admin', displayName: '县电商中心' };

describe('live coupons', () => {
  const scene = inProcessWeb({ workers: true });
  const services = () => scene.web.services;

  async function buyer(): Promise<Actor> {
    const [email] = await createBuyers(1);
    const user = (await UserModel.findOne({ email }).lean())!;
    return { id: String(user._id), role: 'buyer', displayName: user.displayName };
  }

  /** A live session of the demo pepper shop with one offer of a fresh SKU at ¥38.80. */
  async function liveSession(status: 'live' | 'ended' = 'live') {
    const sku = await skuWithStock(200, 3880);
    const shop = (await ShopModel.findOne({ slug: 'xigou-pepper' }).lean())!;
    const session = await LiveSessionModel.create({
      shopId: shop._id,
      title: { zh: '券测试', en: 'Coupon test' },
      scheduledAt: new Date(),
      status,
      offers: [
        {
          offerId: randomBytes(4).toString('hex'),
          skuId: sku._id,
          livePriceFen: 3880,
          allotment: 100,
          perBuyerLimit: 5,
          pinned: true,
        },
      ],
    });
    return { sessionId: String(session._id), shopId: String(shop._id), sku };
  }

  async function drop(sessionId: string, fields: Record<string, unknown>) {
    return services().live.dropCoupons(
      admin,
      parseInput(dropCouponInput, { sessionId, hours_after: '24', ...fields }),
    );
  }

  async function unpaidOrder(who: Actor, skuId: string, quantity: number) {
    return services().orders.placeOrder(who, {
      idempotencyKey: `coupon-${randomBytes(6).toString('hex')}`,
      lines: [{ skuId, quantity }],
      address: DEMO_ADDRESS,
    });
  }

  const claim = (who: Actor, sessionId: string, couponId: string) =>
    services().live.claimCoupon(who, { sessionId, couponId });

  it('takes the coupon off the goods in integer fen, never the whole price', () => {
    const amount = { kind: 'amount' as const, offFen: 500, percent: 0, capFen: 0, minFen: 5000 };
    expect(discountFen(amount, 4999)).to.equal('under_threshold');
    expect(discountFen(amount, 5000)).to.equal(500);
    const percent = { kind: 'percent' as const, offFen: 0, percent: 15, capFen: 1000, minFen: 0 };
    expect(discountFen(percent, 3333)).to.equal(499); // floor(499.95)
    expect(discountFen(percent, 20000)).to.equal(1000); // capped
    expect(discountFen(percent, 1)).to.equal(0);
    // Shares of a discounted order add up to what was paid, however the goods are split.
    const order = { itemsTotalFen: 11640, discountFen: 500 };
    const parts = [3880, 3880, 3880].reduce<number[]>(
      (acc, v) => [
        ...acc,
        paidShareFen(order, (acc.length + 1) * v) - paidShareFen(order, acc.length * v),
      ],
      [],
    );
    expect(parts.reduce((a, b) => a + b, 0)).to.equal(11140);
  });

  it('refuses a drop whose terms would give goods away, with the field to fix', async () => {
    const { sessionId } = await liveSession();
    const refused = await expectRejected(
      drop(sessionId, { kind: 'amount', off_yuan: '50', min_yuan: '20', total: '10' }),
      Invalid,
    );
    expect(refused.fields).to.deep.include({
      field: 'min_yuan',
      code: 'validation.couponMinAboveOff',
    });
    const badPercent = await expectRejected(
      drop(sessionId, { kind: 'percent', percent: '95', cap_yuan: '10', total: '10' }),
      Invalid,
    );
    expect(badPercent.fields).to.deep.include({
      field: 'percent',
      code: 'validation.couponPercent',
    });
    const noCap = await expectRejected(
      drop(sessionId, { kind: 'percent', percent: '10', total: '10' }),
      Invalid,
    );
    expect(noCap.fields).to.deep.include({ field: 'cap_yuan', code: 'validation.couponCap' });
    const ended = await liveSession('ended');
    await expectRejected(
      drop(ended.sessionId, { kind: 'amount', off_yuan: '5', min_yuan: '50', total: '10' }),
      Conflict,
      'errors.sessionNotLive',
    );
    expect(await CouponModel.countDocuments({ sessionId })).to.equal(0);
  });

  it('puts a claimed coupon on an order, charges the discounted total, refunds a short pick in proportion', async () => {
    const { sessionId, sku } = await liveSession();
    const coupon = await drop(sessionId, {
      kind: 'amount',
      off_yuan: '5',
      min_yuan: '50',
      total: '3',
    });
    const who = await buyer();
    await claim(who, sessionId, coupon.couponId);
    await expectRejected(
      claim(who, sessionId, coupon.couponId),
      Conflict,
      'errors.couponAlreadyClaimed',
    );

    const small = await unpaidOrder(who, String(sku._id), 1); // ¥38.80: under ¥50
    await expectRejected(
      services().coupons.apply(who, small.orderNo, coupon.couponId),
      Invalid,
      'errors.couponUnderThreshold',
    );
    const order = await unpaidOrder(who, String(sku._id), 3); // ¥116.40
    const gateway = new StripeGateway(getRuntime().services.stripe);
    // The buyer opened the pay page before using the coupon: that intent is for ¥116.40.
    const before = await services().payments.startPayment(who, order.orderNo);
    expect(before.amountFen).to.equal(11640);
    const applied = await services().coupons.apply(who, order.orderNo, coupon.couponId);
    expect(applied).to.deep.include({
      discountFen: 500,
      totalFen: 11140,
      couponId: coupon.couponId,
    });
    const started = await services().payments.startPayment(who, order.orderNo);
    expect(started.amountFen).to.equal(11140);
    expect(started.paymentIntentId).to.not.equal(before.paymentIntentId);
    // The same coupon on a second order is refused while the first holds it.
    const other = await unpaidOrder(who, String(sku._id), 2);
    await expectRejected(
      services().coupons.apply(who, other.orderNo, coupon.couponId),
      Conflict,
      'errors.couponInUse',
    );
    // Someone else's order is not found, whoever asks.
    await expectRejected(
      services().coupons.apply(await buyer(), order.orderNo, coupon.couponId),
      NotFound,
      'errors.orderNotFound',
    );

    // Paid through the real webhook at the discounted total.
    const payload = JSON.stringify({
      id: `evt_test_${randomBytes(8).toString('hex')}`,
      object: 'event',
      type: 'payment_intent.succeeded',
      created: Math.floor(Date.now() / 1000),
      livemode: false,
      data: {
        object: {
          id: started.paymentIntentId,
          object: 'payment_intent',
          amount: 11140,
          currency: 'cny',
          status: 'succeeded',
          payment_method_types: ['alipay'],
          metadata: { orderNo: order.orderNo },
        },
      },
    });
    const delivered = await fetch(`${scene.base}/webhooks/stripe`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'stripe-signature': gateway.signForLocalDelivery(payload),
      },
      body: payload,
    });
    expect(delivered.status).to.equal(200);
    await eventually(
      async () => (await OrderModel.findOne({ orderNo: order.orderNo }).lean())?.status === 'paid',
    );
    expect((await PaymentModel.findOne({ orderNo: order.orderNo }).lean())!.receivedFen).to.equal(
      11140,
    );
    await expectRejected(
      services().coupons.remove(who, order.orderNo),
      Conflict,
      'errors.couponTooLate',
    );

    // The hub picks it; one unit of three is short, then the other two.
    const system = { kind: 'system' as const, id: 'test' };
    for (const [from, to, reason] of [
      ['paid', 'routed', note('routed', { parcel: 'P-C', courier: 'test', waybill: 'W-C' })],
      ['routed', 'picking', note('picking', { wave: 'W-C' })],
    ] as const)
      await services().orderStates.transition(order.orderNo, from, to, system, reason);
    const hubStaff: Actor = { id: 'hub', role: 'hub_staff', displayName: '仓库' };
    const skuCode = order.lines[0]!.skuCode;
    await services().payments.refundShortPick(
      hubStaff,
      order.orderNo,
      [{ skuCode, quantity: 1 }],
      'x1',
    );
    const refunds = async () =>
      (await RefundModel.find({ orderNo: order.orderNo }).lean()).map((r) => r.amountFen).sort();
    // ¥38.80 of ¥116.40 was short; the buyer paid 11140/11640 of list: 3713 fen back.
    expect(await refunds()).to.deep.equal([3713]);
    await services().payments.refundShortPick(
      hubStaff,
      order.orderNo,
      [{ skuCode, quantity: 2 }],
      'x2',
    );
    expect((await refunds()).reduce((a, b) => a + b, 0)).to.equal(11140);
    expect((await PaymentModel.findOne({ orderNo: order.orderNo }).lean())!).to.deep.include({
      refundedFen: 11140,
      status: 'refunded',
    });
  });

  it('gives a coupon back when its order expires unpaid, and refuses it after its time', async () => {
    const { sessionId, sku } = await liveSession();
    const coupon = await drop(sessionId, {
      kind: 'percent',
      percent: '10',
      cap_yuan: '20',
      total: '5',
    });
    const who = await buyer();
    await claim(who, sessionId, coupon.couponId);
    const first = await unpaidOrder(who, String(sku._id), 2);
    await services().coupons.apply(who, first.orderNo, coupon.couponId);
    expect((await OrderModel.findOne({ orderNo: first.orderNo }).lean())!.totalFen).to.equal(
      7760 - 776,
    );
    const second = await unpaidOrder(who, String(sku._id), 1);
    await expectRejected(
      services().coupons.apply(who, second.orderNo, coupon.couponId),
      Conflict,
      'errors.couponInUse',
    );
    // The first order runs out of time.
    await OrderModel.updateOne(
      { orderNo: first.orderNo },
      { $set: { payBy: new Date(Date.now() - 1000) } },
    );
    expect(await services().orders.expireOrder(first.orderNo)).to.equal('expired');
    await eventually(
      async () => !(await CouponClaimModel.findById(`${coupon.couponId}:${who.id}`).lean())?.usedBy,
    );
    const moved = await services().coupons.apply(who, second.orderNo, coupon.couponId);
    expect(moved).to.deep.include({ discountFen: 388, totalFen: 3492 });
    // Taken off, it is the buyer's again; after the session and its hours, it is too late.
    await services().coupons.remove(who, second.orderNo);
    expect((await OrderModel.findOne({ orderNo: second.orderNo }).lean())!).to.deep.include({
      totalFen: 3880,
    });
    await services().live.end(admin, { sessionId });
    await CouponModel.updateOne(
      { couponId: coupon.couponId },
      { $set: { useUntil: new Date(Date.now() - 1000) } },
    );
    await new Promise((r) => setTimeout(r, 2100)); // the coupon cache's two seconds
    await expectRejected(
      services().coupons.apply(who, second.orderNo, coupon.couponId),
      Conflict,
      'errors.couponExpired',
    );
    await expectRejected(
      claim(await buyer(), sessionId, coupon.couponId),
      Conflict,
      'errors.couponClosed',
    );
  });

  it('never gives out more than were dropped when Redis forgets the claims mid-way', async () => {
    const { sessionId } = await liveSession();
    const coupon = await drop(sessionId, {
      kind: 'amount',
      off_yuan: '3',
      min_yuan: '30',
      total: '10',
    });
    const buyers = await Promise.all(Array.from({ length: 16 }, () => buyer()));
    for (const who of buyers.slice(0, 6)) await claim(who, sessionId, coupon.couponId);
    // A Redis wipe of the coupon's counters: MongoDB still has the six claims.
    const { redis, keys } = getRuntime();
    const tag = `{coupon:${coupon.couponId}}`;
    await redis.del(keys.key(tag, 'state'), keys.key(tag, 'free'), keys.key(tag, 'claims'));
    await expectRejected(
      claim(buyers[0]!, sessionId, coupon.couponId),
      Conflict,
      'errors.couponAlreadyClaimed',
    );
    const answers = await Promise.allSettled(
      buyers.slice(6).map((who) => claim(who, sessionId, coupon.couponId)),
    );
    expect(answers.filter((a) => a.status === 'fulfilled')).to.have.length(4);
    for (const a of answers)
      if (a.status === 'rejected') expect(a.reason).to.be.instanceOf(SoldOut);
    const claims = await CouponClaimModel.find({ couponId: coupon.couponId }).lean();
    expect(claims).to.have.length(10);
    expect(new Set(claims.map((c) => c.slot)).size).to.equal(10);
  });

  it('keeps a claimed coupon usable when the session ends after Redis lost its counters', async () => {
    const { sessionId, sku } = await liveSession();
    const coupon = await drop(sessionId, {
      kind: 'amount',
      off_yuan: '2',
      min_yuan: '20',
      total: '3',
    });
    const who = await buyer();
    await claim(who, sessionId, coupon.couponId);
    const { redis, keys } = getRuntime();
    const tag = `{coupon:${coupon.couponId}}`;
    await redis.del(keys.key(tag, 'state'), keys.key(tag, 'free'), keys.key(tag, 'claims'));
    await services().live.end(admin, { sessionId });
    expect(await redis.ttl(keys.key(tag, 'state'))).to.be.greaterThan(0);
    const order = await unpaidOrder(who, String(sku._id), 1);
    const applied = await services().coupons.apply(who, order.orderNo, coupon.couponId);
    expect(applied).to.deep.include({ discountFen: 200, totalFen: 3680 });
    await expectRejected(
      claim(await buyer(), sessionId, coupon.couponId),
      Conflict,
      'errors.couponClosed',
    );
  });

  it('decides one order per coupon when several orders race for it on separate connections (coupon-use.lua, coupon-release.lua)', async () => {
    const { connections, close } = separateRedisConnections(4);
    try {
      const { keys, logger } = getRuntime();
      const racers = connections.map(
        (redis) =>
          new Coupons({
            redis,
            keys,
            logger,
            realtime: services().realtime,
            orders: services().orders.unpaid,
            withdrawOpenIntent: (orderNo) => services().payments.withdrawOpenIntent(orderNo),
          }),
      );
      const { sessionId, sku } = await liveSession();
      const coupon = await drop(sessionId, {
        kind: 'amount',
        off_yuan: '1',
        min_yuan: '10',
        total: '2',
      });
      const who = await buyer();
      await claim(who, sessionId, coupon.couponId);
      const orders = await Promise.all(
        Array.from({ length: 8 }, () => unpaidOrder(who, String(sku._id), 1)),
      );
      const answers = await Promise.allSettled(
        orders.map((o, i) => racers[i % racers.length]!.apply(who, o.orderNo, coupon.couponId)),
      );
      const won = answers.filter((a) => a.status === 'fulfilled');
      expect(won).to.have.length(1);
      for (const a of answers)
        if (a.status === 'rejected') expect(a.reason).to.include({ code: 'errors.couponInUse' });
      const discounted = await OrderModel.find({ couponId: coupon.couponId }).lean();
      expect(discounted.map((o) => o.totalFen)).to.deep.equal([3780]);
      // Taking the coupon off orders that never held it, from every racer at once: still held.
      const holder = discounted[0]!.orderNo;
      const losers = orders.filter((o) => o.orderNo !== holder);
      await Promise.all(losers.map((o, i) => racers[i % racers.length]!.remove(who, o.orderNo)));
      await expectRejected(
        racers[0]!.apply(who, losers[0]!.orderNo, coupon.couponId),
        Conflict,
        'errors.couponInUse',
      );
    } finally {
      await close();
    }
  });

  describe('1,000 buyers on two web processes', () => {
    let bases: string[] = [];
    let stop = async () => {};
    before(async () => {
      ({ bases, stop } = await startWebProcesses(2));
    });
    after(() => stop());

    it('claim 100 coupons: 100 claimed, none twice, the rest told they are gone', async () => {
      const { sessionId } = await liveSession();
      const coupon = await drop(sessionId, {
        kind: 'amount',
        off_yuan: '5',
        min_yuan: '50',
        total: '100',
      });
      const emails = await createBuyers(1000);
      const sockets = await inBatches(
        16,
        emails.map((email, i) => () => buyerSocket(bases[i % 2]!, email)),
      );
      try {
        // Every buyer taps at once, and a fifth of them tap twice (a double tap on a slow phone).
        const answers = await Promise.all(
          sockets.flatMap(({ socket }, i) => {
            const tap = () =>
              ask(socket, 'live:coupon-claim', { sessionId, couponId: coupon.couponId });
            return i % 5 === 0 ? [tap(), tap()] : [tap()];
          }),
        );
        const codes = answers.map((a) => (a.ok ? 'ok' : a.code));
        expect(codes.filter((c) => c === 'ok')).to.have.length(100);
        expect(
          codes.filter(
            (c) => c !== 'ok' && c !== 'errors.couponsGone' && c !== 'errors.couponAlreadyClaimed',
          ),
        ).to.deep.equal([]);
        const claims = await CouponClaimModel.find({ couponId: coupon.couponId }).lean();
        expect(claims).to.have.length(100);
        expect(new Set(claims.map((c) => String(c.buyerId))).size).to.equal(100);
        expect(new Set(claims.map((c) => c.slot)).size).to.equal(100);
        const room = await services().live.roomCoupons(sessionId);
        expect(room[0]).to.deep.include({ remaining: 0, total: 100 });
      } finally {
        for (const { socket } of sockets) socket.close();
      }
    });

    it('shows a bad claim in the buyer language', async () => {
      const { sessionId } = await liveSession();
      const { socket } = await buyerSocket(bases[0]!);
      try {
        const zh = await ask(socket, 'live:coupon-claim', { sessionId, couponId: 'nope' });
        expect(zh).to.deep.include({ ok: false, code: 'errors.invalid' });
        const missing = await ask(socket, 'live:coupon-claim', {
          sessionId,
          couponId: 'abcdef1234',
        });
        expect(missing).to.deep.include({ ok: false, code: 'errors.couponNotFound' });
        expect(missing.message).to.match(/没有这张优惠券/);
      } finally {
        socket.close();
      }
    });
  });
});
