// The order page and the API cancel alike (issue #16, "one edge per action"): an unpaid order
// is dropped, a paid one not yet picked is refunded in full. The API used to refuse a paid one.
import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import type { Actor } from '../../server/accounts/actor.ts';
import { UserModel } from '../../server/accounts/user.model.ts';
import { OrderModel } from '../../server/orders/order.model.ts';
import { PaymentModel } from '../../server/payments/payment.model.ts';
import { BUYER_PASSWORD, createBuyers, skuWithStock } from '../support/fixtures.ts';
import { Client, DEMO_ADDRESS } from '../support/http-client.ts';
import { payThroughWebhook } from '../support/hub-flow.ts';
import { eventually } from '../support/processes.ts';
import { inProcessWeb } from '../support/web-scene.ts';

describe('orders: one cancel for the page and the API', function () {
  this.timeout(60_000);
  const scene = inProcessWeb({ workers: true });

  it('the API drops an unpaid order and refunds a paid one in full, as the page does', async () => {
    const sku = await skuWithStock(10, 1990);
    const [email] = await createBuyers(1);
    const user = (await UserModel.findOne({ email }).lean())!;
    const actor: Actor = { id: String(user._id), role: 'buyer', displayName: user.displayName };
    const buyer = new Client(scene.base);
    expect((await buyer.signIn(email!, BUYER_PASSWORD)).status).to.equal(200);
    const place = () =>
      scene.web.services.orders.placeOrder(actor, {
        idempotencyKey: `cancel-${randomBytes(6).toString('hex')}`,
        lines: [{ skuId: String(sku._id), quantity: 1 }],
        address: DEMO_ADDRESS,
      });

    const unpaid = await place();
    const dropped = await buyer.post<{ status: string }>(
      `/api/orders/${unpaid.orderNo}/cancel`,
      {},
    );
    expect(dropped.status).to.equal(200);
    expect(dropped.body.status).to.equal('cancelled');
    expect(await PaymentModel.exists({ orderNo: unpaid.orderNo })).to.equal(null);

    const paid = await place();
    await payThroughWebhook(scene.web, actor, paid.orderNo);
    await eventually(async () =>
      ['paid', 'routed'].includes(
        (await OrderModel.findOne({ orderNo: paid.orderNo }).lean())!.status,
      ),
    );
    const refunded = await buyer.post<{ status: string }>(`/api/orders/${paid.orderNo}/cancel`, {});
    expect(refunded.status).to.equal(200);
    expect(refunded.body.status).to.equal('cancelled');
    expect((await PaymentModel.findOne({ orderNo: paid.orderNo }).lean())!).to.deep.include({
      status: 'refunded',
      refundedFen: paid.totalFen,
    });
  });
});
