import { expect } from 'chai';
import { OrderModel } from '../../server/orders/order.model.ts';
import { StockReservations } from '../../server/stock/stock-reservations.ts';
import { sellableStockBySku } from '../../server/stock/stock-ledger.ts';
import { StockMovementModel } from '../../server/stock/stock-movement.model.ts';
import { inBatches, startWebProcesses } from '../support/processes.ts';
import { getRuntime } from '../support/root-hooks.ts';
import { BUYER_PASSWORD, createBuyers, skuWithStock } from '../support/fixtures.ts';
import { Client, DEMO_ADDRESS, sendUntilNotBusy } from '../support/http-client.ts';

describe('placing orders under a rush, across two web processes', function () {
  this.timeout(180_000);
  let bases: string[] = [];
  let stop = async () => {};

  before(async () => {
    ({ bases, stop } = await startWebProcesses(2));
  });

  after(() => stop());

  it('300 buyers race for 50 units: exactly 50 orders, the rest told it is sold out, the ledger balanced', async () => {
    const sku = await skuWithStock(50);
    const logins = await createBuyers(300);
    const buyers = logins.map((login, i) => ({ login, client: new Client(bases[i % 2]!) }));
    await inBatches(
      16,
      buyers.map((b) => async () => {
        const reply = await sendUntilNotBusy(() => b.client.signIn(b.login, BUYER_PASSWORD));
        expect(reply.status).to.equal(200);
      }),
    );

    // Everyone presses "buy" at once, half of them through each web process. A busy machine may
    // ask some to try again shortly; their phones do, with the same key, until they are told.
    const replies = await Promise.all(
      buyers.map((b, i) =>
        sendUntilNotBusy(() =>
          b.client.post<{ orderNo?: string; error?: { code: string; message: string } }>(
            '/api/orders',
            {
              idempotencyKey: `rush-${i}-${sku.code}`,
              lines: [{ skuId: String(sku._id), quantity: 1 }],
              address: DEMO_ADDRESS,
            },
          ),
        ),
      ),
    );

    const accepted = replies.filter((r) => r.status === 201);
    const soldOut = replies.filter((r) => r.status === 409);
    const otherwise = replies
      .filter((r) => r.status !== 201 && r.status !== 409)
      .map((r) => `${r.status} ${r.body.error?.code ?? ''} after ${r.tries} tries`);
    expect(otherwise, 'answers neither an order nor sold out').to.deep.equal([]);
    expect(accepted).to.have.length(50);
    expect(soldOut).to.have.length(250);
    expect(soldOut.every((r) => r.body.error?.code === 'errors.soldOut')).to.equal(true);
    expect(soldOut[0]!.body.error?.message).to.match(/^已抢光/);

    // Every acknowledged order is durable, pending payment, and holds exactly one unit.
    const orders = await OrderModel.find({ 'lines.skuId': sku._id }).lean();
    expect(orders).to.have.length(50);
    expect(new Set(orders.map((o) => o.orderNo))).to.deep.equal(
      new Set(accepted.map((r) => r.body.orderNo)),
    );
    expect(orders.every((o) => o.status === 'pending_payment' && o.totalFen === 3880)).to.equal(
      true,
    );

    // The ledger: 50 received, 50 reserved, nothing left; the live counter agrees.
    const movements = await StockMovementModel.find({ skuId: sku._id }).lean();
    // Group-committed: one reservation per write batch, listing its orders; 50 units in all.
    const reservations = movements.filter((m) => m.kind === 'reserved');
    expect(reservations.reduce((sum, m) => sum - m.delta, 0)).to.equal(50);
    expect(reservations.flatMap((m) => m.orderNos ?? []).sort()).to.deep.equal(
      orders.map((o) => o.orderNo).sort(),
    );
    expect((await sellableStockBySku([sku._id])).get(String(sku._id))).to.equal(0);
    const stock = new StockReservations(getRuntime().redis, getRuntime().keys);
    expect((await stock.available([String(sku._id)])).get(String(sku._id))).to.equal(0);
  });

  it('the same idempotency key sent 5 times at once makes one order', async () => {
    const sku = await skuWithStock(10);
    const [login] = await createBuyers(1);
    const clients = [new Client(bases[0]!), new Client(bases[1]!)];
    await clients[0]!.signIn(login!, BUYER_PASSWORD);
    // The same browser session, its requests arriving at both web processes.
    const replies = await Promise.all(
      Array.from({ length: 5 }, (_, i) =>
        sendUntilNotBusy(() =>
          clients[0]!.post<{ orderNo: string }>(
            '/api/orders',
            {
              idempotencyKey: `tap-twice-${sku.code}`,
              lines: [{ skuId: String(sku._id), quantity: 2 }],
              address: DEMO_ADDRESS,
            },
            bases[i % 2],
          ),
        ),
      ),
    );
    expect(replies.map((r) => r.status)).to.deep.equal([201, 201, 201, 201, 201]);
    expect(new Set(replies.map((r) => r.body.orderNo)).size).to.equal(1);
    expect(await OrderModel.countDocuments({ 'lines.skuId': sku._id })).to.equal(1);
    expect((await sellableStockBySku([sku._id])).get(String(sku._id))).to.equal(8);
  });
});
