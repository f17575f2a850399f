// A rehearsal with 200 simulated buyers (issue #15, "Done when"): the streamer opens it from the
// scheduled session's console on a tablet, pins a product and switches the crowd on; the
// dashboard moves; a buyer's phone cannot find the room; real stock and orders stay untouched
// in MongoDB and Redis; ending the rehearsal returns to the real console and leaves nothing.
import { expect } from 'chai';
import { ShopModel } from '../../server/catalogue/shop.model.ts';
import { LiveSessionModel } from '../../server/live/live-session.model.ts';
import { OrderModel } from '../../server/orders/order.model.ts';
import { StockMovementModel } from '../../server/stock/stock-movement.model.ts';
import { BUYER_PASSWORD, createBuyers, skuWithStock } from '../support/fixtures.ts';
import { getRuntime } from '../support/root-hooks.ts';
import { phoneContext, signIn, tabletContext, webAndBrowser } from './browser.ts';

describe('browser: a rehearsal with simulated buyers', function () {
  this.timeout(120_000);
  const env = webAndBrowser({ workers: true });

  it('the dashboard moves with 200 simulated buyers while real stock and orders stay untouched', async () => {
    const sku = await skuWithStock(60, 3880);
    const shop = (await ShopModel.findOne({ slug: 'xigou-pepper' }).lean())!;
    const session = await LiveSessionModel.create({
      shopId: shop._id,
      title: { zh: '花椒专场 明晚八点', en: 'Pepper session tomorrow 20:00' },
      scheduledAt: new Date(Date.now() + 24 * 3600_000),
      offers: [
        {
          offerId: 'rehearsepep',
          skuId: sku._id,
          livePriceFen: 2990,
          allotment: 40,
          perBuyerLimit: 2,
        },
      ],
    });
    const sessionId = String(session._id);
    const { redis } = getRuntime();
    const services = env.web.services;
    await services.stock.available([String(sku._id)]);
    const counterKey = services.stock.counterKey(String(sku._id));
    const before = {
      orders: await OrderModel.countDocuments({}),
      movements: await StockMovementModel.countDocuments({ skuId: sku._id }),
      counter: await redis.hmget(counterKey, 'available', 'epoch'),
    };

    // 申小花's tablet: 开始彩排 opens the rehearsal's console, marked 彩排.
    const tablet = await tabletContext(env.browser, env.base);
    const console = await tablet.newPage();
    await signIn(console, '13900000001', `/studio/live/${sessionId}`);
    await console.click('[data-testid=rehearsal-open]');
    await console.waitForSelector('[data-testid=rehearsal-banner]');
    const rehearsalId = console.url().split('/studio/live/')[1]!;
    expect(rehearsalId).to.match(/^[0-9a-f]{24}$/);
    expect(rehearsalId).to.not.equal(sessionId);
    expect(await console.locator('h1').textContent()).to.contain('【彩排】');
    await console.click('[data-testid=pin-rehearsepep]');
    await console.waitForSelector('[data-testid=crowd-form]');

    // 200 viewers, 60 comments a minute of which 30 % are 扣1, 120 buys a minute.
    const crowd = console.locator('[data-testid=crowd-form]');
    await crowd.locator('input[name=viewers]').fill('200');
    await crowd.locator('input[name=commentsPerMinute]').fill('60');
    await crowd.locator('input[name=kouShare]').fill('30');
    await crowd.locator('input[name=buysPerMinute]').fill('120');
    await console.click('[data-testid=crowd-start]');
    await console.waitForSelector('[data-role=answer].ok');
    // The dashboard refreshes each second: viewers near 200, orders climbing.
    await console.waitForFunction(
      () => {
        const read = (k: string) =>
          Number(
            (
              globalThis as unknown as {
                document: { querySelector(s: string): { textContent: string } };
              }
            ).document.querySelector(`[data-kpi="${k}"]`).textContent,
          );
        return read('viewers') >= 190 && read('orders') >= 3;
      },
      undefined,
      { timeout: 30_000 },
    );
    await console.waitForSelector('[data-role=chat] li:has-text("彩排观众")');

    // A buyer's phone: the rehearsal's room does not exist for them.
    const [login] = await createBuyers(1);
    const phone = await phoneContext(env.browser, env.base);
    const room = await phone.newPage();
    await signIn(room, login!, '/', BUYER_PASSWORD);
    const answer = await room.goto(`/live/${rehearsalId}`);
    expect(answer!.status()).to.equal(404);

    // Real stock and orders, in MongoDB and Redis: untouched.
    expect(await OrderModel.countDocuments({})).to.equal(before.orders);
    expect(await StockMovementModel.countDocuments({ skuId: sku._id })).to.equal(before.movements);
    expect(await redis.hmget(counterKey, 'available', 'epoch')).to.deep.equal(before.counter);

    // 结束彩排: back to the real console; the rehearsal is gone.
    await console.click('[data-testid=rehearsal-end]');
    await console.waitForURL(`**/studio/live/${sessionId}`);
    expect(await console.locator('[data-testid=rehearsal-open]').count()).to.equal(1);
    expect(await LiveSessionModel.findById(rehearsalId).lean()).to.equal(null);
    expect(await OrderModel.countDocuments({})).to.equal(before.orders);
    await phone.close();
    await tablet.close();
  });
});
