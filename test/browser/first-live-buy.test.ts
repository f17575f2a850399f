// A buyer who has never ordered wins units in a live room at once: the order holds them, the
// room asks for the address on the same page, and the buyer pays. Issue #12, "Buy first,
// address right there".
import { expect } from 'chai';
import { UserModel } from '../../server/accounts/user.model.ts';
import { ShopModel } from '../../server/catalogue/shop.model.ts';
import { LiveSessionModel } from '../../server/live/live-session.model.ts';
import { OrderModel } from '../../server/orders/order.model.ts';
import { BUYER_PASSWORD, createBuyers, skuWithStock } from '../support/fixtures.ts';
import { phoneContext, signIn, webAndBrowser } from './browser.ts';

describe('browser: a first live buy, without an address', function () {
  this.timeout(120_000);
  const env = webAndBrowser({ workers: true });

  it('a first-time buyer with no address wins the units with one tap, gives the address in the room, pays; then 扣1 needs nothing more', async () => {
    const sku = await skuWithStock(20, 3880);
    const shop = (await ShopModel.findOne({ slug: 'xigou-pepper' }).lean())!;
    const session = await LiveSessionModel.create({
      shopId: shop._id,
      title: { zh: '第一次来直播间', en: 'First time in a live room' },
      scheduledAt: new Date(),
      status: 'live',
      offers: [
        {
          offerId: 'firsttime',
          skuId: sku._id,
          livePriceFen: 1990,
          allotment: 10,
          perBuyerLimit: 3,
          pinned: true,
        },
      ],
    });
    const sessionId = String(session._id);
    // A buyer who has never ordered: no address anywhere.
    const [login] = await createBuyers(1);
    const user = (await UserModel.findOne({ email: login }).lean())!;
    expect(user.addresses ?? []).to.have.length(0);
    const phone = await phoneContext(env.browser, env.base);
    const room = await phone.newPage();
    await signIn(room, login!, `/live/${sessionId}`, BUYER_PASSWORD);

    await room.click('[data-testid=live-buy]');
    // The units are won at once and held; the sheet slides up on the same page.
    await room.waitForSelector('[data-testid=address-sheet]:not([hidden])');
    expect(await room.locator('[data-role=answer]').textContent()).to.include('已为你留住');
    await room.waitForSelector('[data-role=remaining]:text-is("9")');
    const held = (await OrderModel.findOne({ buyerId: user._id }).lean())!;
    expect(held.status).to.equal('pending_payment');
    expect(held.address ?? null).to.equal(null);

    // A mistyped phone is answered beside the form, which keeps what was typed.
    const sheet = room.locator('[data-testid=address-sheet]');
    await sheet.locator('input[name=recipient]').fill('王小芳');
    await sheet.locator('input[name=phone]').fill('1380013');
    // Picked from China's divisions: each list follows the one before it.
    await sheet.locator('select[name=province]').selectOption('河北省');
    await sheet.locator('select[name=city]').selectOption('石家庄市');
    await sheet.locator('select[name=county]').selectOption('长安区');
    await sheet.locator('input[name=detail]').fill('中山东路 88 号 3 单元 501');
    await room.click('[data-testid=address-save]');
    await room.waitForSelector('[data-role=address-error]:not(:empty)');
    expect(await sheet.locator('input[name=recipient]').inputValue()).to.equal('王小芳');
    await sheet.locator('input[name=phone]').fill('13800138123');
    await room.click('[data-testid=address-save]');
    await room.waitForSelector('[data-testid=live-pay]');
    expect(await sheet.isHidden()).to.equal(true);
    const addressed = (await OrderModel.findOne({ orderNo: held.orderNo }).lean())!;
    expect(addressed.address?.county).to.equal('长安区');

    // Pay, as any order.
    await room.click('[data-testid=live-pay]');
    await room.waitForURL(/\/pay$/);
    expect(await room.locator('[data-testid=pay-amount]').textContent()).to.equal('¥19.90');
    await room.click('[data-testid=pay-alipay]');
    // Paid (the hub may already have routed it by the time the page shows it).
    await room.waitForSelector('[data-testid=order-status]:text-matches("^(已付款|已转仓库)$")', {
      timeout: 15_000,
    });

    // Back in the room, 扣1 goes straight to a pay link: the address is the buyer's default now.
    await room.goto(`/live/${sessionId}`);
    await room.fill('[data-testid=chat-input]', '扣1');
    await room.press('[data-testid=chat-input]', 'Enter');
    await room.waitForSelector('[data-testid=live-pay]');
    expect(await room.locator('[data-testid=address-sheet]').isHidden()).to.equal(true);
    const orders = await OrderModel.find({ buyerId: user._id }).lean();
    expect(orders).to.have.length(2);
    expect(orders.every((o) => o.address?.phone === '13800138123')).to.equal(true);
    await phone.close();
  });
});
