import { expect } from 'chai';
import { OrderModel } from '../../server/orders/order.model.ts';
import { BUYER_PASSWORD, createBuyers } from '../support/fixtures.ts';
import { phoneContext, signIn, webAndBrowser } from './browser.ts';

describe('browser: paying for an order', function () {
  this.timeout(120_000);
  const env = webAndBrowser({ workers: true });

  it('add to cart → checkout → pay on the test payment page → the order page shows paid without reloading', async () => {
    const context = await phoneContext(env.browser, env.base);
    const page = await context.newPage();
    const [login] = await createBuyers(1);
    await signIn(page, login!, '/p/forsythia-tea', BUYER_PASSWORD);
    await page.click('button:has-text("加入购物车")');
    await page.waitForURL(/added=1/);
    await page.goto('/checkout');
    await page.fill('input[name=recipient]', '周明');
    await page.fill('input[name=phone]', '13800000002');
    // Picked from China's divisions: each list follows the one before it.
    await page.selectOption('select[name=province]', '浙江省');
    await page.selectOption('select[name=city]', '杭州市');
    await page.selectOption('select[name=county]', '西湖区');
    await page.fill('input[name=detail]', '之江路 1 号 2 幢 301');
    await page.click('[data-testid=place-order]');
    await page.waitForURL(/\/orders\/CB\d{14}$/);
    const orderUrl = page.url();
    expect(await page.locator('[data-testid=order-status]').textContent()).to.equal('待付款');
    expect(await page.locator('[data-testid=pay-by]').count()).to.equal(1);
    await page.waitForSelector('#live-hint:not([hidden])');

    // Pay in a second tab, as a buyer switching to the payment app would; the first tab stays put.
    const payTab = await context.newPage();
    await payTab.goto(`${orderUrl}/pay`);
    expect(await payTab.locator('[data-testid=pay-amount]').textContent()).to.equal('¥36.80');
    await payTab.click('[data-testid=pay-wechat_pay]');

    await page.waitForSelector('[data-testid=order-status]:text-is("已付款")', {
      timeout: 15_000,
    });
    expect(page.url()).to.equal(orderUrl);
    await page.locator('[data-testid=timeline] li').nth(1).waitFor();
    // The timeline's new entry is in Chinese, and the pay-by line is gone with the pay button.
    expect(await page.locator('[data-testid=timeline] li').last().textContent()).to.include(
      '已用微信支付付款',
    );
    expect(await page.locator('[data-testid=pay]').count()).to.equal(0);
    expect(await page.locator('[data-testid=pay-by]').count()).to.equal(0);
    const orderNo = orderUrl.split('/').at(-1)!;
    expect((await OrderModel.findOne({ orderNo }).lean())!.status).to.equal('paid');

    // The streamer of that shop sees it among the paid orders.
    const streamer = await phoneContext(env.browser, env.base);
    const console = await streamer.newPage();
    await signIn(console, '13900000003', '/studio/orders');
    // Paid, or already routed to the hub: the tests' consolidation window is two seconds, and a
    // busy machine takes longer than that to open the streamer's page.
    expect(
      await console.locator(`[data-order-row="${orderNo}"] [data-status]`).textContent(),
    ).to.be.oneOf(['已付款', '已转仓库']);
    expect(Number(await console.locator('[data-testid=paid-count]').textContent())).to.be.at.least(
      1,
    );
    await Promise.all([context.close(), streamer.close()]);
  });
});
