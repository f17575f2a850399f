// placeOrder builds the order document by hand (Mongoose's casting is too slow for a rush). What
// it stores must be exactly what Mongoose would have stored: casting it again changes nothing,
// and it passes the schema's validation.
import { expect } from 'chai';
import { Types } from 'mongoose';
import { Server } from 'socket.io';
import type { Actor } from '../../server/accounts/actor.ts';
import { UserModel } from '../../server/accounts/user.model.ts';
import { Invalid } from '../../server/core/errors.ts';
import { realtimeFrom } from '../../server/core/realtime.ts';
import { OrderModel } from '../../server/orders/order.model.ts';
import type { ReservationStep } from '../../server/orders/order-service.ts';
import { createServices, type Services } from '../../server/app/services.ts';
import { createBuyers, skuWithStock } from '../support/fixtures.ts';
import { DEMO_ADDRESS } from '../support/http-client.ts';
import { getRuntime } from '../support/root-hooks.ts';

describe('the order document placeOrder stores', () => {
  let services: Services;
  let io: Server;
  let actor: Actor;
  before(async () => {
    io = new Server();
    services = createServices(getRuntime(), realtimeFrom(io));
    const [email] = await createBuyers(1);
    const user = (await UserModel.findOne({ email }).lean())!;
    actor = { id: String(user._id), role: 'buyer', displayName: user.displayName };
  });
  after(async () => {
    await services.close();
    await io.close().catch(() => {});
  });

  async function expectAsMongooseWouldStore(orderNo: string) {
    const stored = await OrderModel.collection.findOne({ orderNo });
    expect(stored).to.not.equal(null);
    const cast = new OrderModel(stored);
    await cast.validate();
    expect(cast.toObject({ depopulate: true })).to.deep.equal(stored);
  }

  it('a checkout order, with its preferred courier', async () => {
    const sku = await skuWithStock(3);
    const order = await services.orders.placeOrder(actor, {
      idempotencyKey: 'document-checkout-01',
      lines: [{ skuId: String(sku._id), quantity: 2 }],
      address: DEMO_ADDRESS,
      preferredCourier: 'sf',
    });
    await expectAsMongooseWouldStore(order.orderNo);
  });

  it("a live order, addressed from the buyer's address book, at the live price", async () => {
    const sku = await skuWithStock(3);
    const live: ReservationStep = {
      channel: 'live',
      unitPriceFen: 1990,
      live: { sessionId: String(new Types.ObjectId()), offerId: 'offer-1' },
      reserve: (key, orderNo, lines) => services.orders.checkout.reserve(key, orderNo, lines),
      deliverTo: async () => {
        const { township: _t, village: _v, ...short } = DEMO_ADDRESS;
        return short as typeof DEMO_ADDRESS; // an older book entry without the optional parts
      },
    };
    const order = await services.orders.placeOrder(
      actor,
      { idempotencyKey: 'document-live-0001', lines: [{ skuId: String(sku._id), quantity: 1 }] },
      live,
    );
    expect(order.totalFen).to.equal(1990);
    await expectAsMongooseWouldStore(order.orderNo);
  });

  it("an address typed at checkout is still held to the stored schema's limits", async () => {
    const sku = await skuWithStock(3);
    const placing = services.orders.placeOrder(actor, {
      idempotencyKey: 'document-long-001',
      lines: [{ skuId: String(sku._id), quantity: 1 }],
      // 30 emoji are 30 characters to a person and 60 UTF-16 units to the schema's maxlength.
      address: { ...DEMO_ADDRESS, recipient: '😀'.repeat(30) },
    });
    const error = await placing.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).to.be.instanceOf(Invalid);
    expect((await services.stock.available([String(sku._id)])).get(String(sku._id))).to.equal(3);
  });
});
