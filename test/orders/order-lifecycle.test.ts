import { expect } from 'chai';
import type { Actor } from '../../server/accounts/actor.ts';
import { UserModel } from '../../server/accounts/user.model.ts';
import { Conflict, Invalid, NotFound, SoldOut, Unauthenticated } from '../../server/core/errors.ts';
import { realtimeFrom } from '../../server/core/realtime.ts';
import { sellableStockBySku } from '../../server/stock/stock-ledger.ts';
import { StockMovementModel } from '../../server/stock/stock-movement.model.ts';
import { checkoutPlacement } from '../../server/orders/order-input.ts';
import { OrderModel } from '../../server/orders/order.model.ts';
import { createServices, type Services } from '../../server/app/services.ts';
import { startWorkers, type Workers } from '../../workers/index.ts';
import { eachSkuId } from '../../server/catalogue/sku.model.ts';
import { Server } from 'socket.io';
import { eventually } from '../support/processes.ts';
import { getRuntime } from '../support/root-hooks.ts';
import { expectRejected } from '../support/expect-rejected.ts';
import { createBuyers, skuWithStock } from '../support/fixtures.ts';
import { DEMO_ADDRESS } from '../support/http-client.ts';
import { note } from '../../server/orders/timeline.ts';

async function buyer(): Promise<Actor> {
  const [email] = await createBuyers(1);
  const user = (await UserModel.findOne({ email }).lean())!;
  return { id: String(user._id), role: 'buyer', displayName: user.displayName };
}

const order = (skuId: string, quantity: number, key: string) => ({
  idempotencyKey: key,
  lines: [{ skuId, quantity }],
  address: DEMO_ADDRESS,
});

describe('the order core', () => {
  let services: Services;
  let workers: Workers;
  let io: Server;
  const available = async (skuId: string) => (await services.stock.available([skuId])).get(skuId);

  before(async () => {
    const runtime = getRuntime();
    io = new Server();
    services = createServices(runtime, realtimeFrom(io));
    workers = await startWorkers(runtime, services);
  });
  after(async () => {
    await workers.close();
    await services.close();
    await io.close().catch(() => {}); // no HTTP server to close
  });

  it('decides a transition once, reading MongoDB only when Redis does not know the state', async () => {
    const runtime = getRuntime();
    const sku = await skuWithStock(5);
    const placed = await services.orders.placeOrder(
      await buyer(),
      order(String(sku._id), 1, `arbiter-${Date.now()}`),
    );
    const stateKey = runtime.keys.key('order-state', placed.orderNo);
    const system = { kind: 'system' as const, id: 'test' };
    const pay = () =>
      services.orderStates.transition(
        placed.orderNo,
        'pending_payment',
        'paid',
        system,
        note('paidWith', { method: 'card' }),
      );
    // A new order is noted in Redis as waiting for payment, so its payment reads no MongoDB.
    await eventually(async () => (await runtime.redis.get(stateKey)) === 'pending_payment');
    // Should Redis not know it, MongoDB's pending_payment decides; the first payment wins.
    await runtime.redis.del(stateKey);
    expect((await pay()).won).to.equal(true);
    expect(await runtime.redis.get(stateKey)).to.equal('paid');
    // Redis and MongoDB both say paid: a second payment loses, and no second timeline entry.
    expect(await pay()).to.deep.equal({ won: false, current: 'paid' });
    // Redis says paid but MongoDB does not: while the winner's claim lasts it may still be
    // writing, so a retry loses to it; once the claim has lapsed the winner's write never
    // reached MongoDB (a crash), and the retry finishes it.
    const before = (await OrderModel.findOne({ orderNo: placed.orderNo }).lean())!;
    await OrderModel.updateOne(
      { orderNo: placed.orderNo },
      {
        $set: {
          status: 'pending_payment',
          timeline: before.timeline.filter((t) => t.to !== 'paid'),
        },
      },
    );
    expect(await pay()).to.deep.equal({ won: false, current: 'paid' });
    await runtime.redis.del(runtime.keys.key('order-state-claim', placed.orderNo));
    expect((await pay()).won).to.equal(true);
    const stored = (await OrderModel.findOne({ orderNo: placed.orderNo }).lean())!;
    expect(stored.status).to.equal('paid');
    expect(stored.timeline.filter((t) => t.to === 'paid')).to.have.length(1);
    // A Redis wipe: MongoDB's paid decides again.
    await runtime.redis.del(stateKey);
    expect(await pay()).to.deep.equal({ won: false, current: 'paid' });
  });

  it('releases the stock of an order not paid in time, through the delayed job', async () => {
    const runtime = getRuntime();
    // A one-second pay-by time, so the unpaid timeout can be watched.
    const oneSecondToPay = createServices(
      { ...runtime, config: { ...runtime.config, ORDER_PAY_TIMEOUT_S: 1 } },
      realtimeFrom(io),
    );
    const sku = await skuWithStock(5);
    const who = await buyer();
    // Only this order is placed with them; its expiry job is queued before it is answered.
    const placed = await oneSecondToPay.orders
      .placeOrder(who, order(String(sku._id), 3, 'slow-payer-0001'))
      .finally(() => oneSecondToPay.close());
    expect(placed.status).to.equal('pending_payment');
    const stored = (await OrderModel.findOne({ orderNo: placed.orderNo }).lean())!;
    expect(stored.payBy.getTime() - stored.createdAt.getTime()).to.equal(1000);
    // Its three units were taken from the ledger (the record stays, however slow this machine).
    const taken = await StockMovementModel.find({ skuId: sku._id, kind: 'reserved' }).lean();
    expect(taken.map((m) => [m.delta, m.orderNos])).to.deep.equal([[-3, [placed.orderNo]]]);

    const expired = await eventually(async () => {
      const o = await OrderModel.findOne({ orderNo: placed.orderNo }).lean();
      return o?.status === 'expired' ? o : undefined;
    });
    expect(expired.timeline.map((t) => t.to)).to.deep.equal(['pending_payment', 'expired']);
    expect(expired.timeline[1]!.actor).to.equal('system:order-expiry');
    // The status flips first; the units follow a moment later.
    await eventually(async () => (await available(String(sku._id))) === 5);
    expect((await sellableStockBySku([sku._id])).get(String(sku._id))).to.equal(5);
    // Running the expiry again changes nothing.
    expect(await services.orders.expireOrder(placed.orderNo)).to.equal('expired');
    expect(await available(String(sku._id))).to.equal(5);
  });

  it('lets the buyer cancel an unpaid order, giving the units back once', async () => {
    const sku = await skuWithStock(4);
    const who = await buyer();
    const placed = await services.orders.placeOrder(
      who,
      order(String(sku._id), 4, 'change-of-mind-1'),
    );
    expect(await available(String(sku._id))).to.equal(0);
    await expectRejected(
      services.orders.placeOrder(await buyer(), order(String(sku._id), 1, 'too-late-000001')),
      SoldOut,
      'errors.soldOut',
    );

    const cancelled = await services.orders.cancelUnpaidOrder(who, placed.orderNo);
    expect(cancelled.status).to.equal('cancelled');
    expect(await available(String(sku._id))).to.equal(4);
    await expectRejected(
      services.orders.cancelUnpaidOrder(who, placed.orderNo),
      Conflict,
      'errors.cannotCancel',
    );
    expect(await available(String(sku._id))).to.equal(4);
  });

  it('refuses bad quantities, unknown products and missing addresses, reserving nothing', async () => {
    const sku = await skuWithStock(3);
    const who = await buyer();
    const skuId = String(sku._id);
    // What the checkout route does: validate at the edge, then place.
    const place = async (actor: Actor | undefined, raw: unknown) =>
      services.orders.placeOrder(actor, checkoutPlacement(raw));
    for (const [i, quantity] of [0, -1, 1.5, 100, Number.NaN].entries()) {
      const error = await expectRejected(
        place(who, order(skuId, quantity, `bad-quantity-${i}`)),
        Invalid,
        'errors.invalid',
      );
      expect(error.fields[0]?.field).to.equal('lines.0.quantity');
    }
    await expectRejected(place(who, order(skuId, 4, 'more-than-stock')), SoldOut, 'errors.soldOut');
    await expectRejected(
      place(who, order('64b7f0000000000000000000', 1, 'ghost-sku-0001')),
      NotFound,
      'errors.skuNotFound',
    );
    const noAddress = await expectRejected(
      place(who, {
        ...order(skuId, 1, 'no-address-0001'),
        address: { ...DEMO_ADDRESS, phone: '12345', detail: '' },
      }),
      Invalid,
      'errors.invalid',
    );
    expect(noAddress.fields.map((f) => f.field).sort()).to.deep.equal([
      'address.detail',
      'address.phone',
    ]);
    await expectRejected(
      place(undefined, order(skuId, 1, 'anonymous-0001')),
      Unauthenticated,
      'errors.unauthenticated',
    );
    expect(await available(skuId)).to.equal(3);
    expect(await OrderModel.countDocuments({ 'lines.skuId': sku._id })).to.equal(0);
  });

  it("shows a buyer only their own orders; someone else's looks missing", async () => {
    const sku = await skuWithStock(2);
    const alice = await buyer();
    const bob = await buyer();
    const placed = await services.orders.placeOrder(
      alice,
      order(String(sku._id), 1, 'alice-order-001'),
    );
    expect((await services.orders.getOrder(alice, placed.orderNo)).orderNo).to.equal(
      placed.orderNo,
    );
    // The same answer as for an order that does not exist.
    const missing = 'errors.orderNotFound';
    await expectRejected(services.orders.getOrder(bob, placed.orderNo), NotFound, missing);
    await expectRejected(services.orders.cancelUnpaidOrder(bob, placed.orderNo), NotFound, missing);
    const streamerOfAnotherShop: Actor = {
      id: 'x',
      role: 'streamer',
      displayName: 's',
      shopId: '64b7f0000000000000000001',
    };
    await expectRejected(
      services.orders.getOrder(streamerOfAnotherShop, placed.orderNo),
      NotFound,
      missing,
    );
  });

  it('never oversells when Redis loses its counters in the middle of a rush, and heals afterwards', async () => {
    const sku = await skuWithStock(30);
    const skuId = String(sku._id);
    const buyers = await Promise.all(Array.from({ length: 60 }, () => buyer()));
    const { redis } = getRuntime();
    const counterKey = services.stock.counterKey(skuId);
    await services.stock.available([skuId]);

    const attempts = buyers.map((who, i) =>
      services.orders.placeOrder(who, order(skuId, 1, `wipe-rush-${i}-${sku.code}`)).then(
        (o) => o.orderNo,
        (e: unknown) => (e instanceof SoldOut ? 'sold-out' : Promise.reject(e)),
      ),
    );
    // Wipe the live counter several times while the orders are being written.
    for (let i = 0; i < 5; i++) {
      await new Promise((r) => setTimeout(r, 15));
      await redis.del(counterKey);
    }
    const outcomes = await Promise.all(attempts);
    const accepted = outcomes.filter((o) => o !== 'sold-out');
    const live = await OrderModel.countDocuments({
      'lines.skuId': sku._id,
      status: 'pending_payment',
    });
    expect(live).to.equal(accepted.length);
    expect(live).to.be.at.most(30); // never more units promised than received
    const ledger = (await sellableStockBySku([sku._id])).get(skuId)!;
    expect(ledger).to.equal(30 - live);

    // Under-selling may remain for a moment; the resync job brings the counter back to the ledger.
    await services.stock.resyncAll(eachSkuId());
    expect(await available(skuId)).to.equal(ledger);
  });
});
