import { expect } from 'chai';
import type { Socket } from 'socket.io-client';
import { UserModel } from '../../server/accounts/user.model.ts';
import { deleteKeysWithPrefix } from '../../server/core/redis.ts';
import { startWebServer, type WebServer } from '../../server/app/web-server.ts';
import { LiveSessionModel } from '../../server/live/live-session.model.ts';
import { ProductModel } from '../../server/catalogue/product.model.ts';
import { SkuModel } from '../../server/catalogue/sku.model.ts';
import { OrderModel } from '../../server/orders/order.model.ts';
import { createBuyers } from '../support/fixtures.ts';
import { DEMO_ADDRESS } from '../support/http-client.ts';
import { ask, buyerSocket, liveSession, type Ack } from '../support/live-room.ts';
import { eventually, inBatches, startWebProcesses } from '../support/processes.ts';
import { getRuntime } from '../support/root-hooks.ts';

describe('live rooms', function () {
  this.timeout(120_000);
  let web: WebServer;
  let base: string;
  const sockets: Socket[] = [];
  const track = <T extends { socket: Socket }>(x: T) => (sockets.push(x.socket), x);

  before(async () => {
    web = await startWebServer(getRuntime(), { port: 0 });
    base = `http://127.0.0.1:${web.port}`;
  });
  after(async () => {
    for (const s of sockets) s.close();
    await web.close();
  });

  it('sells one tap at a time within the allotment and the per-buyer limit, answering each buyer', async () => {
    const { sessionId, offerId } = await liveSession(4, 2);
    const a = track(await buyerSocket(base));
    const b = track(await buyerSocket(base));
    expect((await ask(a.socket, 'live:join', { sessionId })).ok).to.equal(true);

    const first = await ask(a.socket, 'live:buy', {
      sessionId,
      offerId,
      quantity: 2,
      clientKey: 'tap-a-00001',
    });
    expect(first.ok, JSON.stringify(first)).to.equal(true);
    expect((first.data as { totalFen: number }).totalFen).to.equal(5980); // the live price
    const again = await ask(a.socket, 'live:buy', {
      sessionId,
      offerId,
      quantity: 1,
      clientKey: 'tap-a-00002',
    });
    expect(again).to.deep.include({ ok: false, code: 'errors.buyerLimit' });
    expect(again.message).to.match(/超过每人限购/);

    // A retry with the same key after a lost answer is the same order.
    const retried = await ask(a.socket, 'live:buy', {
      sessionId,
      offerId,
      quantity: 2,
      clientKey: 'tap-a-00001',
    });
    expect((retried.data as { orderNo: string }).orderNo).to.equal(
      (first.data as { orderNo: string }).orderNo,
    );

    expect(
      (
        await ask(b.socket, 'live:buy', {
          sessionId,
          offerId,
          quantity: 2,
          clientKey: 'tap-b-00001',
        })
      ).ok,
    ).to.equal(true);
    // B has had their two: the limit answers first, whatever is left.
    const more = await ask(b.socket, 'live:buy', {
      sessionId,
      offerId,
      quantity: 1,
      clientKey: 'tap-b-00002',
    });
    expect(more).to.deep.include({ ok: false, code: 'errors.buyerLimit' });
    // The four units are gone: a third buyer, within their limit, is told it is sold out.
    const c = track(await buyerSocket(base));
    const late = await ask(c.socket, 'live:buy', {
      sessionId,
      offerId,
      quantity: 1,
      clientKey: 'tap-c-00001',
    });
    expect(late).to.deep.include({ ok: false, code: 'errors.soldOut' });
    expect(await OrderModel.countDocuments({ 'live.offerId': offerId })).to.equal(2);
  });

  it('refuses malformed or forbidden buys with an error ack, reserving nothing', async () => {
    const { sessionId, offerId } = await liveSession(10, 3);
    const a = track(await buyerSocket(base));
    // Not a quantity at all: refused at the door. A real one over the limit of 3: the limit.
    for (const [quantity, code] of [
      [0, 'errors.invalid'],
      [-1, 'errors.invalid'],
      [1.5, 'errors.invalid'],
      ['two', 'errors.invalid'],
      [4, 'errors.buyerLimit'],
    ] as const) {
      const ack = await ask(a.socket, 'live:buy', {
        sessionId,
        offerId,
        quantity,
        clientKey: `bad-${String(quantity).replace('.', '_')}-qty`,
      });
      expect(ack, String(quantity)).to.deep.include({ ok: false, code });
    }
    expect(
      (
        await ask(a.socket, 'live:buy', {
          sessionId,
          offerId: 'zzzzzzzz',
          quantity: 1,
          clientKey: 'unknown-offer',
        })
      ).code,
    ).to.equal('errors.offerNotFound');
    expect((await ask(a.socket, 'live:buy', 'not an object')).code).to.equal('errors.invalid');
    expect(
      (
        await ask(a.socket, 'live:buy', {
          sessionId: '000000000000000000000000',
          offerId,
          quantity: 1,
          clientKey: 'no-session',
        })
      ).code,
    ).to.equal('errors.sessionNotFound');
    // A streamer cannot steer another shop's session; its own streamer ends it.
    const other = track(await buyerSocket(base, '13900000002', 'cunbo2026'));
    expect((await ask(other.socket, 'live:pin', { sessionId, offerId })).code).to.equal(
      'errors.notYourSession',
    );
    const owner = track(await buyerSocket(base, '13900000001', 'cunbo2026'));
    expect((await ask(owner.socket, 'live:end', { sessionId })).ok).to.equal(true);
    const afterEnd = await ask(a.socket, 'live:buy', {
      sessionId,
      offerId,
      quantity: 1,
      clientKey: 'after-end-1',
    });
    // Ending forgets this process's cached session, so the buy reads it ended.
    expect(afterEnd).to.deep.include({ ok: false, code: 'errors.sessionNotLive' });
    expect(await OrderModel.countDocuments({ 'live.offerId': offerId })).to.equal(0);
  });

  it('stops selling when the flash window closes, and keeps chat as text', async () => {
    const { sessionId, offerId } = await liveSession(10, 3);
    const owner = track(await buyerSocket(base, '13900000001', 'cunbo2026'));
    const a = track(await buyerSocket(base));
    expect(
      (await ask(owner.socket, 'live:flash', { sessionId, offerId, durationS: 30 })).ok,
    ).to.equal(true);
    const during = await ask(a.socket, 'live:buy', {
      sessionId,
      offerId,
      quantity: 1,
      clientKey: 'flash-open-1',
    });
    expect(during.ok).to.equal(true);
    expect((await ask(owner.socket, 'live:flash-close', { sessionId, offerId })).ok).to.equal(true);
    const after = await ask(a.socket, 'live:buy', {
      sessionId,
      offerId,
      quantity: 1,
      clientKey: 'flash-shut-1',
    });
    expect(after.ok).to.equal(false);
    expect(after.code).to.equal('errors.offerClosed');
    expect(await OrderModel.countDocuments({ 'live.offerId': offerId })).to.equal(1);

    const said = await ask(a.socket, 'live:chat', {
      sessionId,
      text: '<img src=x onerror=alert(1)>好吃',
    });
    expect(said.ok).to.equal(true);
    const page = await a.client.get<string>(`/live/${sessionId}`);
    expect(page.body).to.include('&lt;img src&#x3D;x onerror&#x3D;alert(1)&gt;好吃');
    expect(page.body).to.not.include('<img src=x');
  });

  it('the HTTP fallback buys once per client key, like the socket', async () => {
    const { sessionId, offerId } = await liveSession(10, 3);
    const a = track(await buyerSocket(base));
    const buy = { offerId, quantity: 2, clientKey: 'http-fallback-1' };
    const first = await a.client.post<{ orderNo: string }>(`/api/live/${sessionId}/buy`, buy);
    const again = await a.client.post<{ orderNo: string }>(`/api/live/${sessionId}/buy`, buy);
    expect(first.status).to.equal(201);
    expect(again.status).to.equal(201);
    expect(again.body.orderNo).to.equal(first.body.orderNo);
    expect(await OrderModel.countDocuments({ 'live.offerId': offerId })).to.equal(1);
    const tooMany = await a.client.post<{ error: { code: string } }>(`/api/live/${sessionId}/buy`, {
      offerId,
      quantity: 2,
      clientKey: 'http-fallback-2',
    });
    expect(tooMany.status).to.equal(400);
    expect(tooMany.body.error.code).to.equal('errors.buyerLimit');
  });

  it("signing out closes that browser's sockets: a console left open cannot act for the person", async () => {
    const { sessionId, offerId } = await liveSession(10, 3);
    const owner = track(await buyerSocket(base, '13900000001', 'cunbo2026'));
    const closed = new Promise<string>((resolve) => owner.socket.once('disconnect', resolve));
    expect((await owner.client.postForm('/signout', {})).status).to.equal(303);
    expect(await closed).to.equal('io server disconnect');
    expect(owner.socket.connected).to.equal(false);
    // Nothing it sends now reaches the session.
    owner.socket.emit('live:pin', { sessionId, offerId });
    const session = (await LiveSessionModel.findById(sessionId).lean())!;
    expect(session.offers[0]!.pinned).to.equal(true); // as created, untouched
  });

  it('limits flooding per socket', async () => {
    const { sessionId } = await liveSession(10);
    const a = track(await buyerSocket(base));
    const acks = await Promise.all(
      Array.from({ length: 14 }, () => ask(a.socket, 'live:join', { sessionId })),
    );
    expect(acks.filter((x) => x.code === 'errors.tooManyRequests').length).to.be.at.least(1);
  });

  it('answers an emit that carries only its acknowledgement, refusing the missing input', async () => {
    const a = track(await buyerSocket(base));
    const answer = (await a.socket.timeout(5000).emitWithAck('live:buy')) as Ack;
    expect(answer.ok).to.equal(false);
    expect(answer.code).to.equal('errors.invalid');
    expect(answer.message).to.be.a('string').and.not.equal('');
  });

  it('limits flooding per person, across their sockets', async () => {
    const { sessionId } = await liveSession(10);
    const [login] = await createBuyers(1);
    const sockets = [
      track(await buyerSocket(base, login)),
      track(await buyerSocket(base, login)),
      track(await buyerSocket(base, login)),
    ];
    // Eight joins per socket stay under each socket's limit of ten; 24 are over the person's 20.
    const acks = await Promise.all(
      sockets.flatMap((s) =>
        Array.from({ length: 8 }, () => ask(s.socket, 'live:join', { sessionId })),
      ),
    );
    expect(acks.filter((x) => x.code === 'errors.tooManyRequests')).to.have.length(4);
  });

  it('a buyer with no address wins the units; the order asks for the address before it can be paid', async () => {
    const { sessionId, offerId } = await liveSession(10);
    const first = track(await buyerSocket(base, undefined, undefined, { withAddress: false }));
    const won = await ask(first.socket, 'live:buy', {
      sessionId,
      offerId,
      quantity: 2,
      clientKey: 'first-time-0001',
    });
    expect(won.ok, JSON.stringify(won)).to.equal(true);
    const { orderNo, needsAddress } = won.data as { orderNo: string; needsAddress: boolean };
    expect(needsAddress).to.equal(true);
    expect((await OrderModel.findOne({ orderNo }).lean())!.address ?? null).to.equal(null);

    // Not payable yet: the pay page sends the buyer to the order, which asks for the address.
    const pay = await first.client.get(`/orders/${orderNo}/pay`);
    expect(pay.status).to.equal(303);
    expect(pay.headers.get('location')).to.equal(`/orders/${orderNo}`);
    const page = await first.client.get<string>(`/orders/${orderNo}`);
    expect(page.body).to.include('data-testid="order-address"');

    // A bad address is refused field by field, and changes nothing.
    const bad = await first.client.post<{ error: { code: string; fields: { field: string }[] } }>(
      `/api/orders/${orderNo}/address`,
      { address: { ...DEMO_ADDRESS, phone: '12345', recipient: ' ' } },
    );
    expect(bad.status).to.equal(400);
    expect(bad.body.error.fields.map((f) => f.field).sort()).to.deep.equal(['phone', 'recipient']);
    // A control character is refused before any field is looked at.
    const nul = await first.client.post<{ error: { fields: { field: string }[] } }>(
      `/api/orders/${orderNo}/address`,
      { address: { ...DEMO_ADDRESS, recipient: '陈\u0000晓' } },
    );
    expect(nul.status).to.equal(400);
    expect(nul.body.error.fields.map((f) => f.field)).to.deep.equal(['address.recipient']);
    expect((await OrderModel.findOne({ orderNo }).lean())!.address ?? null).to.equal(null);
    // Nobody else can give it an address.
    const stranger = track(await buyerSocket(base));
    const theirs = await stranger.client.post(`/api/orders/${orderNo}/address`, {
      address: DEMO_ADDRESS,
    });
    expect(theirs.status).to.equal(404);

    const saved = await first.client.post<{ orderNo: string }>(`/api/orders/${orderNo}/address`, {
      address: DEMO_ADDRESS,
    });
    expect(saved.status).to.equal(200);
    expect((await OrderModel.findOne({ orderNo }).lean())!.address?.phone).to.equal(
      DEMO_ADDRESS.phone,
    );
    expect((await first.client.get(`/orders/${orderNo}/pay`)).status).to.equal(200);
    // The address is the buyer's default now: the next buy needs nothing more.
    const again = await ask(first.socket, 'live:buy', {
      sessionId,
      offerId,
      quantity: 1,
      clientKey: 'first-time-0002',
    });
    expect((again.data as { needsAddress: boolean }).needsAddress).to.equal(false);
  });

  it('never lets the allotment go below what is already sold', async () => {
    const { sessionId, offerId } = await liveSession(5, 3);
    const buyer = track(await buyerSocket(base));
    const bought = await ask(buyer.socket, 'live:buy', {
      sessionId,
      offerId,
      quantity: 3,
      clientKey: 'allot-buy-1',
    });
    expect(bought.ok, JSON.stringify(bought)).to.equal(true);
    const streamer = track(await buyerSocket(base, '13900000001', 'cunbo2026'));
    const lower = await ask(streamer.socket, 'live:allotment', {
      sessionId,
      offerId,
      allotment: 2,
    });
    expect(lower).to.deep.include({ ok: false, code: 'errors.allotmentBelowSold' });
    const exact = await ask(streamer.socket, 'live:allotment', {
      sessionId,
      offerId,
      allotment: 3,
    });
    expect(exact.ok, JSON.stringify(exact)).to.equal(true);
    // Another buyer, well within their own limit, finds nothing left.
    const other = track(await buyerSocket(base));
    expect(
      await ask(other.socket, 'live:buy', {
        sessionId,
        offerId,
        quantity: 1,
        clientKey: 'allot-buy-2',
      }),
    ).to.deep.include({ ok: false, code: 'errors.soldOut' });
    expect(
      (await ask(streamer.socket, 'live:allotment', { sessionId, offerId, allotment: 8 })).ok,
    ).to.equal(true);
    const dash = (await ask(streamer.socket, 'live:dashboard', { sessionId })).data as {
      offers: { sold: number; remaining: number; allotment: number }[];
    };
    expect(dash.offers[0]).to.deep.include({ sold: 3, remaining: 5, allotment: 8 });
  });

  it('offers a released unit to the first buyer on the waitlist, with a hold', async () => {
    const { sessionId, offerId } = await liveSession(1, 1);
    const first = track(await buyerSocket(base));
    const waiting = track(await buyerSocket(base));
    const stranger = track(await buyerSocket(base));
    const bought = await ask(first.socket, 'live:buy', {
      sessionId,
      offerId,
      quantity: 1,
      clientKey: 'wait-first-1',
    });
    expect(bought.ok).to.equal(true);
    expect(
      (
        await ask(waiting.socket, 'live:buy', {
          sessionId,
          offerId,
          quantity: 1,
          clientKey: 'wait-second1',
        })
      ).code,
    ).to.equal('errors.soldOut');
    const joined = await ask(waiting.socket, 'live:waitlist', { sessionId, offerId });
    expect(joined.data).to.deep.equal({ position: 1 });

    const offered = new Promise<{ quantity: number }>((resolve) =>
      waiting.socket.once('live:waitlist-offer', resolve),
    );
    const orderNo = (bought.data as { orderNo: string }).orderNo;
    expect((await first.client.post(`/api/orders/${orderNo}/cancel`, {})).status).to.equal(200);
    expect((await offered).quantity).to.equal(1);

    // The held unit is theirs: a stranger cannot take it, the waitlisted buyer can.
    expect(
      (
        await ask(stranger.socket, 'live:buy', {
          sessionId,
          offerId,
          quantity: 1,
          clientKey: 'wait-strang1',
        })
      ).code,
    ).to.equal('errors.soldOut');
    expect(
      (
        await ask(waiting.socket, 'live:buy', {
          sessionId,
          offerId,
          quantity: 1,
          clientKey: 'wait-second2',
        })
      ).ok,
    ).to.equal(true);
  });

  it('turns 要3斤 into whole packs and says so; a weight on a product without one is answered', async () => {
    const { sessionId, offerId, sku } = await liveSession(20, 10);
    await SkuModel.updateOne({ _id: sku._id }, { $set: { 'spec.zh': '特级 250g' } });
    const a = track(await buyerSocket(base));
    await ask(a.socket, 'live:join', { sessionId });
    const asked = await ask(a.socket, 'live:chat', { sessionId, text: '要3斤' });
    const data = asked.data as { order: { quantity: number }; note: string };
    expect(data.order.quantity).to.equal(6);
    expect(data.note).to.equal('要3斤 = 6 件 × 特级 250g（按整件向上取整）。');
    // Over the per-buyer limit (10): the refusal says what the weight meant.
    const tooMuch = await ask(a.socket, 'live:chat', { sessionId, text: '要3公斤' });
    expect((tooMuch.data as { orderError: { message: string } }).orderError.message).to.match(
      /^要3公斤 = 12 件 × 特级 250g.*限购/,
    );
    await SkuModel.updateOne({ _id: sku._id }, { $set: { 'spec.zh': '礼盒 6 瓶' } });
    const noWeight = await ask(a.socket, 'live:chat', { sessionId, text: '要3斤' });
    const answer = noWeight.data as { order: unknown; note: string };
    expect(answer.order).to.equal(null);
    expect(answer.note).to.match(/按件卖.*扣1/);
    const orders = await OrderModel.find({ 'live.offerId': offerId }).lean();
    expect(orders.map((o) => o.lines[0]!.quantity)).to.deep.equal([6]);
  });

  it('an ended room says so and offers what it sold at the shop price', async () => {
    const { sessionId, sku } = await liveSession(5, 2);
    await LiveSessionModel.updateOne({ _id: sessionId }, { $set: { status: 'ended' } });
    const page = await (await fetch(`${base}/live/${sessionId}`)).text();
    expect(page).to.include('本场直播已结束');
    expect(page).not.to.include('主播正在准备画面');
    const product = (await ProductModel.findById(sku.productId).lean())!;
    expect(page).to.match(
      new RegExp(
        `href="/p/${product.slug}"[^>]*>按店铺价购买 ¥${(sku.priceFen / 100).toFixed(2)}<`,
      ),
    );
  });

  it('turns 扣1 in the chat into an order for a signed-in buyer, and leaves plain chat alone', async () => {
    const { sessionId, offerId } = await liveSession(5, 2);
    const a = track(await buyerSocket(base));
    await ask(a.socket, 'live:join', { sessionId });
    const plain = await ask(a.socket, 'live:chat', { sessionId, text: '主播好！' });
    expect((plain.data as { order: unknown }).order).to.equal(null);
    const ordered = await ask(a.socket, 'live:chat', { sessionId, text: '扣1' });
    expect((ordered.data as { order: { quantity: number } }).order.quantity).to.equal(1);
    const tooMany = await ask(a.socket, 'live:chat', { sessionId, text: '买3' });
    expect((tooMany.data as { orderError: { code: string } }).orderError.code).to.equal(
      'errors.buyerLimit',
    );
    const orders = await OrderModel.find({ 'live.offerId': offerId }).lean();
    expect(orders.map((o) => o.channel)).to.deep.equal(['comment']);

    // A muted buyer's messages are refused.
    const streamer = track(await buyerSocket(base, '13900000001', 'cunbo2026'));
    const me = (await UserModel.findOne({ email: a.email }).lean())!;
    expect(
      (await ask(streamer.socket, 'live:mute', { sessionId, userId: String(me._id) })).ok,
    ).to.equal(true);
    expect((await ask(a.socket, 'live:chat', { sessionId, text: '在吗' })).code).to.equal(
      'errors.muted',
    );
    // Even if Redis loses everything it had about the room.
    await deleteKeysWithPrefix(getRuntime().redis, getRuntime().keys.key('live', sessionId));
    expect((await ask(a.socket, 'live:chat', { sessionId, text: '还在吗' })).code).to.equal(
      'errors.muted',
    );
    expect((await ask(a.socket, 'live:chat', { sessionId, text: 'x'.repeat(121) })).code).to.equal(
      'errors.invalid',
    );
  });

  describe('across two web processes', () => {
    let bases: string[] = [];
    let stop = async () => {};
    before(async () => {
      ({ bases, stop } = await startWebProcesses(2));
    });
    after(() => stop());

    it('a buyer on process A sees the count change caused by a buy on process B', async () => {
      const { sessionId, offerId } = await liveSession(20, 3);
      const watcher = track(await buyerSocket(bases[0]!));
      const joined = (await ask(watcher.socket, 'live:join', { sessionId })).data as {
        offers: { remaining: number }[];
      };
      expect(joined.offers[0]!.remaining).to.equal(20);
      // Updates are coalesced; collect them until both the count and the purchase have arrived.
      const feed: { quantity: number }[] = [];
      const seen = new Promise<{ offers: { remaining: number }[] }>((resolve) =>
        watcher.socket.on(
          'live:state',
          (s: { offers: { remaining: number }[]; feed: { quantity: number }[] }) => {
            feed.push(...s.feed);
            if (s.offers[0]!.remaining === 17 && feed.length > 0) resolve(s);
          },
        ),
      );
      const buyer = track(await buyerSocket(bases[1]!));
      expect(
        (
          await ask(buyer.socket, 'live:buy', {
            sessionId,
            offerId,
            quantity: 3,
            clientKey: 'cross-proc-1',
          })
        ).ok,
      ).to.equal(true);
      const state = await seen;
      expect(state.offers[0]!.remaining).to.equal(17);
      expect(feed[0]!.quantity).to.equal(3);
      await eventually(
        async () => (await OrderModel.countDocuments({ 'live.offerId': offerId })) === 1,
      );
    });

    it('answers /readyz 200 on both processes, sampled every 250 ms, through a rush', async () => {
      const { sessionId, offerId } = await liveSession(60, 1);
      const buyers = await inBatches(
        8,
        Array.from({ length: 160 }, (_, i) => () => buyerSocket(bases[i % 2]!)),
      );
      buyers.forEach(track);
      const samples: number[] = [];
      let sampling = true;
      const sampler = (async () => {
        while (sampling) {
          const answers = await Promise.all(
            bases.map((b) =>
              fetch(`${b}/readyz`, { signal: AbortSignal.timeout(5000) }).then(
                (r) => r.status,
                () => 0,
              ),
            ),
          );
          samples.push(...answers);
          await new Promise((r) => setTimeout(r, 250));
        }
      })();
      const answers = await Promise.all(
        buyers.map((b, i) =>
          ask(b.socket, 'live:buy', {
            sessionId,
            offerId,
            quantity: 1,
            clientKey: `ready-${i}-xx`,
          }),
        ),
      );
      await new Promise((r) => setTimeout(r, 500)); // and the writes just after the answers
      sampling = false;
      await sampler;
      expect(answers.filter((a) => a.ok)).to.have.length(60);
      expect(samples.length).to.be.at.least(4);
      expect(
        samples.filter((s) => s !== 200),
        `readiness answers: ${samples.join(',')}`,
      ).to.deep.equal([]);
    });
  });
});
