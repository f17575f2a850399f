// The hub's daily work at the edges: receiving deliveries (and refusing bad ones), wrong scans,
// short picks refunded to the buyer, an unreachable address, a spoiled label, a cancelled order,
// and the screens staying closed to anyone who is not hub staff of this hub.
import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import type { Actor } from '../../server/accounts/actor.ts';
import { hashPassword } from '../../server/accounts/passwords.ts';
import { UserModel } from '../../server/accounts/user.model.ts';
import { SkuModel } from '../../server/catalogue/sku.model.ts';
import { startWebServer, type WebServer } from '../../server/app/web-server.ts';
import { BatchAllocationModel, BatchModel } from '../../server/hub/batch.model.ts';
import { CourierModel } from '../../server/hub/courier.model.ts';
import { ParcelModel } from '../../server/hub/parcel.model.ts';
import { StockMovementModel } from '../../server/stock/stock-movement.model.ts';
import { OrderModel } from '../../server/orders/order.model.ts';
import { RefundModel } from '../../server/payments/payment.model.ts';
import { createBuyers, ensureDemoCounty } from '../support/fixtures.ts';
import { Client, DEMO_ADDRESS } from '../support/http-client.ts';
import { getRuntime } from '../support/root-hooks.ts';

const HUB_STAFF = '13600000002';
const PASSWORD = 'cunbo2026';

describe('hub screens: receiving, exceptions and bad input', function () {
  this.timeout(90_000);
  let web: WebServer;
  let base: string;
  let staff: Client;

  before(async () => {
    await ensureDemoCounty();
    web = await startWebServer(getRuntime(), { port: 0 });
    base = `http://127.0.0.1:${web.port}`;
    staff = new Client(base);
    expect((await staff.signIn(HUB_STAFF, PASSWORD)).status).to.equal(200);
  });
  after(async () => {
    await web?.close();
  });

  const delivery = (overrides: Record<string, string> = {}) => ({
    barcode: '',
    producer_code: '93140425MA0PS001',
    plot: '西沟村后坡 3 号地',
    processing: 'dried',
    harvest_date: '2026-08-01',
    shelf_life_days: '365',
    quantity: '40',
    bin_code: 'A-01-01',
    qc_result: 'passed',
    qc_note: '农残未检出，水分 9.8%',
    ...overrides,
  });

  /** A paid, routed parcel of one order for a fresh buyer (the worker's steps, run in place). */
  async function routedParcel(
    lines: { code: string; quantity: number }[],
    preferredCourier?: string,
  ) {
    const [email] = await createBuyers(1);
    const user = (await UserModel.findOne({ email }).lean())!;
    const actor: Actor = { id: String(user._id), role: 'buyer', displayName: 'b' };
    const skus = await SkuModel.find({ code: { $in: lines.map((l) => l.code) } }).lean();
    const order = await web.services.orders.placeOrder(actor, {
      idempotencyKey: `screens-${randomBytes(6).toString('hex')}`,
      lines: lines.map((l) => ({
        skuId: String(skus.find((s) => s.code === l.code)!._id),
        quantity: l.quantity,
      })),
      address: { ...DEMO_ADDRESS, detail: `测试路 ${randomBytes(3).toString('hex')} 号` },
      ...(preferredCourier ? { preferredCourier } : {}),
    });
    // Paid through the real webhook; the event is applied here rather than by a worker.
    const { payload, signature } = await web.services.payments.buildLocalPaymentEvent(
      actor,
      order.orderNo,
      'wechat_pay',
    );
    const delivered = await fetch(`${base}/webhooks/stripe`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'stripe-signature': signature },
      body: payload,
    });
    expect(delivered.status).to.equal(200);
    await web.services.payments.applyEvent((JSON.parse(payload) as { id: string }).id);
    await web.services.routing.routeOrder(order.orderNo);
    const { parcelNo } = (await OrderModel.findOne({ orderNo: order.orderNo }).lean())!;
    await web.services.routing.closeParcel(parcelNo!, new Date(Date.now() + 10 * 60_000));
    return { actor, order, parcelNo: parcelNo!, skus };
  }

  async function picking(parcelNo: string) {
    const parcel = (await ParcelModel.findOne({ parcelNo }).lean())!;
    const { pickupCutoff } = (await CourierModel.findOne({ code: parcel.courierCode }).lean())!;
    expect((await staff.postForm('/hub/waves', { cutoff: pickupCutoff })).status).to.equal(303);
    return (await ParcelModel.findOne({ parcelNo }).lean())!;
  }

  describe('receiving', () => {
    it('a passing delivery becomes a batch in its bin and sellable stock', async () => {
      const sku = (await SkuModel.findOne({ code: 'HJ-DHP-TJ-500' }).lean())!;
      const before = (await web.services.stock.available([String(sku._id)])).get(String(sku._id))!;
      const reply = await staff.postForm('/hub/batches', delivery({ barcode: sku.barcode }));
      expect(reply.status).to.equal(303);
      const batchNo = new URL(reply.headers.get('location')!, base).searchParams.get('received')!;
      const batch = (await BatchModel.findOne({ batchNo }).lean())!;
      expect(batch.quantity).to.equal(40);
      expect(batch.binCode).to.equal('A-01-01');
      expect(batch.qc?.result).to.equal('passed');
      expect(await StockMovementModel.countDocuments({ movementId: `batch:${batchNo}` })).to.equal(
        1,
      );
      const after = (await web.services.stock.available([String(sku._id)])).get(String(sku._id));
      expect(after).to.equal(before + 40);
    });

    it('a delivery that failed inspection is recorded but never sellable', async () => {
      const sku = (await SkuModel.findOne({ code: 'HJ-DHP-TJ-500' }).lean())!;
      const before = (await web.services.stock.available([String(sku._id)])).get(String(sku._id))!;
      const reply = await staff.postForm(
        '/hub/batches',
        delivery({ barcode: sku.barcode, qc_result: 'failed', qc_note: '水分 14%，超标' }),
      );
      expect(reply.status).to.equal(303);
      const batchNo = new URL(reply.headers.get('location')!, base).searchParams.get('received')!;
      expect((await BatchModel.findOne({ batchNo }).lean())!.qc?.result).to.equal('failed');
      expect(await StockMovementModel.countDocuments({ movementId: `batch:${batchNo}` })).to.equal(
        0,
      );
      const after = (await web.services.stock.available([String(sku._id)])).get(String(sku._id));
      expect(after).to.equal(before);
    });

    it('refuses an unknown barcode, an unknown bin, a future harvest or a zero quantity, changing nothing', async () => {
      const sku = (await SkuModel.findOne({ code: 'HJ-DHP-TJ-500' }).lean())!;
      const batches = await BatchModel.countDocuments();
      const cases: [Record<string, string>, string][] = [
        [{ barcode: '6900000000001' }, '不是本系统的商品'],
        [{ barcode: sku.barcode, bin_code: 'Z-99-99' }, '库位 Z-99-99 不存在'],
        [{ barcode: sku.barcode, harvest_date: '2099-01-01' }, '采收日期不能晚于今天'],
        [{ barcode: sku.barcode, quantity: '0' }, ''],
        [{ barcode: sku.barcode, producer_code: 'NOBODY-001' }, '生产者 NOBODY-001 未登记'],
        [{ barcode: sku.barcode, processing: 'fermented' }, '加工步骤不在列表中'],
        [{ barcode: sku.barcode, qc_date: '2099-12-31' }, '检测日期不能晚于今天'],
      ];
      for (const [overrides, message] of cases) {
        const reply = await staff.postForm('/hub/batches', delivery(overrides));
        expect(reply.status, JSON.stringify(overrides)).to.equal(400);
        expect(reply.body).to.include(message);
      }
      expect(await BatchModel.countDocuments()).to.equal(batches);
    });
  });

  describe('exceptions while packing', () => {
    it('a short pick refunds the missing unit to the buyer; the rest ships', async () => {
      const { order, parcelNo } = await routedParcel([{ code: 'CHA-HJY-50', quantity: 3 }]);
      const parcel = await picking(parcelNo);
      expect(parcel.status).to.equal('picking');
      const barcode = parcel.lines[0]!.barcode;
      const short = await staff.postForm(`/hub/parcels/${parcelNo}/exceptions`, {
        code: 'short_pick',
        barcode,
        quantity: '1',
        note: '货架上只剩 2 罐',
      });
      expect(short.status).to.equal(303);
      const refunded = (await OrderModel.findOne({ orderNo: order.orderNo }).lean())!;
      expect(refunded.status).to.equal('partially_refunded');
      const refunds = await RefundModel.find({ orderNo: order.orderNo }).lean();
      expect(refunds.reduce((s, r) => s + r.amountFen, 0)).to.equal(2580);
      // The buyer's order page says what was paid, what came back and what they paid in the end,
      // and the timeline says why, in Chinese.
      const buyer = new Client(base);
      const owner = (await UserModel.findById(order.buyerId).lean())!;
      expect((await buyer.signIn(owner.email!, 'buyer-pass-2026')).status).to.equal(200);
      const page = (await buyer.get<string>(`/orders/${order.orderNo}`)).body;
      const moneyBack = /<dl class="money-back"[\s\S]*?<\/dl>/.exec(page)?.[0] ?? '';
      expect(
        moneyBack
          .replace(/<[^>]+>/g, ' ')
          .replace(/\s+/g, ' ')
          .trim(),
      ).to.equal(
        `实付 ¥${(order.totalFen / 100).toFixed(2)} 已退款 −¥25.80 净额 ¥${((order.totalFen - 2580) / 100).toFixed(2)}`,
      );
      expect(page).to.include('缺货少发，已退款 ¥25.80');
      expect(page).not.to.match(/short pick/);

      // Only two can go in the box now; a third scan is refused.
      for (let i = 0; i < 2; i++)
        expect(
          (await staff.post(`/api/hub/parcels/${parcelNo}/pack`, { barcode })).status,
        ).to.equal(200);
      const third = await staff.post<{ error: { code: string } }>(
        `/api/hub/parcels/${parcelNo}/pack`,
        { barcode },
      );
      expect(third.body.error.code).to.equal('errors.alreadyPacked');
      expect(
        (await staff.postForm(`/hub/parcels/${parcelNo}/weight`, { weight_grams: '480' })).status,
      ).to.equal(303);
      expect((await OrderModel.findOne({ orderNo: order.orderNo }).lean())!.status).to.equal(
        'packed',
      );
    });

    it('blocks a wrong item, an unknown barcode and an absurd weight with a message', async () => {
      const { parcelNo } = await routedParcel([{ code: 'XM-QZH-2500', quantity: 1 }]);
      await picking(parcelNo);
      const other = (await SkuModel.findOne({ code: 'HJ-DHP-TJ-250' }).lean())!;
      const wrong = await staff.post<{ error: { code: string; message: string } }>(
        `/api/hub/parcels/${parcelNo}/pack`,
        { barcode: other.barcode },
      );
      expect(wrong.status).to.equal(400);
      expect(wrong.body.error.code).to.equal('errors.wrongItem');
      expect(wrong.body.error.message).to.include(parcelNo);
      const unknown = await staff.post<{ error: { code: string } }>(
        `/api/hub/parcels/${parcelNo}/pack`,
        { barcode: '1234567890123' },
      );
      expect(unknown.body.error.code).to.equal('errors.unknownBarcode');
      for (const weight of ['0', '-5', 'abc', '999999'])
        expect(
          (await staff.postForm(`/hub/parcels/${parcelNo}/weight`, { weight_grams: weight }))
            .status,
          weight,
        ).to.equal(400);
      const parcel = (await ParcelModel.findOne({ parcelNo }).lean())!;
      expect(parcel.lines[0]!.packed).to.equal(0);
      expect(parcel.status).to.equal('picking');
    });

    it('an unreachable address holds the parcel and tells the buyer', async () => {
      const { order, parcelNo } = await routedParcel([{ code: 'XM-QZH-1KG', quantity: 1 }]);
      const reply = await staff.postForm(`/hub/parcels/${parcelNo}/exceptions`, {
        code: 'address_unreachable',
        note: '电话空号，地址查无此楼',
      });
      expect(reply.status).to.equal(303);
      expect((await ParcelModel.findOne({ parcelNo }).lean())!.status).to.equal('held');
      expect((await OrderModel.findOne({ orderNo: order.orderNo }).lean())!.hubNotice).to.equal(
        'address_unreachable',
      );
      const overview = await staff.get<string>('/hub');
      expect(overview.body).to.include(parcelNo);
      // The buyer's order page asks them to check the address.
      const buyer = new Client(base);
      const user = (await UserModel.findById(order.buyerId).lean())!;
      await buyer.signIn(user.email!, 'buyer-pass-2026');
      const page = await buyer.get<string>(`/orders/${order.orderNo}`);
      expect(page.body).to.include('data-testid="hub-notice"').and.include('改正收货地址');

      // The buyer corrects it: a bad phone number changes nothing; a good address resumes.
      const fixed = { ...DEMO_ADDRESS, detail: '望京东路 6 号院 2 号楼 301' };
      const bad = await buyer.postForm(`/orders/${order.orderNo}/address`, {
        ...fixed,
        phone: '12345',
      });
      expect(bad.status).to.equal(400);
      expect((await ParcelModel.findOne({ parcelNo }).lean())!.status).to.equal('held');
      const good = await buyer.postForm(`/orders/${order.orderNo}/address`, fixed);
      expect(good.status).to.equal(303);
      const resumed = (await ParcelModel.findOne({ parcelNo }).lean())!;
      expect(resumed.status).to.equal('routed');
      expect(resumed.address.detail).to.equal(fixed.detail);
      expect(resumed.exceptions.every((e) => e.resolvedAt)).to.equal(true);
      const after = (await OrderModel.findOne({ orderNo: order.orderNo }).lean())!;
      expect(after.address!.detail).to.equal(fixed.detail);
      expect(after.hubNotice).to.equal(undefined);
      // Someone else cannot touch it.
      const stranger = new Client(base);
      const [otherEmail] = await createBuyers(1);
      await stranger.signIn(otherEmail!, 'buyer-pass-2026');
      expect((await stranger.postForm(`/orders/${order.orderNo}/address`, fixed)).status).to.equal(
        404,
      );
    });

    it('voids a spoiled label: the old waybill is void, a new one is issued', async () => {
      const { parcelNo } = await routedParcel([{ code: 'XM-QZH-1KG', quantity: 1 }]);
      const parcel = await picking(parcelNo);
      await staff.post(`/api/hub/parcels/${parcelNo}/pack`, { barcode: parcel.lines[0]!.barcode });
      await staff.postForm(`/hub/parcels/${parcelNo}/weight`, { weight_grams: '1180' });
      const before = (await ParcelModel.findOne({ parcelNo }).lean())!;
      expect((await staff.postForm(`/hub/parcels/${parcelNo}/void`, {})).status).to.equal(303);
      const after = (await ParcelModel.findOne({ parcelNo }).lean())!;
      expect(after.waybillNo).to.not.equal(before.waybillNo);
      expect(after.voidedWaybills).to.include(before.waybillNo);

      // Handed over a day and an hour ago and never scanned by the courier: the screen says so.
      await ParcelModel.updateOne(
        { parcelNo },
        { $set: { status: 'handed_over', handedOverAt: new Date(Date.now() - 25 * 3600_000) } },
      );
      const overview = await staff.get<string>('/hub');
      expect(overview.body).to.include('data-testid="first-scan-alerts"');
      expect(overview.body).to.include(parcelNo);
    });
  });

  it('a damaged unit is written off the ledger and picked again; a double-tapped wave and a held label are refused', async () => {
    // A SKU no other test's parcel holds: the wave may hold other parcels, and a scan counts
    // towards the first parcel that still misses the item.
    const { parcelNo, order } = await routedParcel([{ code: 'GH-HT-1KG', quantity: 2 }]);
    const parcel = await picking(parcelNo);
    const again = await staff.postForm('/hub/waves', {
      cutoff: (await CourierModel.findOne({ code: parcel.courierCode }).lean())!.pickupCutoff,
    });
    expect(again.status, 'the second tap finds nothing left to pick').to.equal(409);
    const waveNo = parcel.waveNo!;
    const barcode = parcel.lines[0]!.barcode;
    await staff.post(`/api/hub/waves/${waveNo}/pick`, { barcode });
    const skuId = String(parcel.lines[0]!.skuId);
    const before = (await web.services.stock.available([skuId])).get(skuId)!;
    const damaged = await staff.postForm(`/hub/parcels/${parcelNo}/exceptions`, {
      code: 'damaged',
      barcode,
      quantity: '1',
      note: '袋子破了',
    });
    expect(damaged.status).to.equal(303);
    expect((await ParcelModel.findOne({ parcelNo }).lean())!.lines[0]!.picked).to.equal(0);
    expect(
      await StockMovementModel.countDocuments({ movementId: { $regex: `^damaged:${parcelNo}:` } }),
    ).to.equal(1);
    expect((await web.services.stock.available([skuId])).get(skuId)).to.equal(before - 1);

    // Held (address unreachable): no label, no handover.
    await staff.postForm(`/hub/parcels/${parcelNo}/exceptions`, {
      code: 'address_unreachable',
      note: '地址不存在',
    });
    const label = await fetch(`${base}/hub/parcels/${parcelNo}/label.pdf`, {
      headers: { cookie: staff.cookieHeader() },
    });
    expect(label.status).to.equal(409);
    expect((await OrderModel.findOne({ orderNo: order.orderNo }).lean())!.hubNotice).to.equal(
      'address_unreachable',
    );
  });

  it('a receiving form sent twice makes one batch; an oversized report is refused', async () => {
    const sku = (await SkuModel.findOne({ code: 'XM-QZH-2500' }).lean())!;
    const receipt = randomBytes(12).toString('hex');
    const first = await staff.postForm(
      '/hub/batches',
      delivery({ barcode: sku.barcode, receipt_id: receipt }),
    );
    const second = await staff.postForm(
      '/hub/batches',
      delivery({ barcode: sku.barcode, receipt_id: receipt }),
    );
    expect(first.headers.get('location')).to.equal(second.headers.get('location'));
    expect(await BatchModel.countDocuments({ receiptId: receipt })).to.equal(1);

    const batches = await BatchModel.countDocuments();
    const form = new FormData();
    for (const [k, v] of Object.entries(delivery({ barcode: sku.barcode }))) form.append(k, v);
    const big = Buffer.alloc(6 * 1024 * 1024, 0x20);
    Buffer.from('%PDF-1.4\n').copy(big);
    form.append('report', new Blob([big], { type: 'application/pdf' }), 'report.pdf');
    const reply = await fetch(`${base}/hub/batches?_csrf=${encodeURIComponent(staff.csrfToken)}`, {
      method: 'POST',
      headers: { cookie: staff.cookieHeader() },
      body: form,
      redirect: 'manual',
    });
    expect(reply.status).to.equal(400);
    expect(await BatchModel.countDocuments()).to.equal(batches);
  });

  it('only the county admin may call the short-pick refund API directly', async () => {
    const reply = await staff.post('/api/orders/CB00000000000000/refund-short-pick', {
      lines: [{ skuCode: 'XM-QZH-1KG', quantity: 1 }],
    });
    expect(reply.status).to.equal(403);
  });

  it("ships with the buyer's courier when it can, and says so on the parcel", async () => {
    const { parcelNo } = await routedParcel([{ code: 'HJ-FEN-100', quantity: 1 }], 'sf');
    const parcel = (await ParcelModel.findOne({ parcelNo }).lean())!;
    expect(parcel.courierCode).to.equal('sf');
    expect(parcel.courierChoice!.reason.rule).to.equal('preferred');
    const page = await staff.get<string>(`/hub/parcels/${parcelNo}`);
    expect(page.body).to.include('按买家选择：顺丰速运');
  });

  it('a cancelled routed order leaves its parcel and gives its batch units back', async () => {
    const { actor, order, parcelNo } = await routedParcel([{ code: 'XM-QZH-1KG', quantity: 2 }]);
    expect(await BatchAllocationModel.countDocuments({ orderNo: order.orderNo })).to.be.above(0);
    await web.services.payments.cancelPaidOrder(actor, order.orderNo);
    expect((await OrderModel.findOne({ orderNo: order.orderNo }).lean())!.status).to.equal(
      'cancelled',
    );
    await web.services.routing.unrouteOrder(order.orderNo);
    expect(await BatchAllocationModel.countDocuments({ orderNo: order.orderNo })).to.equal(0);
    const parcel = (await ParcelModel.findOne({ parcelNo }).lean())!;
    expect(parcel.orderNos).to.not.include(order.orderNo);
    expect(parcel.status).to.equal('cancelled');
  });

  describe('bad requests', () => {
    it('a manifest for a courier with no parcels is a clear error; an unknown courier is 404', async () => {
      const empty = await staff.get<string>('/hub/manifests/kye.csv');
      expect(empty.status).to.equal(400);
      expect(empty.body).to.include('没有待交接的包裹');
      expect((await staff.get('/hub/manifests/nosuch.pdf')).status).to.equal(404);
    });

    it('keeps buyers out, and hub staff of no hub', async () => {
      const [email] = await createBuyers(1);
      const buyer = new Client(base);
      await buyer.signIn(email!, 'buyer-pass-2026');
      expect((await buyer.get('/hub')).status).to.equal(403);
      expect((await buyer.post('/api/hub/waves/W1/pick', { barcode: '1234' })).status).to.equal(
        403,
      );

      const phone = `136${String(Date.now()).slice(-8)}`;
      await UserModel.create({
        phone,
        displayName: '新来的仓管',
        passwordHash: await hashPassword(PASSWORD),
        role: 'hub_staff',
      });
      const stray = new Client(base);
      expect((await stray.signIn(phone, PASSWORD)).status).to.equal(200);
      const reply = await stray.get<string>('/hub');
      expect(reply.status).to.equal(403);
      expect(reply.body).to.include('没有分配到任何仓库');
    });
  });
});
