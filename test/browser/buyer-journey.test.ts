import { expect } from 'chai';
import { OrderModel } from '../../server/orders/order.model.ts';
import { UserModel } from '../../server/accounts/user.model.ts';
import { phoneContext, signIn, webAndBrowser } from './browser.ts';

describe('browser: a buyer on a phone', function () {
  this.timeout(120_000);
  const env = webAndBrowser({
    prepare: () => UserModel.updateOne({ phone: '13800000001' }, { $set: { addresses: [] } }),
  });

  it('browses, searches, fills a cart from two shops, signs in (cart kept), and places orders', async () => {
    const context = await phoneContext(env.browser, env.base);
    const page = await context.newPage();

    await page.goto('/');
    await expect(await page.locator('[data-testid=product-list] .card').count()).to.be.above(20);

    // Search in Chinese.
    await page.fill('input[name=q]', '花椒');
    await page.press('input[name=q]', 'Enter');
    await page.waitForURL(/\/search\?q=/);
    const titles = await page.locator('.card-title').allTextContents();
    expect(titles).to.include('平顺大红袍花椒');
    expect(titles.some((t) => t.includes('小米'))).to.equal(false);

    // Pepper, premium 500 g, two bags.
    await page.click('text=平顺大红袍花椒');
    await page.waitForURL(/\/p\/dahongpao-sichuan-pepper/);
    await page.check('label.spec:has-text("特级 500g") input');
    await page.fill('input[name=quantity]', '2');
    await page.click('button:has-text("加入购物车")');
    await page.waitForURL(/added=1/);
    expect(await page.locator('.notice').textContent()).to.include('已加入购物车');

    // Millet from another shop, found through the category filter.
    await page.goto('/search?category=grain');
    await page.click('text=沁州黄小米');
    await page.check('label.spec:has-text("2.5kg") input');
    await page.click('button:has-text("加入购物车")');
    await page.waitForURL(/added=1/);

    await page.click('[data-testid=nav-cart]');
    expect(await page.locator('[data-testid=cart-line]').count()).to.equal(2);
    expect(await page.locator('.cart-shop h2').allTextContents()).to.have.members([
      '西沟大红袍花椒合作社',
      '虹梯关杂粮坊',
    ]);
    expect(await page.locator('.total strong').textContent()).to.equal('¥215.40'); // 2 × 69.80 + 75.80

    // Checkout asks her to sign in, then brings her back with the cart intact.
    await page.click('[data-testid=checkout]');
    await page.waitForURL(/\/signin\?returnTo=%2Fcheckout/);
    await page.fill('input[name=login]', '13800000001');
    await page.fill('input[name=password]', 'cunbo2026');
    await page.click('button:has-text("登录")');
    await page.waitForURL(/\/checkout$/);
    expect(await page.locator('.cart-shop .line').count()).to.equal(2);

    await page.fill('input[name=recipient]', '陈晓');
    await page.fill('input[name=phone]', '13800000001');
    // Picked from China's divisions: each list follows the one before it.
    await page.selectOption('select[name=province]', '北京市');
    await page.selectOption('select[name=city]', '北京市');
    await page.selectOption('select[name=county]', '朝阳区');
    await page.fill('input[name=detail]', '望京西路 8 号院 3 号楼 1201');
    await page.click('[data-testid=place-order]');
    await page.waitForURL(/\/orders$/);

    const links = page.locator('.line-main > a');
    expect(await links.count()).to.be.at.least(2);
    await links.first().click();
    await page.waitForURL(/\/orders\/CB\d{14}$/);
    expect(await page.locator('[data-testid=order-status]').textContent()).to.equal('待付款');
    expect(await page.locator('[data-testid=timeline] li').count()).to.equal(1);

    const orderNo = page.url().split('/').at(-1)!;
    const order = (await OrderModel.findOne({ orderNo }).lean())!;
    expect(order.status).to.equal('pending_payment');
    expect(order.address!.detail).to.equal('望京西路 8 号院 3 号楼 1201');

    // The cart is empty now, and the address is remembered for next time.
    await page.goto('/cart');
    expect(await page.locator('[data-testid=cart-line]').count()).to.equal(0);
    await context.close();
  });

  it('sees the order page update live when the order changes elsewhere', async () => {
    const context = await phoneContext(env.browser, env.base);
    const page = await context.newPage();
    await signIn(page, '13800000001', '/orders');
    const buyer = (await UserModel.findOne({ phone: '13800000001' }).lean())!;
    const order = (await OrderModel.findOne({
      buyerId: buyer._id,
      status: 'pending_payment',
    }).lean())!;
    await page.goto(`/orders/${order.orderNo}`);
    await page.waitForSelector('#live-hint:not([hidden])');

    // Cancelled from another device: this page follows without a reload.
    await env.web.services.orders.cancelUnpaidOrder(
      { id: String(buyer._id), role: 'buyer', displayName: buyer.displayName },
      order.orderNo,
    );
    // A selector, not a script: the pages' CSP refuses scripts evaluated from strings.
    await page.waitForSelector('[data-testid=order-status]:text-is("已取消")');
    // The timeline is read again, its new entry in the page's language.
    await page.locator('[data-testid=timeline] li').nth(1).waitFor();
    expect(await page.locator('[data-testid=timeline] li').count()).to.equal(2);
    expect(await page.locator('[data-testid=timeline] li').last().textContent()).to.include(
      '付款前取消',
    );
    await context.close();
  });
});
