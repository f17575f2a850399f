import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import type { Actor } from '../../server/accounts/actor.ts';
import { UserModel } from '../../server/accounts/user.model.ts';
import { Conflict, Forbidden, Invalid, NotFound } from '../../server/core/errors.ts';
import { startWebServer, type WebServer } from '../../server/app/web-server.ts';
import { sellableStockBySku } from '../../server/stock/stock-ledger.ts';
import { OrderModel, type Order } from '../../server/orders/order.model.ts';
import {
  PaymentModel,
  RefundModel,
  StripeEventModel,
} from '../../server/payments/payment.model.ts';
import { StripeGateway } from '../../server/payments/stripe-gateway.ts';
import { startWorkers, type Workers } from '../../workers/index.ts';
import { createBuyers, skuWithStock } from '../support/fixtures.ts';
import { expectRejected } from '../support/expect-rejected.ts';
import { DEMO_ADDRESS } from '../support/http-client.ts';
import { eventually } from '../support/processes.ts';
import { getRuntime } from '../support/root-hooks.ts';
import { note } from '../../server/orders/timeline.ts';

describe('payments with Stripe (stripe-mock) and signed webhooks', () => {
  let web: WebServer;
  let workers: Workers;
  let gateway: StripeGateway;
  let base: string;

  before(async () => {
    web = await startWebServer(getRuntime(), { port: 0 });
    workers = await startWorkers(getRuntime(), web.services);
    gateway = new StripeGateway(getRuntime().services.stripe);
    base = `http://127.0.0.1:${web.port}`;
  });
  after(async () => {
    await workers.close();
    await web.close();
  });

  const services = () => web.services;
  const status = async (orderNo: string) => (await OrderModel.findOne({ orderNo }).lean())!.status;
  const available = async (skuId: string) => (await services().stock.available([skuId])).get(skuId);

  async function buyer(): Promise<Actor> {
    const [email] = await createBuyers(1);
    const user = (await UserModel.findOne({ email }).lean())!;
    return { id: String(user._id), role: 'buyer', displayName: user.displayName };
  }

  async function unpaidOrder(quantity = 2, stock = 10) {
    const sku = await skuWithStock(stock, 2280);
    const who = await buyer();
    const order = await services().orders.placeOrder(who, {
      idempotencyKey: `pay-${randomBytes(6).toString('hex')}`,
      lines: [{ skuId: String(sku._id), quantity }],
      address: DEMO_ADDRESS,
    });
    return { sku, who, order };
  }

  function event(
    type: string,
    object: Record<string, unknown>,
    overrides: Record<string, unknown> = {},
  ) {
    return JSON.stringify({
      id: `evt_test_${randomBytes(8).toString('hex')}`,
      object: 'event',
      type,
      created: Math.floor(Date.now() / 1000),
      livemode: false,
      data: { object },
      ...overrides,
    });
  }

  function succeeded(order: Pick<Order, 'orderNo' | 'totalFen'>, amount = order.totalFen) {
    return event('payment_intent.succeeded', {
      id: 'pi_test',
      object: 'payment_intent',
      amount,
      currency: 'cny',
      status: 'succeeded',
      payment_method_types: ['alipay'],
      metadata: { orderNo: order.orderNo },
    });
  }

  async function deliver(
    payload: string,
    signature = gateway.signForLocalDelivery(payload),
    body = payload,
  ) {
    const res = await fetch(`${base}/webhooks/stripe`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(signature ? { 'stripe-signature': signature } : {}),
      },
      body,
    });
    return {
      status: res.status,
      body: (await res.json()) as { outcome?: string; error?: { code: string } },
    };
  }

  /** Waits until the worker has applied the event in `payload`; returns the stored event. */
  async function applied(payload: string) {
    const { id } = JSON.parse(payload) as { id: string };
    return eventually(async () => {
      const stored = await StripeEventModel.findOne({ eventId: id }).lean();
      return stored?.processedAt ? stored : undefined;
    });
  }

  async function pay(order: Order) {
    await services().payments.startPayment(
      { id: String(order.buyerId), role: 'buyer', displayName: 'b' },
      order.orderNo,
    );
    const reply = await deliver(succeeded(order));
    expect(reply.status).to.equal(200);
  }

  it('creates a CNY PaymentIntent for the amount of the order, in integer fen, once per order and amount', async () => {
    const { who, order } = await unpaidOrder(3);
    const started = await services().payments.startPayment(who, order.orderNo);
    expect(started.amountFen).to.equal(6840);
    expect(Number.isSafeInteger(started.amountFen)).to.equal(true);
    expect(started.clientSecret).to.match(/_secret_/);
    await services().payments.startPayment(who, order.orderNo);
    expect(await PaymentModel.countDocuments({ orderNo: order.orderNo })).to.equal(1);
    expect((await UserModel.findById(who.id).lean())!.stripeCustomerId).to.match(/^cus_/);
  });

  it('marks the order paid from a signed payment_intent.succeeded, through the queue', async () => {
    const { order } = await unpaidOrder();
    await pay(order);
    await eventually(async () => (await status(order.orderNo)) === 'paid');
    const paid = (await OrderModel.findOne({ orderNo: order.orderNo }).lean())!;
    expect(paid.timeline.at(-1)).to.deep.include({
      from: 'pending_payment',
      to: 'paid',
      actor: 'system:payments',
      reason: 'timeline.paidWith',
      params: { method: 'alipay' },
    });
    const payment = (await PaymentModel.findOne({ orderNo: order.orderNo }).lean())!;
    expect(payment).to.deep.include({
      status: 'succeeded',
      receivedFen: order.totalFen,
      paymentMethod: 'alipay',
    });
  });

  it('refuses forged, unsigned and truncated webhooks with 400, changing nothing', async () => {
    const { order } = await unpaidOrder();
    const payload = succeeded(order);
    const events = await StripeEventModel.countDocuments();
    const forger = new StripeGateway({
      ...getRuntime().services.stripe,
      webhookSecret: 'whsec_not_the_real_one',
    });
    expect((await deliver(payload, forger.signForLocalDelivery(payload))).status).to.equal(400);
    expect((await deliver(payload, '')).status).to.equal(400);
    expect(
      (await deliver(payload, gateway.signForLocalDelivery(payload), payload.slice(0, -20))).status,
    ).to.equal(400);
    const stale = gateway.sdk.webhooks.generateTestHeaderString({
      payload,
      secret: getRuntime().services.stripe.webhookSecret,
      timestamp: Math.floor(Date.now() / 1000) - 3600,
    });
    const replayedLater = await deliver(payload, stale);
    expect(replayedLater.status).to.equal(400);
    expect(replayedLater.body.error?.code).to.equal('errors.badSignature');
    expect(await StripeEventModel.countDocuments()).to.equal(events);
    expect(await status(order.orderNo)).to.equal('pending_payment');
  });

  it('takes a burst of webhooks together: each answered, each event stored and applied once, a forged one refused alone', async () => {
    const orders = await Promise.all(Array.from({ length: 8 }, () => unpaidOrder(1, 5)));
    for (const { order } of orders)
      await services().payments.startPayment(
        { id: String(order.buyerId), role: 'buyer', displayName: 'b' },
        order.orderNo,
      );
    const payloads = orders.map(({ order }) => succeeded(order));
    const events = await StripeEventModel.countDocuments();
    const forged = new StripeGateway({
      ...getRuntime().services.stripe,
      webhookSecret: 'whsec_not_the_real_one',
    });
    // Every event twice at once (Stripe retries a delivery it thinks timed out), and a forgery.
    const replies = await Promise.all([
      ...payloads.flatMap((p) => [deliver(p), deliver(p)]),
      deliver(payloads[0]!, forged.signForLocalDelivery(payloads[0]!)),
    ]);
    expect(replies.slice(0, -1).map((r) => r.status)).to.deep.equal(Array(16).fill(200));
    expect(replies.at(-1)!.status).to.equal(400);
    expect(await StripeEventModel.countDocuments()).to.equal(events + 8);
    for (const { order } of orders) {
      await eventually(async () => (await status(order.orderNo)) === 'paid');
      const paid = (await OrderModel.findOne({ orderNo: order.orderNo }).lean())!;
      expect(paid.timeline.filter((t) => t.to === 'paid')).to.have.length(1);
    }
    await eventually(
      async () =>
        (await StripeEventModel.countDocuments({
          eventId: { $in: payloads.map((p) => (JSON.parse(p) as { id: string }).id) },
          outcome: 'paid',
        })) === 8,
    );
  });

  it('applies a replayed event once', async () => {
    const { order } = await unpaidOrder();
    await services().payments.startPayment(
      { id: String(order.buyerId), role: 'buyer', displayName: 'b' },
      order.orderNo,
    );
    const payload = succeeded(order);
    const { id } = JSON.parse(payload) as { id: string };
    expect((await deliver(payload)).body.outcome).to.equal('queued');
    const first = await applied(payload);
    expect(first.outcome).to.equal('paid');
    const job = (await services().queues.stripeEvents.getJob(`stripe-${id}`))!;
    expect(await job.getState()).to.equal('completed');

    // Stripe delivers it again: acknowledged, and nothing is queued or applied a second time.
    expect((await deliver(payload)).body.outcome).to.equal('duplicate');
    const queued = await services().queues.stripeEvents.getJobs([
      'waiting',
      'active',
      'delayed',
      'prioritized',
    ]);
    expect(queued.filter((j) => (j.data as { eventId?: string }).eventId === id)).to.deep.equal([]);
    const again = (await services().queues.stripeEvents.getJob(`stripe-${id}`))!;
    expect(again.finishedOn).to.equal(job.finishedOn);
    const stored = (await StripeEventModel.findOne({ eventId: id }).lean())!;
    expect(stored.processedAt).to.deep.equal(first.processedAt);
    const paid = (await OrderModel.findOne({ orderNo: order.orderNo }).lean())!;
    expect(paid.timeline.filter((t) => t.to === 'paid')).to.have.length(1);
  });

  it('ignores a failure reported after the success (events out of order) and acknowledges unknown types', async () => {
    const { order } = await unpaidOrder();
    await pay(order);
    await eventually(async () => (await status(order.orderNo)) === 'paid');
    const failedEarlier = event(
      'payment_intent.payment_failed',
      {
        id: 'pi_test',
        object: 'payment_intent',
        amount: order.totalFen,
        currency: 'cny',
        metadata: { orderNo: order.orderNo },
        last_payment_error: { message: 'card declined' },
      },
      { created: Math.floor(Date.now() / 1000) - 60 },
    );
    const unknownType = event('customer.updated', { id: 'cus_x', object: 'customer' });
    expect((await deliver(failedEarlier)).status).to.equal(200);
    expect((await deliver(unknownType)).status).to.equal(200);
    // Both were applied by the worker, and neither changed the order or its payment.
    expect((await applied(failedEarlier)).outcome).to.equal('payment failed noted');
    expect((await applied(unknownType)).outcome).to.equal('ignored customer.updated');
    expect(await status(order.orderNo)).to.equal('paid');
    const payment = (await PaymentModel.findOne({ orderNo: order.orderNo }).lean())!;
    expect(payment.status).to.equal('succeeded');
    expect(payment.problem).to.equal(undefined);
  });

  it('flags an amount that does not match the order for the admin, and never marks it paid', async () => {
    const { order } = await unpaidOrder();
    await services().payments.startPayment(
      { id: String(order.buyerId), role: 'buyer', displayName: 'b' },
      order.orderNo,
    );
    await deliver(succeeded(order, order.totalFen - 1));
    const payment = await eventually(async () => {
      const p = await PaymentModel.findOne({ orderNo: order.orderNo }).lean();
      return p?.status === 'amount_mismatch' ? p : undefined;
    });
    expect(payment.problem).to.include(`the order is ${order.totalFen} cny`);
    expect(await status(order.orderNo)).to.equal('pending_payment');
  });

  describe('money that arrives after the unpaid timeout', () => {
    async function expire(order: Order) {
      await OrderModel.updateOne(
        { orderNo: order.orderNo },
        { $set: { payBy: new Date(Date.now() - 1000) } },
      );
      expect(await services().orders.expireOrder(order.orderNo)).to.equal('expired');
    }

    it('keeps the order when the stock is still there, taking it again', async () => {
      const { sku, order } = await unpaidOrder(2, 10);
      await services().payments.startPayment(
        { id: String(order.buyerId), role: 'buyer', displayName: 'b' },
        order.orderNo,
      );
      await expire(order);
      expect(await available(String(sku._id))).to.equal(10);
      await deliver(succeeded(order));
      await eventually(async () => (await status(order.orderNo)) === 'paid');
      const paid = (await OrderModel.findOne({ orderNo: order.orderNo }).lean())!;
      expect(paid.timeline.map((t) => t.to)).to.deep.equal(['pending_payment', 'expired', 'paid']);
      expect(paid.timeline.at(-1)!.reason).to.equal('timeline.paidLateKept');
      expect(await available(String(sku._id))).to.equal(8);
      expect((await sellableStockBySku([sku._id])).get(String(sku._id))).to.equal(8);
    });

    it('refunds automatically when the stock sold out meanwhile', async () => {
      const { sku, order } = await unpaidOrder(2, 2);
      await services().payments.startPayment(
        { id: String(order.buyerId), role: 'buyer', displayName: 'b' },
        order.orderNo,
      );
      await expire(order);
      const other = await services().orders.placeOrder(await buyer(), {
        idempotencyKey: `snap-${sku.code}`,
        lines: [{ skuId: String(sku._id), quantity: 2 }],
        address: DEMO_ADDRESS,
      });
      expect(other.status).to.equal('pending_payment');
      await deliver(succeeded(order));
      await eventually(async () => (await status(order.orderNo)) === 'refunded');
      const refunded = (await OrderModel.findOne({ orderNo: order.orderNo }).lean())!;
      expect(refunded.timeline.at(-1)!.reason).to.equal('timeline.paidLateRefunded');
      const refund = (await RefundModel.findOne({ orderNo: order.orderNo }).lean())!;
      expect(refund).to.deep.include({ amountFen: order.totalFen, status: 'succeeded' });
      expect(await available(String(sku._id))).to.equal(0); // the other buyer keeps the units
    });
  });

  it('cancels a paid order before picking with a full refund and the stock back', async () => {
    const { sku, who, order } = await unpaidOrder(2, 10);
    await pay(order);
    await eventually(async () => (await status(order.orderNo)) === 'paid');
    const cancelled = await services().payments.cancelPaidOrder(who, order.orderNo);
    expect(cancelled.status).to.equal('cancelled');
    expect((await PaymentModel.findOne({ orderNo: order.orderNo }).lean())!).to.deep.include({
      status: 'refunded',
      refundedFen: order.totalFen,
    });
    expect(await available(String(sku._id))).to.equal(10);
    // Cancelling twice refunds once.
    await expectRejected(
      services().payments.cancelPaidOrder(who, order.orderNo),
      Conflict,
      'errors.cannotCancel',
    );
    expect(await RefundModel.countDocuments({ orderNo: order.orderNo })).to.equal(1);
  });

  it('refunds the lines the hub could not pick, once, and never more than was paid', async () => {
    const { order } = await unpaidOrder(2, 10);
    await pay(order);
    await eventually(async () => (await status(order.orderNo)) === 'paid');
    const system = { kind: 'system' as const, id: 'test' };
    await services().orderStates.transition(
      order.orderNo,
      'paid',
      'routed',
      system,
      note('routed', { parcel: 'P-TEST', courier: 'test', waybill: 'W-TEST' }),
    );
    await services().orderStates.transition(
      order.orderNo,
      'routed',
      'picking',
      system,
      note('picking', { wave: 'W1' }),
    );
    const hubStaff: Actor = { id: 'hub', role: 'hub_staff', displayName: '仓库' };
    const skuCode = order.lines[0]!.skuCode;

    const after = await services().payments.refundShortPick(hubStaff, order.orderNo, [
      { skuCode, quantity: 1 },
    ]);
    expect(after.status).to.equal('partially_refunded');
    await services().payments.refundShortPick(hubStaff, order.orderNo, [{ skuCode, quantity: 1 }]);
    expect(await RefundModel.countDocuments({ orderNo: order.orderNo })).to.equal(1);
    expect((await PaymentModel.findOne({ orderNo: order.orderNo }).lean())!).to.deep.include({
      status: 'partially_refunded',
      refundedFen: 2280,
    });

    await expectRejected(
      services().payments.issueRefund(order.orderNo, order.totalFen, 'greedy', 'more than paid'),
      Invalid,
      'errors.refundTooLarge',
    );
    const badLines = await expectRejected(
      services().payments.refundShortPick(hubStaff, order.orderNo, [{ skuCode, quantity: 3 }]),
      Invalid,
      'errors.invalid',
    );
    expect(badLines.fields).to.deep.equal([{ field: 'lines', code: 'validation.refundLines' }]);
    await expectRejected(
      services().payments.refundShortPick(
        { id: String(order.buyerId), role: 'buyer', displayName: 'b' },
        order.orderNo,
        [{ skuCode, quantity: 1 }],
      ),
      Forbidden,
      'errors.forbidden',
    );
  });

  it('a late payment that kept its order still gives the stock back when that order is cancelled', async () => {
    const { sku, who, order } = await unpaidOrder(3, 10);
    await services().payments.startPayment(who, order.orderNo);
    await OrderModel.updateOne(
      { orderNo: order.orderNo },
      { $set: { payBy: new Date(Date.now() - 1000) } },
    );
    await services().orders.expireOrder(order.orderNo);
    await deliver(succeeded(order));
    await eventually(async () => (await status(order.orderNo)) === 'paid');
    expect(await available(String(sku._id))).to.equal(7);

    await services().payments.cancelPaidOrder(who, order.orderNo);
    expect(await available(String(sku._id))).to.equal(10);
    expect((await sellableStockBySku([sku._id])).get(String(sku._id))).to.equal(10);
  });

  it("lets neither the shop nor a stranger cancel or refund a buyer's order", async () => {
    const { order } = await unpaidOrder();
    await pay(order);
    await eventually(async () => (await status(order.orderNo)) === 'paid');
    const streamer: Actor = {
      id: 'streamer',
      role: 'streamer',
      displayName: '主播',
      shopId: String(order.shopId),
    };
    await expectRejected(
      services().payments.cancelPaidOrder(streamer, order.orderNo),
      Forbidden,
      'errors.notYourOrder',
    );
    expect(await status(order.orderNo)).to.equal('paid');
    expect(await RefundModel.countDocuments({ orderNo: order.orderNo })).to.equal(0);
  });

  it('refuses a short-pick refund for more units than the line, across calls', async () => {
    const { order } = await unpaidOrder(2, 10);
    await pay(order);
    await eventually(async () => (await status(order.orderNo)) === 'paid');
    const system = { kind: 'system' as const, id: 'test' };
    await services().orderStates.transition(
      order.orderNo,
      'paid',
      'routed',
      system,
      note('routed', { parcel: 'P-TEST', courier: 'test', waybill: 'W-TEST' }),
    );
    await services().orderStates.transition(
      order.orderNo,
      'routed',
      'picking',
      system,
      note('picking', { wave: 'W1' }),
    );
    const hub: Actor = { id: 'hub', role: 'hub_staff', displayName: '仓库' };
    const skuCode = order.lines[0]!.skuCode;
    const tooManyUnits = { field: 'lines', code: 'validation.refundLines' };
    const doubled = await expectRejected(
      services().payments.refundShortPick(hub, order.orderNo, [
        { skuCode, quantity: 2 },
        { skuCode, quantity: 1 },
      ]),
      Invalid,
      'errors.invalid',
    );
    expect(doubled.fields).to.deep.equal([tooManyUnits]);
    await services().payments.refundShortPick(
      hub,
      order.orderNo,
      [{ skuCode, quantity: 1 }],
      'exception-1',
    );
    await services().payments.refundShortPick(
      hub,
      order.orderNo,
      [{ skuCode, quantity: 1 }],
      'exception-2',
    );
    const third = await expectRejected(
      services().payments.refundShortPick(
        hub,
        order.orderNo,
        [{ skuCode, quantity: 1 }],
        'exception-3',
      ),
      Invalid,
      'errors.invalid',
    );
    expect(third.fields).to.deep.equal([tooManyUnits]);
    await expectRejected(
      services().payments.refundShortPick(hub, order.orderNo, [null]),
      Invalid,
      'errors.invalid',
    );
    expect((await PaymentModel.findOne({ orderNo: order.orderNo }).lean())!.refundedFen).to.equal(
      order.totalFen,
    );
  });

  it('will not take payment once the pay-by time has passed', async () => {
    const { who, order } = await unpaidOrder();
    await OrderModel.updateOne(
      { orderNo: order.orderNo },
      { $set: { payBy: new Date(Date.now() - 1000) } },
    );
    await expectRejected(
      services().payments.startPayment(who, order.orderNo),
      Conflict,
      'errors.payByPassed',
    );
  });

  it('reconciles pending payments with Stripe without failing on ones still unpaid', async () => {
    const { who, order } = await unpaidOrder();
    await services().payments.startPayment(who, order.orderNo);
    // stripe-mock reports every PaymentIntent as not yet paid: nothing is applied, nothing breaks.
    expect(await services().payments.reconcilePending(0)).to.equal(0);
    expect(await status(order.orderNo)).to.equal('pending_payment');
    expect(
      (await PaymentModel.findOne({ orderNo: order.orderNo }).lean())!.checkedAt,
    ).to.be.instanceOf(Date);
  });

  it('refuses an illegal status change with a clear error', async () => {
    const { order } = await unpaidOrder();
    await expectRejected(
      services().orderStates.transition(
        order.orderNo,
        'pending_payment',
        'shipped',
        { kind: 'system', id: 'test' },
        note('collected', { courier: 'test', waybill: 'W-TEST' }),
      ),
      Conflict,
      'errors.illegalTransition',
    );
    expect(await status(order.orderNo)).to.equal('pending_payment');
  });

  it("will not start a payment for someone else's order, or for a closed one", async () => {
    const { who, order } = await unpaidOrder();
    const stranger = await buyer();
    await expectRejected(
      services().payments.startPayment(stranger, order.orderNo),
      NotFound,
      'errors.orderNotFound',
    );
    await services().orders.cancelUnpaidOrder(who, order.orderNo);
    await expectRejected(
      services().payments.startPayment(who, order.orderNo),
      Conflict,
      'errors.notPayable',
    );
  });
});
