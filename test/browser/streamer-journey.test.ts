import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import sharp from 'sharp';
import { ShopModel } from '../../server/catalogue/shop.model.ts';
import { ProductModel } from '../../server/catalogue/product.model.ts';
import { phoneContext, signIn, webAndBrowser } from './browser.ts';

describe('browser: a new village shop goes public', function () {
  this.timeout(120_000);
  const env = webAndBrowser({
    prepare: () =>
      ShopModel.updateOne({ slug: 'yuejiazhai-honey' }, { $set: { status: 'pending' } }),
  });

  it('a streamer creates a product with a photo; it shows on the storefront once the admin approves the shop', async () => {
    const photo = path.join(mkdtempSync(path.join(os.tmpdir(), 'cunbo-photo-')), 'honey.png');
    writeFileSync(
      photo,
      await sharp({ create: { width: 1200, height: 900, channels: 3, background: '#e8a317' } })
        .png()
        .toBuffer(),
    );

    // 牛大爷 of Yuejiazhai, whose shop still awaits approval, lists a new honey.
    const streamer = await phoneContext(env.browser, env.base);
    const page = await streamer.newPage();
    await signIn(page, '13900000006', '/studio');
    expect(await page.locator('.alert').textContent()).to.include('等待县电商中心审核');
    await page.click('[data-testid=new-product]');
    await page.fill('input[name=title_zh]', '岳家寨槐花蜜');
    await page.fill('input[name=title_en]', 'Yuejiazhai Acacia Honey');
    await page.fill('textarea[name=description_zh]', '五月槐花开，悬崖上的蜂场摇出第一桶蜜。');
    await page.selectOption('select[name=category]', 'honey');
    await page.selectOption('select[name=village_code]', 'PS-YUEJIAZHAI');
    await page.fill('input[name=sku_code]', 'FM-HH-500');
    await page.fill('input[name=spec_zh]', '500g 玻璃瓶');
    await page.fill('input[name=price_yuan]', '58.00');
    await page.fill('input[name=weight_grams]', '720');
    await page.fill('input[name=barcode]', '6901234500017');
    await page.setInputFiles('input[name=photos]', photo);
    await page.click('[data-testid=save-product]');
    await page.waitForURL(/\/studio$/);
    expect(await page.locator('[data-testid=studio-product]').first().textContent()).to.include(
      '岳家寨槐花蜜',
    );

    const product = (await ProductModel.findOne({ 'title.zh': '岳家寨槐花蜜' }).lean())!;
    expect(product.photos[0]).to.match(/^\/uploads\/products\/[\w-]+\.webp$/);
    const img = await page.request.get(`${env.base}${product.photos[0]}`);
    expect(img.status()).to.equal(200);
    expect((await sharp(await img.body()).metadata()).width).to.equal(960);

    // Not public yet.
    const shopper = await env.browser.newContext({ baseURL: env.base });
    const shopperPage = await shopper.newPage();
    expect((await shopperPage.goto(`/p/${product.slug}`))!.status()).to.equal(404);
    await shopperPage.goto('/search?q=槐花蜜');
    expect(await shopperPage.locator('.card').count()).to.equal(0);

    // The county admin approves the shop.
    const admin = await phoneContext(env.browser, env.base);
    const adminPage = await admin.newPage();
    await signIn(adminPage, '13700000000', '/admin/shops');
    await adminPage.click('[data-testid=approve-yuejiazhai-honey]');
    await adminPage.waitForURL(/\/admin\/shops$/);

    await shopperPage.goto('/search?q=槐花蜜');
    expect(await shopperPage.locator('.card-title').allTextContents()).to.deep.equal([
      '岳家寨槐花蜜',
    ]);
    await shopperPage.click('text=岳家寨槐花蜜');
    expect(await shopperPage.locator('.spec .price').first().textContent()).to.equal('¥58.00');
    await Promise.all([streamer.close(), shopper.close(), admin.close()]);
  });

  it('keeps a streamer out of the admin screens and a buyer out of the studio', async () => {
    const context = await env.browser.newContext({ baseURL: env.base });
    const page = await context.newPage();
    await signIn(page, '13900000001', '/studio');
    expect((await page.goto('/admin/shops'))!.status()).to.equal(403);
    await context.close();
    const buyer = await env.browser.newContext({ baseURL: env.base });
    const buyerPage = await buyer.newPage();
    await signIn(buyerPage, '13800000002', '/');
    expect((await buyerPage.goto('/studio'))!.status()).to.equal(403);
    await buyer.close();
  });
});
