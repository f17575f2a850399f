// A shoppable replay (issue #15, "Done when"): what the console did on air (a pin, a flash sale,
// an announcement) becomes chapters; the streamer sets the recording on the tablet once the
// session has ended; a buyer on a phone finds the replay from the product page, taps a chapter
// (the recording seeks there) and buys at the shop's regular price; a chapter whose product was
// taken off sale says so and sells nothing.
import { expect } from 'chai';
import type { Actor } from '../../server/accounts/actor.ts';
import { ProductModel } from '../../server/catalogue/product.model.ts';
import { ShopModel } from '../../server/catalogue/shop.model.ts';
import { SkuModel } from '../../server/catalogue/sku.model.ts';
import { LiveSessionModel } from '../../server/live/live-session.model.ts';
import { BUYER_PASSWORD, createBuyers, skuWithStock } from '../support/fixtures.ts';
import { phoneContext, signIn, tabletContext, webAndBrowser } from './browser.ts';

describe('browser: a shoppable replay', function () {
  this.timeout(120_000);
  const env = webAndBrowser({ workers: true });

  it('chapters from the console seek the recording and sell at the regular price', async () => {
    const live = env.web.services.live;
    const streamer: Actor = {
      id: '64b000000000000000000001',
      role: 'admin',
      displayName: '县电商中心',
    };
    const kept = await skuWithStock(20, 3880);
    const dropped = await skuWithStock(20, 4200);
    const shop = (await ShopModel.findOne({ slug: 'xigou-pepper' }).lean())!;
    const session = await LiveSessionModel.create({
      shopId: shop._id,
      title: { zh: '花椒专场 回放', en: 'Pepper session replay' },
      scheduledAt: new Date(),
      status: 'live',
      // On air for 70 s already: the first chapter is at 00:01:10 of the recording.
      startedAt: new Date(Date.now() - 70_000),
      offers: [
        {
          offerId: 'replaykeep',
          skuId: kept._id,
          livePriceFen: 2990,
          allotment: 5,
          perBuyerLimit: 2,
        },
        {
          offerId: 'replaygone',
          skuId: dropped._id,
          livePriceFen: 3300,
          allotment: 5,
          perBuyerLimit: 2,
        },
      ],
    });
    const sessionId = String(session._id);
    await live.pin(streamer, { sessionId, offerId: 'replaykeep' }, true);
    await live.announce(streamer, { sessionId, text: '下一款是新花椒' });
    await live.openFlash(streamer, { sessionId, offerId: 'replaygone', durationS: 60 });
    await live.end(streamer, { sessionId });
    // The second product is taken off sale after the session.
    await SkuModel.updateOne({ _id: dropped._id }, { $set: { active: false } });

    // The streamer's tablet: the recording's address, refused until it is https, then saved.
    const tablet = await tabletContext(env.browser, env.base);
    const console = await tablet.newPage();
    await signIn(console, '13900000001', `/studio/live/${sessionId}`);
    const form = console.locator('[data-testid=recording-form]');
    await form.locator('input[name=url]').fill('ftp://example.com/a.m3u8');
    await console.click('[data-testid=recording-save]');
    await console.waitForSelector('[data-role=answer].error');
    expect(await console.locator('[data-role=answer]').textContent()).to.contain('https://');
    await form.locator('input[name=url]').fill('https://vod.example.cn/pingshun/pepper.m3u8');
    await console.click('[data-testid=recording-save]');
    await console.waitForSelector('[data-role=answer].ok');
    expect((await LiveSessionModel.findById(sessionId).lean())!.replayUrl).to.equal(
      'https://vod.example.cn/pingshun/pepper.m3u8',
    );
    // No network leaves this machine: the page plays the demo recording served here instead.
    await LiveSessionModel.updateOne(
      { _id: sessionId },
      { $set: { replayUrl: '/demo/replays/pepper-session.webm' } },
    );

    // A buyer on a phone finds it from the product page: 在回放中看讲解.
    const [login] = await createBuyers(1);
    const phone = await phoneContext(env.browser, env.base);
    const page = await phone.newPage();
    await signIn(page, login!, '/', BUYER_PASSWORD);
    const product = (await ProductModel.findById(kept.productId).lean())!;
    await page.goto(`/p/${product.slug}`);
    const link = page.locator(`[data-testid=product-replay][href^="/live/${sessionId}/replay"]`);
    expect(await link.textContent()).to.contain('在回放中看讲解');
    await link.click();
    await page.waitForSelector('[data-testid=replay-chapters]');
    const chapters = page.locator('[data-testid=chapter]');
    expect(await chapters.count()).to.equal(3);
    const first = chapters.nth(0);
    expect(await first.locator('[data-testid=chapter-seek]').textContent()).to.match(/^00:01:1\d$/);
    expect(await first.textContent()).to.contain(kept.spec.zh);
    expect(await chapters.nth(1).textContent()).to.contain('下一款是新花椒');
    expect(await chapters.nth(2).locator('[data-testid=chapter-gone]').textContent()).to.contain(
      '该商品已下架',
    );
    expect(await chapters.nth(2).locator('[data-testid=chapter-buy]').count()).to.equal(0);
    // A buy sent for it anyway (an old page, a crafted form) is refused with a reason.
    const refused = await page.request.post('/cart/add', {
      form: {
        _csrf: (await page.locator('.chapter-buy input[name=_csrf]').first().inputValue())!,
        skuId: String(dropped._id),
        quantity: '1',
        from: `/live/${sessionId}/replay`,
      },
      maxRedirects: 0,
    });
    expect(refused.status()).to.equal(404);
    expect(await refused.text()).to.contain('找不到这个商品规格');

    // Tapping the time seeks the recording there.
    const video = page.locator('[data-testid=replay-video]');
    await page.waitForFunction(
      (el) => (el as unknown as { readyState: number }).readyState >= 1,
      await video.elementHandle(),
    );
    await first.locator('[data-testid=chapter-seek]').click();
    await page.waitForFunction(
      (el) => {
        const at = (el as unknown as { currentTime: number }).currentTime;
        return at >= 69 && at < 90;
      },
      await video.elementHandle(),
    );

    // The buy is at the shop's price (¥38.80), not the live price that ended with the session.
    expect(await first.locator('[data-testid=chapter-buy]').textContent()).to.contain('¥38.80');
    await first.locator('[data-testid=chapter-buy]').click();
    await page.waitForSelector('[data-testid=replay-added]');
    await page.goto('/cart');
    expect(await page.locator('main').textContent()).to.contain('¥38.80');

    // The shop page lists the replay too; a session on air has none.
    await page.goto(`/s/${shop.slug}`);
    expect(
      await page.locator(`[data-testid=shop-replay][href="/live/${sessionId}/replay"]`).count(),
    ).to.equal(1);
    await phone.close();
    await tablet.close();
  });
});
