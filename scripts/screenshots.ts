// `npm run screenshots -- [--base http://localhost:3000]`: phone-sized screenshots of the
// storefront, the live room (coupons, a lucky bag, a replay, a rehearsal) and the trace page, the
// live console and the hub at tablet size, and the county's dashboard on both, for
// docs/screenshots/, taken from a running `npm start` with a fresh demo.
import path from 'node:path';
import { parseArgs } from 'node:util';
import { PROJECT_ROOT } from '../server/core/config.ts';
import { launchBrowser, phoneContext, signIn, tabletContext } from '../test/browser/browser.ts';

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

  await signIn(page, '13800000002', '/checkout');
  await page.fill('input[name=recipient]', '周明');
  await page.fill('input[name=phone]', '13800000002');
  // Picked from China's divisions: each list follows the one before it.
  await page.selectOption('select[name=province]', '浙江省');
  await page.selectOption('select[name=city]', '杭州市');
  await page.selectOption('select[name=county]', '西湖区');
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
  // Pay the first order (the local test payment), so the hub has a parcel to route.
  const paidOrderNo = page.url().split('/orders/')[1]!;
  await page.goto(`/orders/${paidOrderNo}/pay`);
  await page.click('[data-testid=pay-alipay]');
  await page.waitForURL(/\/orders\/CB/);

  // The public trace page of 陈晓's delivered demo parcel, as a buyer who scanned it.
  const tracer = await phoneContext(browser, values.base!);
  const tracePage = await tracer.newPage();
  await signIn(tracePage, '13800000001', '/orders');
  await tracePage.goto('/orders/CB26101500000001');
  await tracePage.click('[data-testid=trace-links] a');
  await tracePage.waitForSelector('[data-testid=trace-page]');
  await tracePage.screenshot({ path: out('trace-phone'), fullPage: true });
  process.stdout.write(`wrote ${out('trace-phone')}\n`);
  await tracer.close();

  // The live room on the buyer's phone: a tap, then a comment order.
  await page.goto('/');
  await page.click('[data-testid=live-link]');
  await page.waitForSelector('[data-role=pinned-price]');
  await page.click('[data-testid=live-buy]');
  await page.waitForSelector('[data-role=answer]:not(:empty):not(:has-text("…"))');
  await page.fill('[data-testid=chat-input]', '来两瓶');
  await page.press('[data-testid=chat-input]', 'Enter');
  await page.waitForTimeout(1500);
  await shot('live-room-phone', false);
  // The buyer's answer: where the order goes (phone masked), with 换地址 beside it.
  await page.locator('[data-role=answer]').screenshot({ path: out('live-ship-to-phone') });
  process.stdout.write(`wrote ${out('live-ship-to-phone')}\n`);
  const liveRoomPath = new URL(page.url()).pathname;
  await context.close();

  // Someone with no account taps 立即抢: they sign up on a sheet in the room, the buy goes on,
  // and the address is asked for on the same page.
  const visitor = await phoneContext(browser, values.base!);
  const room = await visitor.newPage();
  await room.goto(liveRoomPath);
  await room.click('[data-testid=live-buy]');
  await room.waitForSelector('[data-testid=auth-sheet]:not([hidden])');
  await room.fill('[data-testid=auth-sheet] input[name=login]', `139${Date.now() % 1e8}`);
  await room.fill('[data-testid=auth-sheet] input[name=displayName]', '李大姐');
  await room.screenshot({ path: out('live-signup-phone'), fullPage: false });
  process.stdout.write(`wrote ${out('live-signup-phone')}\n`);
  await room.fill('[data-testid=auth-sheet] input[name=password]', 'pepper-2026');
  await room.click('[data-testid=auth-submit]');
  await room.waitForSelector('[data-testid=address-sheet]:not([hidden])');
  await room.waitForTimeout(300);
  await room.screenshot({ path: out('live-address-sheet-phone'), fullPage: false });
  process.stdout.write(`wrote ${out('live-address-sheet-phone')}\n`);
  await visitor.close();

  // The streamer's console on the assistant's tablet.
  const tablet = await tabletContext(browser, values.base!);
  const console = await tablet.newPage();
  await signIn(console, '13900000001', '/studio/live');
  await console.click('a[href^="/studio/live/"]');
  await console.waitForSelector('[data-testid=kpi-orders]');
  await console.waitForTimeout(2500); // one dashboard refresh
  await console.screenshot({ path: out('live-console-tablet'), fullPage: true });
  process.stdout.write(`wrote ${out('live-console-tablet')}\n`);
  // Live coupons: the streamer drops 50 (¥5 off orders over ¥30); a buyer on a phone claims one
  // in the room, buys a jar, and uses it on the pay page.
  const consoleUrl = new URL(console.url()).pathname;
  await console.fill('[data-testid=coupon-drop] input[name=min_yuan]', '30');
  await console.fill('[data-testid=coupon-drop] input[name=total]', '50');
  await console.click('[data-testid=coupon-drop-submit]');
  await console.waitForSelector('[data-role=console-coupons] li');
  await console
    .locator('[data-testid=coupon-drop]')
    .screenshot({ path: out('live-coupon-drop-tablet') });
  process.stdout.write(`wrote ${out('live-coupon-drop-tablet')}\n`);
  const couponBuyer = await phoneContext(browser, values.base!);
  const couponRoom = await couponBuyer.newPage();
  // 陈晓, who has not bought in this room yet (周明 reached the per-buyer limit above).
  await signIn(couponRoom, '13800000001', consoleUrl.replace('/studio/live/', '/live/'));
  // The coupon just dropped is the last one (an earlier run of this script may have left more).
  await couponRoom.locator('[data-testid=room-coupons] [data-testid=coupon-claim]').last().click();
  await couponRoom.waitForSelector('[data-role=answer].ok');
  await couponRoom.waitForTimeout(800); // the room's count, pushed within half a second
  await couponRoom.screenshot({ path: out('live-coupon-phone'), fullPage: false });
  process.stdout.write(`wrote ${out('live-coupon-phone')}\n`);
  await couponRoom.click('[data-testid=live-buy]'); // one jar at the live price, over ¥30
  // 陈晓 has no address in her book yet: she gives it on the sheet, then the pay link shows.
  const sheet = couponRoom.locator('[data-testid=address-sheet]');
  await sheet.waitFor();
  await sheet.locator('input[name=recipient]').fill('陈晓');
  await sheet.locator('input[name=phone]').fill('13800000001');
  await sheet.locator('select[name=province]').selectOption('山西省');
  await sheet.locator('select[name=city]').selectOption('长治市');
  await sheet.locator('select[name=county]').selectOption('平顺县');
  await sheet.locator('input[name=detail]').fill('青羊镇 西沟村 12 号');
  await couponRoom.click('[data-testid=address-save]');
  await couponRoom.waitForSelector('[data-role=answer] a');
  await couponRoom.click('[data-role=answer] a');
  await couponRoom.waitForSelector('[data-testid=coupon-picker]');
  await couponRoom.locator('[data-testid=coupon-use]').first().click();
  await couponRoom.waitForSelector('[data-testid=pay-discount]');
  await couponRoom.screenshot({ path: out('pay-coupon-phone'), fullPage: true });
  process.stdout.write(`wrote ${out('pay-coupon-phone')}\n`);
  await couponBuyer.close();
  // A lucky bag: one jar for one winner who comments 福袋; 陈晓 enters from the phone, the
  // console draws at once, and the phone shows the win and the public record.
  const bagForm = console.locator('[data-testid=giveaway-start]');
  await bagForm.locator('input[name=winners]').fill('1');
  await bagForm.locator('input[name=entry][value=keyword]').check();
  await bagForm.locator('input[name=keyword]').fill('福袋');
  await bagForm.locator('input[name=duration_s]').fill('300');
  await console.click('[data-testid=giveaway-start-submit]');
  await console.waitForSelector('[data-testid=console-giveaways] [data-testid=giveaway]');
  const bagBuyer = await phoneContext(browser, values.base!);
  const bagRoom = await bagBuyer.newPage();
  await signIn(bagRoom, '13800000001', consoleUrl.replace('/studio/live/', '/live/'));
  const bagCard = bagRoom.locator('[data-testid=room-giveaways] [data-testid=giveaway]').first();
  await bagCard.locator('[data-testid=giveaway-keyword]').click();
  await bagRoom.waitForSelector('[data-role=answer].ok');
  await bagRoom.waitForTimeout(800); // the count, pushed within half a second
  await bagRoom.screenshot({ path: out('live-giveaway-phone'), fullPage: false });
  process.stdout.write(`wrote ${out('live-giveaway-phone')}\n`);
  await console.locator('[data-testid=giveaway-draw-now]').first().click();
  await bagRoom.waitForSelector('[data-testid=giveaway-won]');
  await bagCard.scrollIntoViewIfNeeded();
  await bagRoom.screenshot({ path: out('live-giveaway-won-phone'), fullPage: false });
  process.stdout.write(`wrote ${out('live-giveaway-won-phone')}\n`);
  await console.waitForSelector('[data-testid=console-giveaways] [data-testid=giveaway-winners]');
  await console
    .locator('[data-testid=giveaway-start]')
    .screenshot({ path: out('live-giveaway-start-tablet') });
  process.stdout.write(`wrote ${out('live-giveaway-start-tablet')}\n`);
  await bagCard.locator('[data-testid=giveaway-record]').click();
  await bagRoom.waitForSelector('[data-testid=record-verified]');
  await bagRoom.screenshot({ path: out('giveaway-record-phone'), fullPage: true });
  process.stdout.write(`wrote ${out('giveaway-record-phone')}\n`);
  // Last week's session as a shoppable replay, found from the shop page; the first chapter.
  await bagRoom.goto('/s/xigou-pepper');
  await bagRoom.click('[data-testid=shop-replay]');
  await bagRoom.waitForSelector('[data-testid=replay-chapters]');
  await bagRoom.locator('[data-testid=chapter-seek]').first().click();
  await bagRoom.waitForTimeout(1500);
  await bagRoom.screenshot({ path: out('replay-phone'), fullPage: true });
  process.stdout.write(`wrote ${out('replay-phone')}\n`);
  await bagBuyer.close();

  // A rehearsal of the millet session: its streamer switches on 200 simulated buyers.
  const millet = await tablet.newPage();
  await signIn(millet, '13900000002', '/studio/live');
  await millet.locator('a[href^="/studio/live/"]', { hasText: '虹梯关新小米' }).first().click();
  await millet.click('[data-testid=rehearsal-open], [data-testid=rehearsal-back]');
  await millet.waitForSelector('[data-testid=rehearsal-banner]');
  await millet.locator('button[data-testid^=pin-]').first().click();
  await millet.waitForSelector('[data-testid=crowd-form]');
  await millet.click('[data-testid=crowd-start]');
  await millet.waitForTimeout(8000); // the crowd's comments and buys, and a dashboard refresh
  await millet.screenshot({ path: out('rehearsal-console-tablet'), fullPage: true });
  process.stdout.write(`wrote ${out('rehearsal-console-tablet')}\n`);
  const streamerPhone = await phoneContext(browser, values.base!);
  const rehearsalRoom = await streamerPhone.newPage();
  await signIn(
    rehearsalRoom,
    '13900000002',
    new URL(millet.url()).pathname.replace('/studio/live/', '/live/'),
  );
  await rehearsalRoom.waitForSelector('[data-testid=room-rehearsal]');
  await rehearsalRoom.waitForTimeout(3000);
  await rehearsalRoom.screenshot({ path: out('rehearsal-room-phone'), fullPage: false });
  process.stdout.write(`wrote ${out('rehearsal-room-phone')}\n`);
  await streamerPhone.close();
  await millet.click('[data-testid=rehearsal-end]');
  await millet.waitForSelector('[data-testid=rehearsal-open]');
  await millet.close();

  // Scheduling a session: the live price in 元; a price typed wrong comes back beside its field.
  await console.goto('/studio/live');
  await console.fill('input[name=title_zh]', '腊八节 花椒小米专场');
  await console.fill('input[name=scheduled_at]', '2026-12-27T20:00');
  await console.selectOption('select[name=sku_code_0]', { index: 1 });
  await console.fill('input[name=live_price_yuan_0]', '29.8.0');
  await console.fill('input[name=allotment_0]', '200');
  await console.click('form[action="/studio/live"] button[type=submit]');
  await console.waitForSelector('.field-error');
  await console.screenshot({ path: out('live-schedule-tablet'), fullPage: true });
  process.stdout.write(`wrote ${out('live-schedule-tablet')}\n`);
  // Corrected, it is scheduled: its console counts down to the start.
  await console.fill('input[name=live_price_yuan_0]', '29.80');
  await console.click('form[action="/studio/live"] button[type=submit]');
  await console.waitForURL(/\/studio\/live\/[0-9a-f]{24}$/);
  await console.waitForSelector('[data-testid=starts-in]:not(:empty)');
  await console.screenshot({ path: out('live-console-scheduled-tablet'), fullPage: false });
  process.stdout.write(`wrote ${out('live-console-scheduled-tablet')}\n`);
  // On air, then ended: the ended room offers what it sold at the shop's price.
  const endedRoom = console.url().replace('/studio/live/', '/live/');
  await console.click('[data-testid=go-live]');
  await console.waitForSelector('[data-action="live:end"]');
  await console.click('[data-action="live:end"]');
  await console.waitForSelector('[data-testid=go-live], [data-action="live:end"]', {
    state: 'detached',
  });
  const ended = await (await phoneContext(browser, values.base!)).newPage();
  await ended.goto(endedRoom);
  await ended.waitForSelector('[data-testid=ended-offers]');
  await ended.screenshot({ path: out('live-ended-phone'), fullPage: false });
  process.stdout.write(`wrote ${out('live-ended-phone')}\n`);
  await ended.context().close();
  await tablet.close();

  // The county's dashboard: the admin sees every part, on a tablet (the whole page) and on a
  // phone (the "now" numbers: today, the rooms on air, the funnel); hub staff the logistics
  // half. Each shot waits for one refresh of the "now" numbers over the socket.
  const countyShot = async (
    name: string,
    login: string,
    make: typeof tabletContext | typeof phoneContext,
    { nowOnly = false } = {},
  ) => {
    const context = await make(browser, values.base!);
    const county = await context.newPage();
    await signIn(county, login, '/county');
    await county.waitForSelector('[data-role=refreshed]:not(:empty)');
    // On the phone, the page down to the end of the "now" section.
    const now = nowOnly
      ? await county.locator('section[aria-labelledby=county-now]').boundingBox()
      : null;
    await county.screenshot({
      path: out(name),
      fullPage: true,
      ...(now ? { clip: { x: 0, y: 0, width: 390, height: now.y + now.height + 16 } } : {}),
    });
    process.stdout.write(`wrote ${out(name)}\n`);
    await context.close();
  };
  await countyShot('county-tablet', '13700000000', tabletContext);
  await countyShot('county-phone', '13700000000', phoneContext, { nowOnly: true });
  await countyShot('county-logistics-tablet', '13600000001', tabletContext);

  // The hub on its tablet: the overview, a pick wave, a parcel being packed by scanning.
  // (Start the server with HUB_CONSOLIDATION_WINDOW_S=3 so the paid order is routed at once.)
  const hubTablet = await tabletContext(browser, values.base!);
  const hub = await hubTablet.newPage();
  await signIn(hub, '13600000001', '/hub');
  for (let i = 0; i < 30 && !(await hub.locator('[data-testid^=start-wave-]').count()); i++) {
    await hub.waitForTimeout(1000);
    await hub.reload();
  }
  await hub.screenshot({ path: out('hub-tablet'), fullPage: false });
  process.stdout.write(`wrote ${out('hub-tablet')}\n`);
  // The receiving form: each checkbox and radio beside its own words.
  await hub
    .locator('form:has([data-testid=receive])')
    .screenshot({ path: out('hub-receive-tablet') });
  process.stdout.write(`wrote ${out('hub-receive-tablet')}\n`);
  await hub.locator('[data-testid^=start-wave-]').first().click();
  await hub.waitForURL(/\/hub\/waves\//);
  const firstBarcode = (await hub
    .locator('.pick-list tbody tr small.muted')
    .first()
    .textContent())!;
  await hub.fill('[data-testid=pick-scan] input', firstBarcode.trim());
  await hub.press('[data-testid=pick-scan] input', 'Enter');
  await hub.waitForSelector('[data-role=answer].ok');
  await hub.screenshot({ path: out('hub-wave-tablet'), fullPage: true });
  process.stdout.write(`wrote ${out('hub-wave-tablet')}\n`);
  await hub.click('[data-testid=parcel-link]');
  await hub.fill('[data-testid=pack-scan] input', '0000000000000');
  await hub.press('[data-testid=pack-scan] input', 'Enter');
  await hub.waitForSelector('[data-role=answer].error');
  await hub.screenshot({ path: out('hub-pack-tablet'), fullPage: true });
  process.stdout.write(`wrote ${out('hub-pack-tablet')}\n`);
  // 完成打包 pressed before everything is packed: the parcel's own screen, with the reason.
  await hub.fill('[data-testid=weight]', '480');
  await hub.click('[data-testid=finish-packing]');
  await hub.waitForSelector('[data-testid=flash]');
  await hub.screenshot({ path: out('hub-refused-tablet'), fullPage: false });
  process.stdout.write(`wrote ${out('hub-refused-tablet')}\n`);
  // An error inside the hub leads back into the hub, not to the storefront.
  await hub.goto('/hub/waves/W-NO-SUCH');
  await hub.screenshot({ path: out('hub-error-tablet'), fullPage: false });
  process.stdout.write(`wrote ${out('hub-error-tablet')}\n`);
  await hubTablet.close();
} finally {
  await browser.close();
}
