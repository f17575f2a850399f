// Rehearsals (issue #15): a scheduled session rehearsed with a simulated crowd. The console's
// numbers move, the waitlist and the flash window work, and real stock, orders and the ledger
// stay exactly as they were, in MongoDB and in Redis; ending it leaves nothing behind.
import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import type { Actor } from '../../server/accounts/actor.ts';
import { ShopModel } from '../../server/catalogue/shop.model.ts';
import { Conflict, NotFound } from '../../server/core/errors.ts';
import { parseInput } from '../../server/core/validation.ts';
import { LiveSessionModel } from '../../server/live/live-session.model.ts';
import { OrderModel } from '../../server/orders/order.model.ts';
import { dropCouponInput } from '../../server/promotions/coupon-terms.ts';
import { StockMovementModel } from '../../server/stock/stock-movement.model.ts';
import { expectRejected } from '../support/expect-rejected.ts';
import { skuWithStock } from '../support/fixtures.ts';
import { eventually } from '../support/processes.ts';
import { getRuntime } from '../support/root-hooks.ts';
import { inProcessWeb } from '../support/web-scene.ts';

const admin: Actor = { id: '64b000000000000000000001', role: 'admin', displayName: '县电商中心' };
const stranger: Actor = { id: '64b0000000000000000000ff', role: 'buyer', displayName: '路人' };

describe('rehearsals (彩排) with simulated buyers', () => {
  const scene = inProcessWeb({ workers: true });
  const services = () => scene.web.services;

  async function scheduledSession() {
    const sku = await skuWithStock(40, 3880);
    const shop = (await ShopModel.findOne({ slug: 'xigou-pepper' }).lean())!;
    const session = await LiveSessionModel.create({
      shopId: shop._id,
      title: { zh: '彩排测试', en: 'Rehearsal test' },
      scheduledAt: new Date(Date.now() + 3600_000),
      offers: [
        {
          offerId: randomBytes(4).toString('hex'),
          skuId: sku._id,
          livePriceFen: 2990,
          allotment: 30,
          perBuyerLimit: 2,
        },
      ],
    });
    return { sessionId: String(session._id), offerId: session.offers[0]!.offerId, sku };
  }

  /** Every Redis key of a session's id, whatever its prefix. */
  async function keysOf(id: string): Promise<string[]> {
    const { redis } = getRuntime();
    const found: string[] = [];
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `*${id}*`, 'COUNT', 1000);
      found.push(...keys);
      cursor = next;
    } while (cursor !== '0');
    return found;
  }

  it('moves the console while real stock, orders and the ledger stay untouched, then leaves nothing', async function () {
    this.timeout(120_000);
    const live = services().live;
    const { sessionId, offerId, sku } = await scheduledSession();
    const skuId = String(sku._id);
    const { redis } = getRuntime();
    const counterKey = services().stock.counterKey(skuId);
    await services().stock.available([skuId]);
    const before = {
      orders: await OrderModel.countDocuments({}),
      movements: await StockMovementModel.countDocuments({ skuId: sku._id }),
      counter: await redis.hmget(counterKey, 'available', 'epoch'),
      session: JSON.stringify(await LiveSessionModel.findById(sessionId).lean()),
    };

    const { rehearsalId } = await live.openRehearsal(admin, { sessionId });
    // Opening again finds the same rehearsal.
    expect((await live.openRehearsal(admin, { sessionId })).rehearsalId).to.equal(rehearsalId);
    await live.pin(admin, { sessionId: rehearsalId, offerId }, true);

    // Nobody outside the shop sees it, or buys or chats in it; it is listed nowhere.
    await expectRejected(live.roomState(rehearsalId, 'zh-CN', stranger), NotFound);
    await expectRejected(
      live.buy(stranger, { sessionId: rehearsalId, offerId, quantity: 1, clientKey: 'stranger-1' }),
      NotFound,
    );
    await expectRejected(live.chat(stranger, { sessionId: rehearsalId, text: '扣1' }), NotFound);
    expect((await live.listForHome('zh-CN')).map((s) => s.id)).to.not.include(rehearsalId);
    expect((await live.onAirRooms()).map((r) => r.sessionId)).to.not.include(rehearsalId);
    // No money in a rehearsal: coupons are refused.
    await expectRejected(
      live.dropCoupons(
        admin,
        parseInput(dropCouponInput, {
          sessionId: rehearsalId,
          kind: 'amount',
          off_yuan: '5',
          min_yuan: '50',
          total: '10',
          hours_after: '1',
        }),
      ),
      Conflict,
      'errors.notInRehearsal',
    );

    // The shop's own buy is a rehearsal order, marked as such.
    const own = await live.buy(admin, {
      sessionId: rehearsalId,
      offerId,
      quantity: 1,
      clientKey: 'own-rehearsal-buy',
    });
    expect(own).to.include({ rehearsal: true });
    expect(own.orderNo).to.match(/^RH/);

    // 200 simulated viewers, ten comments a second (half 扣1), twenty buys a second.
    await live.startCrowd(admin, {
      sessionId: rehearsalId,
      viewers: 200,
      commentsPerMinute: 600,
      kouShare: 50,
      buysPerMinute: 1200,
    });
    await eventually(async () => {
      const d = await live.dashboard(admin, rehearsalId);
      return d.orders >= 10 && d.viewers >= 190 && d.offers[0]!.sold >= 10;
    }, 30_000);
    const chat = await live.recentChat(rehearsalId);
    expect(chat.some((m) => m.name.startsWith('彩排观众'))).to.equal(true);
    // The allotment runs out: the crowd is refused as buyers would be, never oversold.
    await eventually(
      async () => (await live.dashboard(admin, rehearsalId)).offers[0]!.remaining === 0,
      30_000,
    );
    const sold = (await live.dashboard(admin, rehearsalId)).offers[0]!;
    expect(sold.sold).to.be.at.most(30);
    await live.stopCrowd(admin, { sessionId: rehearsalId });

    // Real stock, orders, the ledger and the real session: exactly as before.
    expect(await OrderModel.countDocuments({})).to.equal(before.orders);
    expect(await OrderModel.countDocuments({ 'live.sessionId': rehearsalId })).to.equal(0);
    expect(await StockMovementModel.countDocuments({ skuId: sku._id })).to.equal(before.movements);
    expect(await redis.hmget(counterKey, 'available', 'epoch')).to.deep.equal(before.counter);
    expect(JSON.stringify(await LiveSessionModel.findById(sessionId).lean())).to.equal(
      before.session,
    );

    // Ending it discards the session and every key it made.
    expect(await keysOf(rehearsalId)).to.not.have.length(0);
    expect(await live.end(admin, { sessionId: rehearsalId })).to.deep.include({ discarded: true });
    expect(await LiveSessionModel.findById(rehearsalId).lean()).to.equal(null);
    expect(await keysOf(rehearsalId)).to.deep.equal([]);
    expect((await LiveSessionModel.findById(sessionId).lean())!.status).to.equal('scheduled');
  });

  it('refuses to rehearse a session on air, and going on air ends the rehearsal', async () => {
    const live = services().live;
    const { sessionId } = await scheduledSession();
    const { rehearsalId } = await live.openRehearsal(admin, { sessionId });
    await expectRejected(
      live.goLive(admin, { sessionId: rehearsalId }),
      Conflict,
      'errors.rehearsalNotOnAir',
    );
    await live.goLive(admin, { sessionId });
    expect(await LiveSessionModel.findById(rehearsalId).lean()).to.equal(null);
    await expectRejected(
      live.openRehearsal(admin, { sessionId }),
      Conflict,
      'errors.rehearseScheduledOnly',
    );
  });
});
