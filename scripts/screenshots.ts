// `npm run screenshots -- [--base http://localhost:3000]`: phone-sized screenshots of the
// storefront for docs/screenshots/, taken from a running `npm start` with the demo data.
import path from 'node:path';
import { parseArgs } from 'node:util';
import { PROJECT_ROOT } from '../server/core/config.ts';
import { launchBrowser, phoneContext } from '../test/browser/browser.ts';

const { values } = parseArgs({
  options: { base: { type: 'string', default: 'http://localhost:3000' } },
});
const out = (name: string) => path.join(PROJECT_ROOT, 'docs/screenshots', `${name}.png`);

const browser = await launchBrowser();
try {
  const context = await phoneContext(browser, values.base!);
  const page = await context.newPage();
  const shot = async (name: string, fullPage = true) => {
    await page.screenshot({ path: out(name), fullPage });
    process.stdout.write(`wrote ${out(name)}\n`);
  };

  await page.goto('/');
  await shot('home-phone', false);
  await page.goto('/search?q=花椒');
  await shot('search-phone', false);
  await page.goto('/p/dahongpao-sichuan-pepper');
  await shot('product-phone');

  await page.check('label.spec:has-text("特级 500g") input');
  await page.click('button:has-text("加入购物车")');
  await page.goto('/p/pepper-sprout-chili-sauce');
  await page.fill('input[name=quantity]', '3');
  await page.click('button:has-text("加入购物车")');
  await page.goto('/p/qinzhouhuang-millet');
  await page.click('button:has-text("加入购物车")');
  await page.goto('/cart');
  await shot('cart-phone');

  await page.goto('/signin?returnTo=/checkout');
  await page.fill('input[name=login]', '13800000002');
  await page.fill('input[name=password]', 'cunbo2026');
  await page.click('button:has-text("登录")');
  await page.waitForURL(/checkout/);
  await page.fill('input[name=recipient]', '周明');
  await page.fill('input[name=phone]', '13800000002');
  await page.fill('input[name=province]', '浙江省');
  await page.fill('input[name=city]', '杭州市');
  await page.fill('input[name=county]', '西湖区');
  await page.fill('input[name=township]', '转塘街道');
  await page.fill('input[name=detail]', '之江路 1 号 2 幢 301');
  await shot('checkout-phone');
  await page.click('[data-testid=place-order]');
  await page.waitForURL(/\/orders/);
  const first = page.locator('.line-main > a').first();
  if (await first.count()) {
    await first.click();
    await page.waitForURL(/\/orders\/CB/);
  }
  await shot('order-phone');
  await context.close();
} finally {
  await browser.close();
}
