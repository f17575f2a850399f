// Group commit: placements that arrive together are written together, and a placement that
// fails in the batch fails alone, giving its units back.
import { expect } from 'chai';
import { Server } from 'socket.io';
import type { Actor } from '../../server/accounts/actor.ts';
import { UserModel } from '../../server/accounts/user.model.ts';
import { Unavailable } from '../../server/core/errors.ts';
import { realtimeFrom } from '../../server/core/realtime.ts';
import { OrderModel } from '../../server/orders/order.model.ts';
import type { Placement } from '../../server/orders/order-service.ts';
import { createServices, type Services } from '../../server/app/services.ts';
import { sellableStockBySku } from '../../server/stock/stock-ledger.ts';
import { StockMovementModel } from '../../server/stock/stock-movement.model.ts';
import { StockReservations } from '../../server/stock/stock-reservations.ts';
import { eventually } from '../support/processes.ts';
import { getRuntime } from '../support/root-hooks.ts';
import { TIMEOUTS } from '../support/timeouts.ts';
import { createBuyers, skuWithStock } from '../support/fixtures.ts';
import { DEMO_ADDRESS } from '../support/http-client.ts';

async function buyers(count: number): Promise<Actor[]> {
  const emails = await createBuyers(count);
  const users = await UserModel.find({ email: { $in: emails } }).lean();
  return users.map((u) => ({ id: String(u._id), role: 'buyer', displayName: u.displayName }));
}

describe('group commit of placed orders', () => {
  let services: Services;
  /** Another web process: what it placed, `services` knows only from Redis and MongoDB. */
  let other: Services;
  let io: Server;
  before(() => {
    io = new Server();
    other = createServices(getRuntime(), realtimeFrom(io));
    // One flush at a time, held open 300 ms: placements sent together share one batch.
    services = createServices(
      {
        ...getRuntime(),
        config: {
          ...getRuntime().config,
          ORDER_BATCH_MAX: 50,
          ORDER_BATCH_WAIT_MS: 300,
          ORDER_BATCH_FLUSHES: 1,
        },
      },
      realtimeFrom(io),
    );
  });
  after(async () => {
    await services.close();
    await other.close();
    await io.close().catch(() => {});
  });

  it('a batch with one duplicate and one bad order acknowledges the rest; the failing placements give their units back', async () => {
    const sku = await skuWithStock(10);
    const skuId = String(sku._id);
    const [first, second, third, repeat, careless] = await buyers(5);
    const placement = (key: string, address = DEMO_ADDRESS): Placement => ({
      idempotencyKey: key,
      lines: [{ skuId, quantity: 1 }],
      address,
    });

    // An order placed earlier on another process, whose key Redis has since forgotten (a wipe of
    // that one key): its repeat is only recognised by the unique index, inside the batch.
    const earlier = await other.orders.placeOrder(repeat!, placement('batch-repeat-01'));
    const { redis } = getRuntime();
    await redis.del(services.stock.placementKey(`${repeat!.id}:batch-repeat-01`));

    const outcomes = await Promise.allSettled([
      services.orders.placeOrder(first!, placement('batch-good-001')),
      services.orders.placeOrder(repeat!, placement('batch-repeat-01')),
      // A NUL in the address, past the edge's validation: the document store refuses it
      // (FerretDB drops the connection, failing the whole insert, so the batch is halved).
      services.orders.placeOrder(
        careless!,
        placement('batch-bad-0001', { ...DEMO_ADDRESS, detail: '平顺县\u0000青羊镇' }),
      ),
      services.orders.placeOrder(second!, placement('batch-good-002')),
      services.orders.placeOrder(third!, placement('batch-good-003')),
    ]);
    const [good1, dup, bad, good2, good3] = outcomes;

    // The rest are acknowledged, and durable.
    for (const o of [good1, good2, good3])
      expect(o!.status, JSON.stringify(o)).to.equal('fulfilled');
    const acknowledged = [good1, good2, good3].map(
      (o) => (o as PromiseFulfilledResult<{ orderNo: string }>).value.orderNo,
    );
    expect(await OrderModel.countDocuments({ orderNo: { $in: acknowledged } })).to.equal(3);
    // The repeat gets the order it already had.
    expect(dup!.status).to.equal('fulfilled');
    expect((dup as PromiseFulfilledResult<{ orderNo: string }>).value.orderNo).to.equal(
      earlier.orderNo,
    );
    // The bad one is told its order was not saved.
    expect(bad!.status).to.equal('rejected');
    expect((bad as PromiseRejectedResult).reason).to.be.instanceOf(Unavailable);
    expect(await OrderModel.countDocuments({ buyerId: careless!.id })).to.equal(0);

    // Units: 10 received, 4 orders hold one each. The failing placements gave theirs back, in
    // Redis and in the ledger (reserved, then abandoned).
    expect(await OrderModel.countDocuments({ 'lines.skuId': sku._id })).to.equal(4);
    expect((await sellableStockBySku([sku._id])).get(skuId)).to.equal(6);
    expect((await services.stock.available([skuId])).get(skuId)).to.equal(6);
    const abandoned = await StockMovementModel.find({
      skuId: sku._id,
      movementId: { $regex: '^abandon:' },
    }).lean();
    expect(abandoned.map((m) => m.delta)).to.deep.equal([1, 1]);
    // Each abandoned order's units had reached the ledger in its batch's reservation.
    const reserved = await StockMovementModel.find({ skuId: sku._id, kind: 'reserved' }).lean();
    for (const m of abandoned) {
      const orderNo = m.movementId.split(':')[1]!;
      expect(reserved.some((r) => (r.orderNos ?? []).includes(orderNo))).to.equal(true);
    }
  });

  it('a repeat on another process while the first copy is still being written gets that order', async () => {
    const sku = await skuWithStock(5);
    const [buyer] = await buyers(1);
    const placement: Placement = {
      idempotencyKey: 'cross-process-01',
      lines: [{ skuId: String(sku._id), quantity: 1 }],
      address: DEMO_ADDRESS,
    };
    // `services` holds its batch open for 300 ms; the repeat reaches `other` meanwhile, finds
    // the key taken in Redis and waits for the first copy's order instead of placing a second.
    const { redis, keys } = getRuntime();
    const key = new StockReservations(redis, keys).placementKey(
      `${buyer!.id}:${placement.idempotencyKey}`,
    );
    const first = services.orders.placeOrder(buyer!, placement);
    await eventually(async () => (await redis.exists(key)) === 1, TIMEOUTS.eventually, 5);
    const repeat = await other.orders.placeOrder(buyer!, placement);
    expect(repeat.orderNo).to.equal((await first).orderNo);
    expect(await OrderModel.countDocuments({ buyerId: buyer!.id })).to.equal(1);
    expect((await services.stock.available([String(sku._id)])).get(String(sku._id))).to.equal(4);
  });
});
