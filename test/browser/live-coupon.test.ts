// A coupon from drop to refund, the way the two people see it (issue #15, "Done when"): the
// streamer drops coupons from the console on a tablet; a buyer on a phone claims one in the room,
// buys two jars live, uses the coupon on the pay page and pays the test payment at the
// discounted total; the hub then cannot find one jar, and the order page shows what came back,
// in proportion to what was paid.
import { expect } from 'chai';
import type { Actor } from '../../server/accounts/actor.ts';
import { UserModel } from '../../server/accounts/user.model.ts';
import { ShopModel } from '../../server/catalogue/shop.model.ts';
import { LiveSessionModel } from '../../server/live/live-session.model.ts';
import { OrderModel } from '../../server/orders/order.model.ts';
import { note } from '../../server/orders/timeline.ts';
import { PaymentModel } from '../../server/payments/payment.model.ts';
import { BUYER_PASSWORD, createBuyers, skuWithStock } from '../support/fixtures.ts';
import { DEMO_ADDRESS } from '../support/http-client.ts';
import { eventually } from '../support/processes.ts';
import { phoneContext, signIn, tabletContext, webAndBrowser } from './browser.ts';

describe('browser: a live coupon, streamer and buyer side by side', function () {
  this.timeout(120_000);
  const env = webAndBrowser({ workers: true });

  it('the streamer drops coupons; a buyer claims one, uses it on a live buy, pays the discounted total, and a short pick refunds in proportion', async () => {
    const sku = await skuWithStock(50, 2990);
    const shop = (await ShopModel.findOne({ slug: 'xigou-pepper' }).lean())!;
    const session = await LiveSessionModel.create({
      shopId: shop._id,
      title: { zh: '花椒专场 领券下单', en: 'Pepper session with coupons' },
      scheduledAt: new Date(),
      status: 'live',
      offers: [
        {
          offerId: 'couponpep',
          skuId: sku._id,
          livePriceFen: 2990,
          allotment: 20,
          perBuyerLimit: 5,
          pinned: true,
        },
      ],
    });
    const sessionId = String(session._id);

    // 申小花's console on a tablet: 10 coupons, ¥5 off orders over ¥50, usable 24 h after.
    const streamer = await tabletContext(env.browser, env.base);
    const console = await streamer.newPage();
    await signIn(console, '13900000001', `/studio/live/${sessionId}`);
    const form = console.locator('[data-testid=coupon-drop]');
    await form.locator('input[name=off_yuan]').fill('5');
    await form.locator('input[name=min_yuan]').fill('50');
    await form.locator('input[name=total]').fill('10');
    await console.click('[data-testid=coupon-drop-submit]');
    await console.waitForSelector('[data-role=answer].ok');
    expect(await console.locator('[data-role=answer]').textContent()).to.equal(
      '已发出 10 张：满¥50.00减¥5.00',
    );

    // A buyer with an address watches on a phone and claims one.
    const [login] = await createBuyers(1);
    await UserModel.updateOne({ email: login }, { $set: { addresses: [DEMO_ADDRESS] } });
    const phone = await phoneContext(env.browser, env.base);
    const room = await phone.newPage();
    await signIn(room, login!, `/live/${sessionId}`, BUYER_PASSWORD);
    const ticket = room.locator('[data-testid=room-coupons] .coupon');
    await ticket.waitFor();
    expect(await ticket.locator('strong').textContent()).to.equal('满¥50.00减¥5.00');
    await ticket.locator('[data-testid=coupon-claim]').click();
    await room.waitForSelector('[data-role=answer].ok');
    expect(await room.locator('[data-role=answer]').textContent()).to.include('领到了');
    expect(await ticket.locator('[data-testid=coupon-claim]').textContent()).to.equal('已领取');
    // The console's list counts it (pushed to the room within half a second).
    await console.waitForSelector('[data-role=console-coupons] li:has-text("剩 9 张/10")');

    // Two jars with one tap: ¥59.80, over the threshold.
    await room.fill('[data-role=quantity]', '2');
    await room.click('[data-testid=live-buy]');
    await room.waitForSelector('[data-role=answer] a');
    const payLink = await room.locator('[data-role=answer] a').getAttribute('href');
    expect(payLink).to.match(/^\/orders\/CB\d+\/pay$/);
    const orderNo = payLink!.split('/')[2]!;

    // The pay page offers the coupon; using it takes ¥5.00 off before paying.
    await room.goto(payLink!);
    expect(await room.locator('[data-testid=pay-amount]').textContent()).to.equal('¥59.80');
    const offered = room.locator('[data-testid=coupon-picker] .coupon');
    expect(await offered.locator('strong').textContent()).to.equal('满¥50.00减¥5.00');
    await offered.locator('[data-testid=coupon-use]').click();
    await room.waitForSelector('[data-testid=pay-discount]');
    expect(await room.locator('[data-testid=pay-discount]').textContent()).to.equal('−¥5.00');
    expect(await room.locator('[data-testid=pay-amount]').textContent()).to.equal('¥54.80');
    await room.click('[data-testid=pay-alipay]');
    await room.waitForURL(`**/orders/${orderNo}`);
    await eventually(async () => (await OrderModel.findOne({ orderNo }).lean())?.status === 'paid');
    expect((await PaymentModel.findOne({ orderNo }).lean())!.receivedFen).to.equal(5480);

    // The hub finds one jar of two: the buyer gets back what they paid for it, ¥27.40.
    const services = env.web.services;
    const system = { kind: 'system' as const, id: 'test' };
    await eventually(async () => {
      const status = (await OrderModel.findOne({ orderNo }).lean())?.status;
      return status === 'paid' || status === 'routed';
    });
    const order = (await OrderModel.findOne({ orderNo }).lean())!;
    if (order.status === 'paid')
      await services.orderStates.transition(
        orderNo,
        'paid',
        'routed',
        system,
        note('routed', { parcel: 'P-COUPON', courier: 'test', waybill: 'W-COUPON' }),
      );
    await services.orderStates.transition(
      orderNo,
      'routed',
      'picking',
      system,
      note('picking', { wave: 'W-COUPON' }),
    );
    const hubStaff: Actor = { id: 'hub', role: 'hub_staff', displayName: '仓库' };
    await services.payments.refundShortPick(hubStaff, orderNo, [
      { skuCode: order.lines[0]!.skuCode, quantity: 1 },
    ]);
    await room.goto(`/orders/${orderNo}`);
    const moneyBack = room.locator('[data-testid=money-back]');
    expect(await moneyBack.locator('dd').allTextContents()).to.deep.equal([
      '¥54.80',
      '−¥27.40',
      '¥27.40',
    ]);
    await phone.close();
    await streamer.close();
  });
});
