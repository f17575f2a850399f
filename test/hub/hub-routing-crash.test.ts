// The routing worker is killed (SIGKILL, no goodbye) while it is putting paid orders into parcels;
// a new worker finishes the work, and every order ends in exactly one parcel, once.
import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import type { Actor } from '../../server/accounts/actor.ts';
import { UserModel } from '../../server/accounts/user.model.ts';
import { SkuModel } from '../../server/catalogue/sku.model.ts';
import { startWebServer, type WebServer } from '../../server/app/web-server.ts';
import { BatchAllocationModel } from '../../server/hub/batch.model.ts';
import { ParcelModel } from '../../server/hub/parcel.model.ts';
import { OrderModel } from '../../server/orders/order.model.ts';
import { createBuyers, ensureDemoCounty } from '../support/fixtures.ts';
import { DEMO_ADDRESS } from '../support/http-client.ts';
import { childEnv, eventually, inBatches, runEntry } from '../support/processes.ts';
import { getRuntime } from '../support/root-hooks.ts';
import { scaled } from '../support/timeouts.ts';
import { note } from '../../server/orders/timeline.ts';

const BUYERS = 25;
const CODES = ['HJ-DHP-TJ-250', 'LJ-HJY-WL-210', 'XM-QZH-1KG'];

describe('hub routing survives a killed worker', function () {
  this.timeout(180_000);
  let web: WebServer;

  before(async () => {
    await ensureDemoCounty();
    // Only the services: the routing work is done by the worker processes this test starts.
    web = await startWebServer(getRuntime(), { port: 0 });
  });
  after(async () => {
    await web?.close();
  });

  it('loses nothing and duplicates nothing when the worker dies mid-routing', async () => {
    const skus = await SkuModel.find({ code: { $in: CODES } }).lean();
    const emails = await createBuyers(BUYERS);
    const users = await UserModel.find({ email: { $in: emails } }).lean();
    const system = { kind: 'system' as const, id: 'test-payments' };

    // Every buyer pays for three orders (from two shops), one address each.
    const orderNos = (
      await inBatches(
        5,
        users.map((user, i) => async () => {
          const actor: Actor = { id: String(user._id), role: 'buyer', displayName: 'b' };
          const address = {
            ...DEMO_ADDRESS,
            detail: `崩溃测试 ${i} 号 ${randomBytes(2).toString('hex')}`,
          };
          const nos: string[] = [];
          for (const sku of skus) {
            const order = await web.services.orders.placeOrder(actor, {
              idempotencyKey: `crash-${randomBytes(6).toString('hex')}`,
              lines: [{ skuId: String(sku._id), quantity: 1 }],
              address,
            });
            await web.services.orderStates.transition(
              order.orderNo,
              'pending_payment',
              'paid',
              system,
              note('paidWith', { method: 'card' }),
            );
            nos.push(order.orderNo);
          }
          return nos;
        }),
      )
    ).flat();

    const first = runEntry('workers/main.ts', childEnv());
    for (const orderNo of orderNos) await web.services.routing.requestRouting(orderNo);
    // Kill it once it is well into the work, but not done. The worker routes its jobs in
    // batches that name every order's parcel within a fraction of a second, so look often.
    const named = () =>
      OrderModel.countDocuments({ orderNo: { $in: orderNos }, parcelNo: { $exists: true } });
    const deadline = Date.now() + scaled(60_000);
    while ((await named()) < 10 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 10));
    first.child.kill('SIGKILL');
    await first.exited;
    const routedAtKill = await OrderModel.countDocuments({
      orderNo: { $in: orderNos },
      status: 'routed',
    });
    expect(await named(), 'killed once it had begun').to.be.at.least(10);
    expect(routedAtKill, 'killed in the middle').to.be.below(orderNos.length);

    const second = runEntry('workers/main.ts', childEnv());
    try {
      await eventually(
        async () =>
          (await OrderModel.countDocuments({ orderNo: { $in: orderNos }, status: 'routed' })) ===
          orderNos.length,
        scaled(90_000),
      );
    } finally {
      await second.stop();
    }

    // Each order in exactly one parcel, its line there exactly once, its units allocated once.
    const parcels = await ParcelModel.find({ orderNos: { $in: orderNos } }).lean();
    for (const orderNo of orderNos) {
      const holding = parcels.filter((p) => p.orderNos.includes(orderNo));
      expect(holding, orderNo).to.have.length(1);
      expect(holding[0]!.orderNos.filter((n) => n === orderNo)).to.have.length(1);
      expect(holding[0]!.lines.filter((l) => l.orderNo === orderNo)).to.have.length(1);
      const order = (await OrderModel.findOne({ orderNo }).lean())!;
      expect(order.parcelNo).to.equal(holding[0]!.parcelNo);
      const allocated = await BatchAllocationModel.find({ orderNo }).lean();
      expect(
        allocated.reduce((s, a) => s + a.quantity, 0),
        `${orderNo} allocated`,
      ).to.equal(1);
    }
    expect(parcels.every((p) => p.status === 'routed' && p.waybillNo)).to.equal(true);
    expect(new Set(parcels.map((p) => p.waybillNo)).size).to.equal(parcels.length);
    // Orders of one buyer never travel in someone else's parcel.
    for (const p of parcels) {
      const buyers = await OrderModel.distinct('buyerId', { orderNo: { $in: p.orderNos } });
      expect(buyers).to.have.length(1);
    }
  });
});
