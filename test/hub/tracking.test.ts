// After the courier signs the manifest, its scans move the parcel and the buyer's orders along:
// collected ships them, delivered delivers them, and the buyer watches it happen on the order page.
// Forged, stale, malformed or replayed events change nothing.
import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { io as connect, type Socket } from 'socket.io-client';
import type { Types } from 'mongoose';
import { UserModel } from '../../server/accounts/user.model.ts';
import { ProductModel } from '../../server/catalogue/product.model.ts';
import { SkuModel } from '../../server/catalogue/sku.model.ts';
import { startWebServer, type WebServer } from '../../server/app/web-server.ts';
import type { TrackingKind } from '../../server/hub/couriers/courier-adapter.ts';
import {
  courierSecretFor,
  hasValidCheckDigit,
  signCourierEvents,
} from '../../server/hub/couriers/local-courier.ts';
import { HubModel } from '../../server/hub/hub.model.ts';
import { ParcelModel } from '../../server/hub/parcel.model.ts';
import { TrackingEventModel } from '../../server/hub/tracking-event.model.ts';
import { newOrderNo } from '../../server/orders/order-numbers.ts';
import { OrderModel } from '../../server/orders/order.model.ts';
import { ORDER_EXPIRY_QUEUE } from '../../server/orders/order-writer.ts';
import { BUYER_PASSWORD, createBuyers, ensureDemoCounty } from '../support/fixtures.ts';
import { Client, DEMO_ADDRESS } from '../support/http-client.ts';
import { eventually } from '../support/processes.ts';
import { getRuntime } from '../support/root-hooks.ts';
import { launchBrowser, phoneContext, signIn } from '../browser/browser.ts';

const HOUR = 3600 * 1000;
const COURIER = 'chinapost';

interface Summary {
  applied: number;
  duplicates: number;
  rejected: { eventId: string; waybillNo: string; reason: string }[];
}
interface ErrorBody {
  error: {
    code: string;
    message: string;
    fields?: { field: string; code: string; message: string }[];
  };
}

const event = (waybillNo: string, kind: TrackingKind, at: Date, extra: object = {}) => ({
  eventId: `ev-${randomBytes(6).toString('hex')}`,
  waybillNo,
  kind,
  at: at.toISOString(),
  location: '长治市平顺县揽投部',
  ...extra,
});

describe('hub: courier tracking', function () {
  this.timeout(60_000);
  let web: WebServer;
  let base: string;
  let buyer: { id: Types.ObjectId; email: string };
  const sockets: Socket[] = [];

  const secretFor = (courier: string) =>
    courierSecretFor(getRuntime().services.courierEventsSecret, courier);

  /** What a courier's system does: POST the events, signed, and read the JSON answer. */
  async function post<T = Summary>(
    courier: string,
    body: unknown,
    opts: { t?: number; signature?: string | null; secret?: string } = {},
  ): Promise<{ status: number; body: T }> {
    const raw = typeof body === 'string' ? body : JSON.stringify(body);
    const t = opts.t ?? Math.floor(Date.now() / 1000);
    const signature =
      opts.signature === undefined
        ? signCourierEvents(opts.secret ?? secretFor(courier), raw, t)
        : opts.signature;
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (signature !== null) headers['x-courier-signature'] = signature;
    const res = await fetch(`${base}/couriers/${courier}/events`, {
      method: 'POST',
      headers,
      body: raw,
    });
    expect(res.headers.get('content-type')).to.match(/json/);
    return { status: res.status, body: (await res.json()) as T };
  }

  /** A parcel the courier signed for at the hub, holding `count` packed orders of our buyer. */
  async function handedOverParcel({ count = 2, handedOverAt = new Date() } = {}) {
    const hub = (await HubModel.findOne().lean())!;
    const product = (await ProductModel.findOne({ slug: 'dahongpao-sichuan-pepper' }).lean())!;
    const sku = (await SkuModel.findOne({ productId: product._id }).lean())!;
    const parcelNo = `PT-${randomBytes(5).toString('hex').toUpperCase()}`;
    const orderNos: string[] = [];
    for (let i = 0; i < count; i++) {
      const orderNo = newOrderNo();
      await OrderModel.create({
        orderNo,
        idempotencyKey: `${String(buyer.id)}:tracking-${orderNo}`,
        buyerId: buyer.id,
        shopId: product.shopId,
        channel: 'storefront',
        lines: [
          {
            skuId: sku._id,
            skuCode: sku.code,
            productId: product._id,
            productSlug: product.slug,
            title: product.title,
            spec: sku.spec,
            unitPriceFen: sku.priceFen,
            quantity: 1,
            lineTotalFen: sku.priceFen,
            weightGrams: sku.weightGrams,
            stockEpoch: 'test',
          },
        ],
        itemsTotalFen: sku.priceFen,
        shippingFen: 0,
        totalFen: sku.priceFen,
        address: DEMO_ADDRESS,
        status: 'packed',
        payBy: new Date(),
        parcelNo,
        timeline: [
          { at: new Date(), from: 'picking', to: 'packed', actor: 'hub:test', reason: 'packed' },
        ],
      });
      orderNos.push(orderNo);
    }
    const waybillNo = await web.services.courierAdapters.adapterFor(COURIER).issueWaybill({
      parcelNo,
      courierCode: COURIER,
      weightGrams: 1200,
      address: DEMO_ADDRESS,
    });
    await ParcelModel.create({
      parcelNo,
      hubId: hub._id,
      buyerId: buyer.id,
      addressKey: `test:${parcelNo}`,
      address: DEMO_ADDRESS,
      orderNos,
      status: 'handed_over',
      openUntil: new Date(),
      courierCode: COURIER,
      waybillNo,
      handedOverAt,
    });
    return { parcelNo, orderNos, waybillNo };
  }

  const parcel = async (parcelNo: string) => (await ParcelModel.findOne({ parcelNo }).lean())!;
  const statuses = async (orderNos: string[]) =>
    (await OrderModel.find({ orderNo: { $in: orderNos } }).lean()).map((o) => o.status);

  before(async () => {
    await ensureDemoCounty();
    web = await startWebServer(getRuntime(), { port: 0 });
    base = `http://127.0.0.1:${web.port}`;
    const [email] = await createBuyers(1);
    const user = (await UserModel.findOne({ email }).lean())!;
    buyer = { id: user._id, email: email! };
  });
  after(async () => {
    for (const socket of sockets) socket.disconnect();
    await web?.close();
  });

  it('issues courier-looking waybill numbers, once per parcel, never twice even after Redis forgets', async () => {
    const adapter = web.services.courierAdapters.adapterFor('zto');
    const request = (parcelNo: string) => ({
      parcelNo,
      courierCode: 'zto',
      weightGrams: 800,
      address: DEMO_ADDRESS,
    });
    const first = await adapter.issueWaybill(request('PT-WAYBILL-1'));
    expect(first).to.match(/^ZT\d{12}$/);
    expect(first.length).to.be.at.most(16);
    expect(hasValidCheckDigit(first)).to.equal(true);
    // A retried routing job gets the same number back.
    expect(await adapter.issueWaybill(request('PT-WAYBILL-1'))).to.equal(first);

    const second = await adapter.issueWaybill(request('PT-WAYBILL-2'));
    expect(second).to.not.equal(first);
    // Redis loses the counter: numbers carry on after the last one on record.
    const runtime = getRuntime();
    await runtime.redis.del(runtime.keys.key('courier-waybill-seq', 'zto'));
    const third = await adapter.issueWaybill(request('PT-WAYBILL-3'));
    expect([first, second]).to.not.include(third);
    expect(hasValidCheckDigit(third)).to.equal(true);

    // Two retries at once agree on one number; once it is voided, the parcel gets a new one.
    const [a, b] = await Promise.all([
      adapter.issueWaybill(request('PT-WAYBILL-4')),
      adapter.issueWaybill(request('PT-WAYBILL-4')),
    ]);
    expect(a).to.equal(b);
    await adapter.voidWaybill('zto', a);
    const fresh = await adapter.issueWaybill(request('PT-WAYBILL-4'));
    expect(fresh).to.not.equal(a);
    expect(await adapter.issueWaybill(request('PT-WAYBILL-4'))).to.equal(fresh);
  });

  it("ships both orders on the courier's first scan, and the buyer sees it without reloading", async () => {
    const client = new Client(base);
    await client.signIn(buyer.email, BUYER_PASSWORD);
    const socket = connect(base, {
      transports: ['websocket'],
      extraHeaders: { cookie: client.cookieHeader() },
      reconnection: false,
    });
    sockets.push(socket);
    const pushed: { orderNo: string; status: string }[] = [];
    socket.on('order:changed', (order: { orderNo: string; status: string }) => pushed.push(order));
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('connect_error', reject);
    });

    const { parcelNo, orderNos, waybillNo } = await handedOverParcel();
    const before = await client.get<string>(`/orders/${orderNos[0]}`);
    expect(before.status).to.equal(200);
    // Handed over, not yet scanned: the waybill is there, waiting for pickup.
    expect(before.body).to.include(waybillNo).and.include('包裹已交给快递，等待揽收。');
    expect(before.body).to.not.include('已揽收</strong>');

    const collectedAt = new Date(Date.now() - 10 * 60 * 1000);
    const collected = event(waybillNo, 'collected', collectedAt, { location: '平顺县揽投部' });
    const reply = await post(COURIER, { events: [collected] });
    expect(reply.status).to.equal(200);
    expect(reply.body).to.deep.equal({ applied: 1, duplicates: 0, rejected: [] });

    expect(await statuses(orderNos)).to.deep.equal(['shipped', 'shipped']);
    const order = (await OrderModel.findOne({ orderNo: orderNos[0] }).lean())!;
    expect(order.timeline.at(-1)).to.include({
      from: 'packed',
      to: 'shipped',
      actor: 'system:courier:chinapost',
    });
    const moved = await parcel(parcelNo);
    expect(moved.status).to.equal('in_transit');
    expect(moved.firstScanAt?.getTime()).to.equal(collectedAt.getTime());
    expect(moved.tracking.map((t) => t.kind)).to.deep.equal(['collected']);

    await eventually(async () =>
      orderNos.every((no) => pushed.some((o) => o.orderNo === no && o.status === 'shipped')),
    );
    const tracking = await client.get<{
      tracking: { courierName: string; waybillNo: string; events: { label: string }[] };
    }>(`/api/orders/${orderNos[0]}/tracking`);
    expect(tracking.body.tracking).to.include({ courierName: '中国邮政快递包裹', waybillNo });
    expect(tracking.body.tracking.events.map((e) => e.label)).to.deep.equal(['已揽收']);
    const page = await client.get<string>(`/orders/${orderNos[0]}`);
    expect(page.body).to.include(waybillNo).and.include('已揽收').and.include('平顺县揽投部');
    expect(page.body).to.match(/data-testid="tracking-none" hidden/);
    // Another buyer cannot read it.
    const stranger = new Client(base);
    await stranger.signIn((await createBuyers(1))[0]!, BUYER_PASSWORD);
    expect((await stranger.get(`/api/orders/${orderNos[0]}/tracking`)).status).to.equal(404);

    // The courier sends the same scan again: acknowledged, nothing moves.
    const timelineLength = order.timeline.length;
    const again = await post(COURIER, { events: [collected] });
    expect(again.status).to.equal(200);
    expect(again.body).to.deep.equal({ applied: 0, duplicates: 1, rejected: [] });
    expect((await parcel(parcelNo)).tracking).to.have.length(1);
    const replayed = (await OrderModel.findOne({ orderNo: orderNos[0] }).lean())!;
    expect(replayed.timeline).to.have.length(timelineLength);

    // Across the country to the buyer's door.
    const delivered = await post(COURIER, {
      events: [
        event(waybillNo, 'at_station', new Date(Date.now() - 2 * 60 * 1000), {
          location: '北京朝阳望京营业部',
        }),
        event(waybillNo, 'in_transit', new Date(Date.now() - 5 * 60 * 1000)),
        event(waybillNo, 'delivered', new Date(Date.now() - 60 * 1000), { note: '本人签收' }),
      ],
    });
    expect(delivered.body).to.deep.equal({ applied: 3, duplicates: 0, rejected: [] });
    expect(await statuses(orderNos)).to.deep.equal(['delivered', 'delivered']);
    const done = await parcel(parcelNo);
    expect(done.status).to.equal('delivered');
    expect(done.tracking.map((t) => t.kind)).to.deep.equal([
      'collected',
      'in_transit',
      'at_station',
      'delivered',
    ]);
    const newestFirst = await client.get<{ tracking: { events: { label: string }[] } }>(
      `/api/orders/${orderNos[1]}/tracking`,
    );
    expect(newestFirst.body.tracking.events.map((e) => e.label)).to.deep.equal([
      '已签收',
      '到达派送站',
      '运输中',
      '已揽收',
    ]);
    await eventually(async () =>
      orderNos.every((no) => pushed.some((o) => o.orderNo === no && o.status === 'delivered')),
    );
  });

  it("updates the tracking on the buyer's open order page as scans arrive (Chromium)", async () => {
    const { orderNos, waybillNo } = await handedOverParcel({ count: 1 });
    const browser = await launchBrowser();
    try {
      const page = await (await phoneContext(browser, base)).newPage();
      await signIn(page, buyer.email, `/orders/${orderNos[0]}`, BUYER_PASSWORD);
      await page.waitForSelector('#live-hint:not([hidden])');
      expect(await page.locator('[data-testid=tracking-waybill]').textContent()).to.equal(
        waybillNo,
      );
      expect(await page.locator('[data-testid=tracking-none]').isVisible()).to.equal(true);

      await post(COURIER, {
        events: [event(waybillNo, 'collected', new Date(), { location: '平顺县揽投部' })],
      });
      await page.waitForSelector('[data-testid=order-status]:text-is("已发货")');
      await page.waitForSelector('[data-testid=tracking-events] li:has-text("已揽收")');
      expect(await page.locator('[data-testid=tracking-none]').isVisible()).to.equal(false);

      // A scan that moves no order still shows up.
      await post(COURIER, {
        events: [event(waybillNo, 'at_station', new Date(), { location: '北京朝阳望京营业部' })],
      });
      await page.waitForSelector(
        '[data-testid=tracking-events] li:first-child:has-text("到达派送站")',
      );
      expect(await page.locator('[data-testid=tracking-events] li').count()).to.equal(2);
    } finally {
      await browser.close();
    }
  });

  it('delivers orders whose delivery is the first thing the courier reports, through shipped', async () => {
    const { parcelNo, orderNos, waybillNo } = await handedOverParcel({ count: 1 });
    const reply = await post(COURIER, { events: [event(waybillNo, 'delivered', new Date())] });
    expect(reply.body.applied).to.equal(1);
    const order = (await OrderModel.findOne({ orderNo: orderNos[0] }).lean())!;
    expect(order.status).to.equal('delivered');
    expect(order.timeline.slice(-2).map((t) => t.to)).to.deep.equal(['shipped', 'delivered']);

    // The pickup scan turns up late: it goes in its place in time, the parcel stays delivered.
    const late = await post(COURIER, {
      events: [event(waybillNo, 'collected', new Date(Date.now() - 5 * HOUR))],
    });
    expect(late.body.applied).to.equal(1);
    const after = await parcel(parcelNo);
    expect(after.status).to.equal('delivered');
    expect(after.tracking.map((t) => t.kind)).to.deep.equal(['collected', 'delivered']);
    expect(after.firstScanAt?.getTime()).to.equal(after.tracking[0]!.at.getTime());
  });

  it('records a failed delivery as an exception for the hub', async () => {
    const { parcelNo, orderNos, waybillNo } = await handedOverParcel({ count: 1 });
    await post(COURIER, {
      events: [
        event(waybillNo, 'collected', new Date(Date.now() - HOUR)),
        event(waybillNo, 'failed', new Date(), { note: '电话无人接听，地址不详' }),
      ],
    });
    const failed = await parcel(parcelNo);
    expect(failed.status).to.equal('failed');
    expect(failed.exceptions).to.have.length(1);
    expect(failed.exceptions[0]).to.include({
      code: 'address_unreachable',
      by: 'courier:chinapost',
    });
    expect(failed.exceptions[0]!.note).to.include('电话无人接听');
    expect(await statuses(orderNos)).to.deep.equal(['shipped']);
  });

  it('refuses forged, unsigned, garbled and stale requests, and changes nothing', async () => {
    const { parcelNo, orderNos, waybillNo } = await handedOverParcel({ count: 1 });
    const body = { events: [event(waybillNo, 'collected', new Date())] };

    const forged = await post<ErrorBody>(COURIER, body, { secret: 'not-the-secret' });
    expect(forged.status).to.equal(401);
    expect(forged.body.error.code).to.equal('errors.courierSignatureInvalid');
    // Another courier's secret does not sign for this one.
    const crossed = await post<ErrorBody>(COURIER, body, { secret: secretFor('sf') });
    expect(crossed.status).to.equal(401);

    const unsigned = await post<ErrorBody>(COURIER, body, { signature: null });
    expect(unsigned.status).to.equal(401);
    expect(unsigned.body.error.code).to.equal('errors.courierSignatureMissing');

    for (const garbled of ['v1=abc', 't=now,v1=00', `t=${Math.floor(Date.now() / 1000)}`]) {
      const reply = await post<ErrorBody>(COURIER, body, { signature: garbled });
      expect(reply.status, garbled).to.equal(400);
      expect(reply.body.error.code).to.equal('errors.courierSignatureMalformed');
    }

    const stale = await post<ErrorBody>(COURIER, body, { t: Math.floor(Date.now() / 1000) - 600 });
    expect(stale.status).to.equal(401);
    expect(stale.body.error.code).to.equal('errors.courierSignatureStale');
    expect(stale.body.error.message).to.include('5');

    expect((await parcel(parcelNo)).tracking).to.have.length(0);
    expect(await statuses(orderNos)).to.deep.equal(['packed']);
    expect(await TrackingEventModel.countDocuments({ waybillNo })).to.equal(0);
  });

  it('answers 400 with the reason to malformed, mistyped or oversized bodies', async () => {
    const { parcelNo, waybillNo } = await handedOverParcel({ count: 1 });

    const notJson = await post<ErrorBody>(COURIER, '{"events": [');
    expect(notJson.status).to.equal(400);
    expect(notJson.body.error.code).to.equal('errors.invalidJson');

    const badKind = await post<ErrorBody>(COURIER, {
      events: [{ ...event(waybillNo, 'collected', new Date()), kind: 'teleported' }],
    });
    expect(badKind.status).to.equal(400);
    expect(badKind.body.error.fields).to.deep.equal([
      {
        field: 'events.0.kind',
        code: 'validation.trackingKind',
        message: 'kind 只能是 collected、in_transit、at_station、delivered、failed 之一。',
      },
    ]);

    const badTime = await post<ErrorBody>(COURIER, {
      events: [{ ...event(waybillNo, 'collected', new Date()), at: 'yesterday' }],
    });
    expect(badTime.body.error.fields!.map((f) => f.code)).to.deep.equal(['validation.trackingAt']);

    const tooMany = await post<ErrorBody>(COURIER, {
      events: Array.from({ length: 101 }, () => event(waybillNo, 'in_transit', new Date())),
    });
    expect(tooMany.status).to.equal(400);
    expect(tooMany.body.error.fields!.map((f) => f.code)).to.deep.equal([
      'validation.trackingEvents',
    ]);

    const longNote = await post<ErrorBody>(COURIER, {
      events: [event(waybillNo, 'collected', new Date(), { note: '长'.repeat(201) })],
    });
    expect(longNote.status).to.equal(400);

    const empty = await post<ErrorBody>(COURIER, { events: [] });
    expect(empty.status).to.equal(400);

    const huge = await post<ErrorBody>(COURIER, {
      events: [event(waybillNo, 'collected', new Date())],
      padding: 'x'.repeat(300 * 1024),
    });
    expect(huge.status).to.equal(413);
    expect(huge.body.error.code).to.equal('errors.payloadTooLarge');

    expect((await parcel(parcelNo)).tracking).to.have.length(0);
  });

  it('reports unknown waybills (404 when nothing is known) and unknown couriers', async () => {
    const { parcelNo, waybillNo } = await handedOverParcel({ count: 1 });

    const unknown = await post<ErrorBody>(COURIER, {
      events: [event('CP999999999999', 'collected', new Date())],
    });
    expect(unknown.status).to.equal(404);
    expect(unknown.body.error.code).to.equal('errors.waybillNotFound');
    expect(unknown.body.error.message).to.include('CP999999999999');

    // Right waybill, wrong courier: not theirs either.
    const wrongCourier = await post<ErrorBody>('sf', {
      events: [event(waybillNo, 'collected', new Date())],
    });
    expect(wrongCourier.status).to.equal(404);

    const known = event(waybillNo, 'collected', new Date());
    const stray = event('CP999999999999', 'in_transit', new Date());
    const mixed = await post(COURIER, { events: [known, stray] });
    expect(mixed.status).to.equal(200);
    expect(mixed.body).to.deep.equal({
      applied: 1,
      duplicates: 0,
      rejected: [{ eventId: stray.eventId, waybillNo: stray.waybillNo, reason: 'unknown_waybill' }],
    });
    expect((await parcel(parcelNo)).status).to.equal('in_transit');

    const noSuchCourier = await post<ErrorBody>('pigeon-post', {
      events: [event(waybillNo, 'collected', new Date())],
    });
    expect(noSuchCourier.status).to.equal(404);
    expect(noSuchCourier.body.error.code).to.equal('errors.courierNotFound');
  });

  it('refuses events for a voided waybill', async () => {
    const { parcelNo, orderNos, waybillNo } = await handedOverParcel({ count: 1 });
    await web.services.courierAdapters.adapterFor(COURIER).voidWaybill(COURIER, waybillNo);

    const reply = await post<ErrorBody>(COURIER, {
      events: [event(waybillNo, 'collected', new Date())],
    });
    expect(reply.status).to.equal(409);
    expect(reply.body.error.code).to.equal('errors.waybillVoided');
    expect((await parcel(parcelNo)).tracking).to.have.length(0);
    expect(await statuses(orderNos)).to.deep.equal(['packed']);

    // The hub reprinted a label: the old number (kept on the parcel) is refused too.
    const reprinted = await handedOverParcel({ count: 1 });
    await ParcelModel.updateOne(
      { parcelNo: reprinted.parcelNo },
      { $set: { waybillNo: 'CP-NEW-NUMBER-1' }, $push: { voidedWaybills: reprinted.waybillNo } },
    );
    const old = await post<ErrorBody>(COURIER, {
      events: [event(reprinted.waybillNo, 'collected', new Date())],
    });
    expect(old.status).to.equal(409);
  });

  it('applies each event once when the courier sends it many times at once, and keeps concurrent scans', async () => {
    const { parcelNo, orderNos, waybillNo } = await handedOverParcel();
    const collected = event(waybillNo, 'collected', new Date(Date.now() - 2 * HOUR));
    const replies = await Promise.all(
      Array.from({ length: 6 }, () => post(COURIER, { events: [collected] })),
    );
    expect(replies.map((r) => r.status)).to.deep.equal([200, 200, 200, 200, 200, 200]);
    expect(replies.reduce((n, r) => n + r.body.applied, 0)).to.equal(1);
    expect(replies.reduce((n, r) => n + r.body.duplicates, 0)).to.equal(5);

    // Different scans of the same parcel at the same moment: none is lost.
    const scans = [1, 2, 3, 4].map((i) =>
      event(waybillNo, 'in_transit', new Date(Date.now() - (2 * HOUR - i * 60 * 1000))),
    );
    await Promise.all(scans.map((scan) => post(COURIER, { events: [scan] })));
    const after = await parcel(parcelNo);
    expect(after.tracking).to.have.length(5);
    const times = after.tracking.map((t) => t.at.getTime());
    expect(times).to.deep.equal([...times].sort((a, b) => a - b));
    for (const orderNo of orderNos) {
      const order = (await OrderModel.findOne({ orderNo }).lean())!;
      expect(order.timeline.filter((t) => t.to === 'shipped')).to.have.length(1);
    }
  });

  it('lists parcels handed over more than a day ago that the courier never scanned', async () => {
    const hub = (await HubModel.findOne().lean())!;
    const now = new Date();
    const forgotten = await handedOverParcel({
      count: 1,
      handedOverAt: new Date(now.getTime() - 25 * HOUR),
    });
    const recent = await handedOverParcel({
      count: 1,
      handedOverAt: new Date(now.getTime() - HOUR),
    });
    const scanned = await handedOverParcel({
      count: 1,
      handedOverAt: new Date(now.getTime() - 30 * HOUR),
    });
    await post(COURIER, { events: [event(scanned.waybillNo, 'collected', new Date())] });

    const alerts = await web.services.tracking.parcelsAwaitingFirstScan(hub._id, now);
    const parcelNos = alerts.map((a) => a.parcelNo);
    expect(parcelNos).to.include(forgotten.parcelNo);
    expect(parcelNos).to.not.include(recent.parcelNo);
    expect(parcelNos).to.not.include(scanned.parcelNo);
    expect(alerts.find((a) => a.parcelNo === forgotten.parcelNo)).to.include({
      waybillNo: forgotten.waybillNo,
      courierCode: COURIER,
      hoursWaiting: 25,
    });
  });
});

describe('admin: queue dashboard', function () {
  this.timeout(60_000);
  let web: WebServer;
  let base: string;

  before(async () => {
    await ensureDemoCounty();
    web = await startWebServer(getRuntime(), { port: 0 });
    base = `http://127.0.0.1:${web.port}`;
  });
  after(async () => {
    await web?.close();
  });

  const put = (client: Client, path: string, headers: Record<string, string>) =>
    fetch(`${base}${path}`, {
      method: 'PUT',
      headers: { cookie: client.cookieHeader(), accept: 'application/json', ...headers },
    });

  it('shows every queue to the county admin, and to nobody else', async () => {
    const admin = new Client(base);
    expect((await admin.signIn('13700000000', 'cunbo2026')).status).to.equal(200);
    const page = await admin.get<string>('/admin/queues');
    expect(page.status).to.equal(200);
    expect(page.headers.get('content-type')).to.match(/html/);
    // Its script loads from under the same guarded path.
    expect(page.body).to.include('<base href="/admin/queues/"');
    const script = /<script[^>]+src="([^"]+)"/.exec(page.body)![1]!;
    expect((await admin.get(`/admin/queues/${script}`)).status).to.equal(200);
    expect((await new Client(base).get(`/admin/queues/${script}`)).status).to.equal(303);
    const queues = await admin.get<{ queues: { name: string }[] }>('/admin/queues/api/queues');
    expect(queues.status).to.equal(200);
    expect(queues.body.queues.map((q) => q.name)).to.include.members(
      Object.values(web.services.queues).map((q) => q.name),
    );
    const nav = await admin.get<string>('/orders');
    expect(nav.body).to.include('href="/admin/queues"');

    const buyer = new Client(base);
    expect((await buyer.signIn('13800000001', 'cunbo2026')).status).to.equal(200);
    expect((await buyer.get('/admin/queues')).status).to.equal(403);
    expect((await buyer.get('/admin/queues/api/queues')).status).to.equal(403);
    expect((await buyer.get<string>('/orders')).body).to.not.include('href="/admin/queues"');
    const buyerClean = await put(
      buyer,
      `/admin/queues/api/queues/${ORDER_EXPIRY_QUEUE}/clean/completed`,
      {
        origin: base,
      },
    );
    expect(buyerClean.status).to.equal(403);

    const anonymous = new Client(base);
    const redirected = await anonymous.get('/admin/queues');
    expect(redirected.status).to.equal(303);
    expect(redirected.headers.get('location')).to.match(/^\/signin/);
  });

  it("lets the admin's own page use the dashboard's buttons, but not another site", async () => {
    const admin = new Client(base);
    await admin.signIn('13700000000', 'cunbo2026');
    const path = `/admin/queues/api/queues/${ORDER_EXPIRY_QUEUE}/clean/completed`;
    expect((await put(admin, path, { origin: base })).status).to.equal(200);
    expect((await put(admin, path, { 'sec-fetch-site': 'same-origin' })).status).to.equal(200);
    expect((await put(admin, path, { origin: 'https://evil.example' })).status).to.equal(403);
    expect(
      (await put(admin, path, { 'sec-fetch-site': 'cross-site', origin: base })).status,
    ).to.equal(403);
    expect((await put(admin, path, {})).status).to.equal(403);
  });
});
