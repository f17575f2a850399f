import { expect } from 'chai';
import { UserModel } from '../../server/accounts/user.model.ts';
import { ShopModel } from '../../server/catalogue/shop.model.ts';
import { LiveSessionModel } from '../../server/live/live-session.model.ts';
import { OrderModel } from '../../server/orders/order.model.ts';
import { BUYER_PASSWORD, createBuyers, skuWithStock } from '../support/fixtures.ts';
import { DEMO_ADDRESS } from '../support/http-client.ts';
import { phoneContext, signIn, tabletContext, webAndBrowser } from './browser.ts';

describe('browser: a live session, streamer and buyer side by side', function () {
  this.timeout(120_000);
  const env = webAndBrowser();

  it('the streamer pins a product and opens a flash sale; a buyer buys with one tap and by commenting 扣1; the dashboard counts both', async () => {
    // 申小花 of Xigou has scheduled a pepper session with nothing pinned yet.
    const sku = await skuWithStock(50, 3880);
    const shop = (await ShopModel.findOne({ slug: 'xigou-pepper' }).lean())!;
    const session = await LiveSessionModel.create({
      shopId: shop._id,
      title: { zh: '花椒上新 秒杀专场', en: 'New pepper flash sale' },
      scheduledAt: new Date(),
      offers: [
        {
          offerId: 'flashpepper',
          skuId: sku._id,
          livePriceFen: 2990,
          allotment: 20,
          perBuyerLimit: 3,
        },
      ],
    });
    const sessionId = String(session._id);

    const streamer = await tabletContext(env.browser, env.base);
    const console = await streamer.newPage();
    await signIn(console, '13900000001', `/studio/live/${sessionId}`);
    await console.click('[data-testid=go-live]');
    await console.waitForSelector('[data-role=status]:has-text("直播中")');
    await console.click('[data-testid=pin-flashpepper]');
    await console.waitForSelector('[data-offer=flashpepper] .badge');
    await console.click('[data-testid=flash-flashpepper]');
    await console.waitForSelector(
      '[data-offer=flashpepper] [data-role=flash-countdown]:not(:empty)',
    );

    // A buyer on a phone, signed in with a default address, watches the room.
    const [login] = await createBuyers(1);
    await UserModel.updateOne({ email: login }, { $set: { addresses: [DEMO_ADDRESS] } });
    const buyer = await phoneContext(env.browser, env.base);
    const room = await buyer.newPage();
    await signIn(room, login!, `/live/${sessionId}`, BUYER_PASSWORD);
    expect(await room.locator('[data-role=pinned-price]').textContent()).to.equal('¥29.90');
    await room.waitForSelector('[data-role=countdown]:not(:empty)');
    expect(await room.locator('[data-role=remaining]').textContent()).to.equal('20');

    // One tap.
    await room.click('[data-testid=live-buy]');
    await room.waitForSelector('[data-role=answer].ok');
    expect(await room.locator('[data-role=answer]').textContent()).to.include('抢到了');
    expect(await room.locator('[data-role=answer] a').getAttribute('href')).to.match(
      /^\/orders\/CB\w+\/pay$/,
    );
    await room.waitForSelector('[data-role=remaining]:text-is("19")');

    // Then a comment: a second order, answered to this buyer alone with its own pay link.
    const firstPay = await room.locator('[data-testid=live-pay]').getAttribute('href');
    await room.fill('[data-testid=chat-input]', '扣1');
    await room.press('[data-testid=chat-input]', 'Enter');
    await room.waitForSelector(`[data-testid=live-pay]:not([href="${firstPay}"])`);
    expect(await room.locator('[data-role=chat]').textContent()).to.include('扣1');
    await room.waitForSelector('[data-role=remaining]:text-is("18")');

    const orders = await OrderModel.find({ 'live.sessionId': session._id }).lean();
    expect(orders.map((o) => o.channel).sort()).to.deep.equal(['comment', 'live']);
    expect(orders.every((o) => o.totalFen === 2990)).to.equal(true);

    // The streamer's dashboard, refreshed every second, shows both orders.
    await console.waitForSelector('[data-testid=kpi-orders]:text-is("2")', { timeout: 10_000 });
    expect(await console.locator('[data-kpi=unpaid]').textContent()).to.equal('2');
    expect(await console.locator('[data-kpi=gmv]').textContent()).to.equal('¥59.80');
    expect(
      await console.locator('[data-offer=flashpepper] [data-offer-sold]').textContent(),
    ).to.equal('2');
    await Promise.all([streamer.close(), buyer.close()]);
  });

  it('a sold-out buyer joins the waitlist, and when a unit comes back it is held for them to buy', async () => {
    const sku = await skuWithStock(20, 3880);
    const shop = (await ShopModel.findOne({ slug: 'xigou-pepper' }).lean())!;
    const session = await LiveSessionModel.create({
      shopId: shop._id,
      title: { zh: '最后一包', en: 'The last bag' },
      scheduledAt: new Date(),
      status: 'live',
      offers: [
        {
          offerId: 'lastbag',
          skuId: sku._id,
          livePriceFen: 1990,
          allotment: 1,
          perBuyerLimit: 1,
          pinned: true,
        },
      ],
    });
    const sessionId = String(session._id);
    const [first, second] = await createBuyers(2);
    await UserModel.updateMany(
      { email: { $in: [first!, second!] } },
      { $set: { addresses: [DEMO_ADDRESS] } },
    );

    // The first buyer takes the only unit.
    const a = await phoneContext(env.browser, env.base);
    const roomA = await a.newPage();
    await signIn(roomA, first!, `/live/${sessionId}`, BUYER_PASSWORD);
    await roomA.click('[data-testid=live-buy]');
    await roomA.waitForSelector('[data-testid=live-pay]');

    // The second sees it sold out and joins the waitlist.
    const b = await phoneContext(env.browser, env.base);
    const roomB = await b.newPage();
    await signIn(roomB, second!, `/live/${sessionId}`, BUYER_PASSWORD);
    await roomB.waitForSelector('[data-role=remaining]:text-is("0")');
    expect(await roomB.locator('[data-testid=live-buy]').isDisabled()).to.equal(true);
    await roomB.click('[data-role=waitlist]');
    await roomB.waitForSelector('[data-role=answer]:has-text("排第 1 位")');

    // The first buyer cancels; the unit is held for the second, whose button wakes up.
    const userA = (await UserModel.findOne({ email: first }).lean())!;
    const orderA = (await OrderModel.findOne({
      buyerId: userA._id,
      'live.sessionId': session._id,
    }).lean())!;
    await env.web.services.orders.cancelUnpaidOrder(
      { id: String(userA._id), role: 'buyer', displayName: userA.displayName },
      orderA.orderNo,
    );
    await roomB.waitForSelector('[data-role=answer]:has-text("轮到你了")');
    await roomB.waitForSelector('[data-testid=live-buy]:not([disabled])');
    await roomB.click('[data-testid=live-buy]');
    await roomB.waitForSelector('[data-testid=live-pay]');
    const userB = (await UserModel.findOne({ email: second }).lean())!;
    expect(
      await OrderModel.countDocuments({ buyerId: userB._id, 'live.sessionId': session._id }),
    ).to.equal(1);
    await Promise.all([a.close(), b.close()]);
  });
});
