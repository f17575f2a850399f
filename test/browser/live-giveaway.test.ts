// A lucky bag from start to winners, the way the people see it (issue #15, "Done when"): the
// streamer starts one from the console on a tablet; two buyers on phones enter, one by tapping
// 参与 and one by sending the keyword; the streamer draws; the winner sees it in the room and
// finds a ¥0 order sent to the warehouse without payment, the loser is told so, and the public
// record draws the same winners again.
import { expect } from 'chai';
import { UserModel } from '../../server/accounts/user.model.ts';
import { OrderModel } from '../../server/orders/order.model.ts';
import { GiveawayModel } from '../../server/promotions/giveaway.model.ts';
import { BUYER_PASSWORD, createBuyers } from '../support/fixtures.ts';
import { liveSession } from '../support/live-room.ts';
import { DEMO_ADDRESS } from '../support/http-client.ts';
import { phoneContext, signIn, tabletContext, webAndBrowser } from './browser.ts';

describe('browser: a lucky bag, streamer and buyers side by side', function () {
  this.timeout(120_000);
  const env = webAndBrowser({ workers: true });

  it('the streamer starts a lucky bag; buyers enter by tap and by keyword; the draw gives the winner a ¥0 order', async () => {
    // A pepper session on air with one pinned offer (20 jars, ten of them live).
    const { sessionId, offerId } = await liveSession(10, 5, 20);

    // 申小花's console: one jar free for one winner, enter by commenting 福袋 or tapping.
    const streamer = await tabletContext(env.browser, env.base);
    const console = await streamer.newPage();
    await signIn(console, '13900000001', `/studio/live/${sessionId}`);
    const form = console.locator('[data-testid=giveaway-start]');
    await form.locator('select[name=offerId]').selectOption(offerId);
    await form.locator('input[name=winners]').fill('1');
    await form.locator('input[name=entry][value=keyword]').check();
    await form.locator('input[name=keyword]').fill('福袋');
    await form.locator('input[name=duration_s]').fill('600');
    await console.click('[data-testid=giveaway-start-submit]');
    await console.waitForSelector('[data-role=answer].ok');
    expect(await console.locator('[data-role=answer]').textContent()).to.equal(
      '福袋已发出，10:00 后开奖。',
    );
    await console.waitForSelector('[data-testid=console-giveaways] [data-testid=giveaway]');

    // Two buyers with addresses, each on a phone; both send the keyword (one types it).
    const logins = await createBuyers(2);
    await UserModel.updateMany({ email: { $in: logins } }, { $set: { addresses: [DEMO_ADDRESS] } });
    const phones = [];
    for (const login of logins) {
      const phone = await phoneContext(env.browser, env.base);
      const room = await phone.newPage();
      await signIn(room, login, `/live/${sessionId}`, BUYER_PASSWORD);
      await room.waitForSelector('[data-testid=room-giveaways] [data-testid=giveaway]');
      phones.push({ phone, room });
    }
    const [first, second] = phones as [(typeof phones)[0], (typeof phones)[0]];
    const card = (page: typeof first.room) =>
      page.locator('[data-testid=room-giveaways] [data-testid=giveaway]');
    expect(await card(first.room).locator('h3').textContent()).to.contain('1 份（免费送）');
    expect(await card(first.room).textContent()).to.contain('发送口令「福袋」参与');
    await card(first.room).locator('[data-testid=giveaway-keyword]').click();
    await first.room.waitForSelector('[data-role=answer].ok');
    expect(await first.room.locator('[data-role=answer]').textContent()).to.equal(
      '口令正确，已参与福袋！',
    );
    await second.room.fill('[data-testid=chat-input]', '福袋');
    await second.room.press('[data-testid=chat-input]', 'Enter');
    await second.room.waitForSelector('[data-role=answer].ok');
    // The keyword again counts once: the count everyone sees stays at 2.
    await second.room.fill('[data-testid=chat-input]', '福 袋');
    await second.room.press('[data-testid=chat-input]', 'Enter');
    await console.waitForSelector(
      '[data-testid=console-giveaways] [data-testid=giveaway-entries]:has-text("2 人参与")',
    );

    // 立即开奖: one winner, shown with a masked name in every room.
    await console.click('[data-testid=giveaway-draw-now]');
    await console.waitForSelector('[data-testid=console-giveaways] [data-testid=giveaway-winners]');
    const stored = (await GiveawayModel.findOne({ sessionId }).lean())!;
    const winner = stored.results!.find((r) => r.outcome === 'won')!;
    const winnerEmail = (await UserModel.findById(winner.buyerId).lean())!.email;
    const won = winnerEmail === logins[0] ? first : second;
    const lost = won === first ? second : first;
    await won.room.waitForSelector('[data-testid=giveaway-won]');
    expect(await won.room.locator('[data-testid=giveaway-won]').textContent()).to.contain(
      '恭喜你中奖了！',
    );
    expect(await lost.room.locator('[data-testid=giveaway-winners] li').textContent()).to.match(
      /^买\*+ /,
    );
    expect(await card(lost.room).textContent()).to.contain('很遗憾，这次没有中奖。');

    // The winner's ¥0 order: paid without payment, on its way to the warehouse.
    await won.room.waitForSelector('[data-testid=giveaway-order]');
    await won.room.click('[data-testid=giveaway-order]');
    await won.room.waitForURL('**/orders/CB*');
    const orderNo = won.room.url().split('/orders/')[1]!;
    const order = (await OrderModel.findOne({ orderNo }).lean())!;
    expect(order).to.include({ channel: 'giveaway', totalFen: 0 });
    expect(['paid', 'routed']).to.include(order.status);
    const body = await won.room.locator('main').textContent();
    expect(body).to.contain('福袋中奖，奖品免费，无需付款');
    expect(await won.room.locator('[data-testid=pay]').count()).to.equal(0);

    // The public record: the seed, the hash, and the same winner drawn again.
    await lost.room.click('[data-testid=giveaway-record]');
    await lost.room.waitForSelector('[data-testid=record-verified]');
    expect(await lost.room.locator('[data-testid=record-seed]').textContent()).to.equal(
      stored.seed,
    );
    for (const { phone } of phones) await phone.close();
    await streamer.close();
  });
});
