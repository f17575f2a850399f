// A buyer who has never ordered wins units in a live room at once: the order holds them, the
// room asks for the address on the same page, and the buyer pays. Someone with no account signs
// up right there, without leaving the room. Issue #12, "Buy first, address right there".
import { expect } from 'chai';
import { UserModel } from '../../server/accounts/user.model.ts';
import { ShopModel } from '../../server/catalogue/shop.model.ts';
import { LiveSessionModel } from '../../server/live/live-session.model.ts';
import { OrderModel } from '../../server/orders/order.model.ts';
import { BUYER_PASSWORD, createBuyers, skuWithStock } from '../support/fixtures.ts';
import type { Page } from 'playwright-core';
import { phoneContext, signIn, webAndBrowser } from './browser.ts';

/** A live session of the demo pepper shop with one pinned offer of a fresh SKU. */
async function liveSession(offerId: string, stock = 20): Promise<{ id: string; skuId: string }> {
  const sku = await skuWithStock(stock, 3880);
  const shop = (await ShopModel.findOne({ slug: 'xigou-pepper' }).lean())!;
  const session = await LiveSessionModel.create({
    shopId: shop._id,
    title: { zh: '第一次来直播间', en: 'First time in a live room' },
    scheduledAt: new Date(),
    status: 'live',
    offers: [
      {
        offerId,
        skuId: sku._id,
        livePriceFen: 1990,
        allotment: 10,
        perBuyerLimit: 3,
        pinned: true,
      },
    ],
  });
  return { id: String(session._id), skuId: String(sku._id) };
}

/** A phone number no test has used: 139 and eight random digits. */
function freshPhone(): string {
  return `139${String(Math.floor(Math.random() * 1e8)).padStart(8, '0')}`;
}

/** Fills the room's address sheet with a Shijiazhuang address and saves it. */
async function giveAddress(room: Page, recipient: string, phone: string) {
  const sheet = room.locator('[data-testid=address-sheet]');
  await sheet.locator('input[name=recipient]').fill(recipient);
  await sheet.locator('input[name=phone]').fill(phone);
  await sheet.locator('select[name=province]').selectOption('河北省');
  await sheet.locator('select[name=city]').selectOption('石家庄市');
  await sheet.locator('select[name=county]').selectOption('长安区');
  await sheet.locator('input[name=detail]').fill('中山东路 88 号 3 单元 501');
  await room.click('[data-testid=address-save]');
}

/** Pays the order on the test payment page and waits until the order shows as paid. */
async function payOnPage(room: Page, amount: string) {
  await room.click('[data-testid=live-pay]');
  await room.waitForURL(/\/pay$/);
  expect(await room.locator('[data-testid=pay-amount]').textContent()).to.equal(amount);
  await room.click('[data-testid=pay-alipay]');
  // Paid (the hub may already have routed it by the time the page shows it).
  await room.waitForSelector('[data-testid=order-status]:text-matches("^(已付款|已转仓库)$")', {
    timeout: 15_000,
  });
}

describe('browser: a first live buy, without an address', function () {
  this.timeout(120_000);
  const env = webAndBrowser({ workers: true });

  it('a first-time buyer with no address wins the units with one tap, gives the address in the room, pays; then 扣1 needs nothing more', async () => {
    const { id: sessionId } = await liveSession('firsttime');
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
    await payOnPage(room, '¥19.90');

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

  it('a visitor with no account taps 立即抢, signs up in the room, and the buy goes on: units held, address sheet, paid', async () => {
    const { id: sessionId } = await liveSession('newcomer1');
    const phone = await phoneContext(env.browser, env.base);
    const room = await phone.newPage();
    await room.goto(`/live/${sessionId}`);
    await room.click('[data-testid=live-buy]');
    // The sign-up sheet slides up on the same page, not a trip to another one.
    const auth = room.locator('[data-testid=auth-sheet]');
    await auth.waitFor({ state: 'visible' });
    expect(new URL(room.url()).pathname).to.equal(`/live/${sessionId}`);
    const login = freshPhone();
    await auth.locator('input[name=login]').fill(login);
    await auth.locator('input[name=displayName]').fill('李大姐');
    await auth.locator('input[name=password]').fill('pepper-2026');
    await room.click('[data-testid=auth-submit]');
    // Signed up, the socket reconnects as the new buyer, and the tapped buy is placed.
    await room.waitForSelector('[data-testid=address-sheet]:not([hidden])');
    expect(await auth.isHidden()).to.equal(true);
    expect(await room.locator('[data-role=answer]').textContent()).to.include('已为你留住');
    const user = (await UserModel.findOne({ phone: login }).lean())!;
    expect(user.displayName).to.equal('李大姐');
    const held = (await OrderModel.findOne({ buyerId: user._id }).lean())!;
    expect(held.status).to.equal('pending_payment');
    expect(held.channel).to.equal('live');

    await giveAddress(room, '李大姐', '13700137000');
    await room.waitForSelector('[data-testid=live-pay]');
    // Where it goes is shown with the phone masked, and can still be changed.
    expect(await room.locator('[data-testid=live-ship-to]').textContent()).to.include(
      '137****7000',
    );
    await payOnPage(room, '¥19.90');
    expect(
      (await OrderModel.findOne({ orderNo: held.orderNo }).lean())!.address?.recipient,
    ).to.equal('李大姐');
    await phone.close();
  });

  it('a visitor comments 扣1, is told beside the field what to fix, signs up, and the comment places the order', async () => {
    const { id: sessionId } = await liveSession('kou1newbie');
    const phone = await phoneContext(env.browser, env.base);
    const room = await phone.newPage();
    await room.goto(`/live/${sessionId}`);
    await room.fill('[data-testid=chat-input]', '扣1');
    await room.press('[data-testid=chat-input]', 'Enter');
    const auth = room.locator('[data-testid=auth-sheet]');
    await auth.waitFor({ state: 'visible' });
    const login = freshPhone();
    await auth.locator('input[name=login]').fill(login);
    await auth.locator('input[name=displayName]').fill('赵师傅');
    await auth.locator('input[name=password]').fill('short');
    await room.click('[data-testid=auth-submit]');
    // Too short a password: the reason sits beside that field; nothing was made.
    await room.waitForSelector('[data-field=password]:not(:empty)');
    expect(await auth.locator('[data-field=password]').textContent()).to.include('8');
    expect(await UserModel.exists({ phone: login })).to.equal(null);
    await auth.locator('input[name=password]').fill('pepper-2026');
    await room.click('[data-testid=auth-submit]');
    await room.waitForSelector('[data-testid=address-sheet]:not([hidden])');
    // The comment itself was sent after the sign-up: it shows in the chat under the new name.
    await room.waitForSelector('[data-role=chat] li:has-text("扣1")');
    await giveAddress(room, '赵师傅', '13600136000');
    await payOnPage(room, '¥19.90');
    const user = (await UserModel.findOne({ phone: login }).lean())!;
    const orders = await OrderModel.find({ buyerId: user._id }).lean();
    expect(orders.map((o) => o.channel)).to.deep.equal(['comment']);
    await phone.close();
  });

  it('a buyer with an address book sends a won order to another saved address, from the room', async () => {
    const { id: sessionId } = await liveSession('twohomes');
    const [login] = await createBuyers(1);
    const user = (await UserModel.findOne({ email: login }).lean())!;
    const home = {
      recipient: '周建国',
      phone: '13912345678',
      province: '山西省',
      city: '长治市',
      county: '平顺县',
      township: '',
      village: '',
      detail: '青羊镇 1 号',
    };
    const work = { ...home, city: '太原市', county: '小店区', detail: '长风街 9 号' };
    await UserModel.updateOne({ _id: user._id }, { $set: { addresses: [home, work] } });
    const phone = await phoneContext(env.browser, env.base);
    const room = await phone.newPage();
    await signIn(room, login!, `/live/${sessionId}`, BUYER_PASSWORD);
    await room.click('[data-testid=live-buy]');
    // The default address is used at once; where it goes is said, with a way to change it.
    await room.waitForSelector('[data-testid=live-pay]');
    expect(await room.locator('[data-testid=live-ship-to]').textContent()).to.include(
      '周建国 139****5678 山西省长治市平顺县',
    );
    await room.click('[data-testid=live-change-address]');
    const sheet = room.locator('[data-testid=address-sheet]');
    await sheet.waitFor({ state: 'visible' });
    // The book is offered: one tap fills the fields, the lists included.
    await sheet.locator('input[name=saved_address][value="1"]').check();
    expect(await sheet.locator('select[name=county]').inputValue()).to.equal('小店区');
    await room.click('[data-testid=address-save]');
    await room.waitForSelector('[data-testid=live-ship-to]:has-text("太原市小店区")');
    const order = (await OrderModel.findOne({ buyerId: user._id }).lean())!;
    expect(order.address?.detail).to.equal('长风街 9 号');
    await phone.close();
  });
});
