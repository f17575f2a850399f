// A buyer scans the QR code on a parcel of Nansai pepper-leaf tea and sees its whole story: the
// farmer, the village on the county map, the harvest, the inspection report, the hub, the courier.
import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import type { Actor } from '../../server/accounts/actor.ts';
import { UserModel } from '../../server/accounts/user.model.ts';
import { SkuModel } from '../../server/catalogue/sku.model.ts';
import { BatchAllocationModel, BatchModel } from '../../server/hub/batch.model.ts';
import { ParcelModel } from '../../server/hub/parcel.model.ts';
import { OrderModel } from '../../server/orders/order.model.ts';
import { LiveSessionModel } from '../../server/live/live-session.model.ts';
import { DEMO_ORDER_NO } from '../../server/seed/demo-delivered-parcel.ts';
import { TraceCodeModel } from '../../server/trace/trace-code.model.ts';
import { newTraceCode, TRACE_CODE_PATTERN } from '../../server/trace/trace-codes.ts';
import { TRACE_LOOKUPS_PER_MINUTE } from '../../server/trace/trace-service.ts';
import { createBuyers } from '../support/fixtures.ts';
import { Client, DEMO_ADDRESS } from '../support/http-client.ts';
import {
  courierEvent,
  fetchPdf,
  payThroughWebhook,
  startWaveFor,
  unitBarcodes,
} from '../support/hub-flow.ts';
import { scanPdf } from '../support/pdf.ts';
import { eventually } from '../support/processes.ts';
import { TIMEOUTS } from '../support/timeouts.ts';
import { inProcessWeb } from '../support/web-scene.ts';

const XIGOU_COOP = '93140425MA0PS001';
/** A one-page PDF, enough to be a real (if tiny) inspection report. */
const REPORT_PDF = Buffer.from(
  '%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj 3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n',
);

describe('trace: from the village plot to the buyer’s door', function () {
  this.timeout(120_000);
  let staff: Client;
  const scene = inProcessWeb({
    workers: true,
    beforeClose: async ({ web }) => {
      await web.services.trace.forgive('127.0.0.1');
      await web.services.trace.forgive('::ffff:127.0.0.1');
    },
  });
  before(async () => {
    staff = new Client(scene.base);
    expect((await staff.signIn('13600000001', 'cunbo2026')).status).to.equal(200);
  });

  /** Receives a delivery through the hub's form, report file included. */
  async function receive(fields: Record<string, string>, report?: Buffer) {
    const form = new FormData();
    for (const [k, v] of Object.entries(fields)) form.append(k, v);
    if (report)
      form.append('report', new Blob([report], { type: 'application/pdf' }), '检测报告.pdf');
    const reply = await fetch(
      `${scene.base}/hub/batches?_csrf=${encodeURIComponent(staff.csrfToken)}`,
      {
        method: 'POST',
        headers: { cookie: staff.cookieHeader() },
        body: form,
        redirect: 'manual',
      },
    );
    return reply;
  }

  it('a received, inspected batch is sold, packed, delivered and traced; each scan is counted', async () => {
    const sku = (await SkuModel.findOne({ code: 'CHA-HJY-50' }).lean())!;
    const harvest = '2026-10-20';
    // A new batch that expires before the opening stock: first expiry first out takes it.
    const received = await receive(
      {
        barcode: sku.barcode,
        producer_code: XIGOU_COOP,
        plot: '南赛村老茶坡 2 号地',
        processing: 'dried',
        harvest_date: harvest,
        shelf_life_days: '90',
        quantity: '20',
        bin_code: 'B-02-03',
        qc_station: '平顺县农产品质量安全检测站',
        qc_report_no: 'PSJC-2026-1107',
        qc_date: '2026-10-25',
        qc_pesticide_residue: '未检出',
        qc_pesticide_residue_ok: 'yes',
        qc_moisture: '6.8%',
        qc_moisture_ok: 'yes',
        qc_result: 'passed',
      },
      REPORT_PDF,
    );
    expect(received.status).to.equal(303);
    const batchNo = new URL(received.headers.get('location')!, scene.base).searchParams.get(
      'received',
    )!;
    // A second delivery whose moisture failed, expiring even sooner: it must never be allocated.
    const failed = await receive({
      barcode: sku.barcode,
      producer_code: XIGOU_COOP,
      harvest_date: harvest,
      shelf_life_days: '30',
      quantity: '20',
      bin_code: 'B-02-04',
      qc_moisture: '13.5%',
      qc_moisture_ok: 'no',
      qc_result: 'passed', // the failed item decides
    });
    expect(failed.status).to.equal(303);
    const failedNo = new URL(failed.headers.get('location')!, scene.base).searchParams.get(
      'received',
    )!;
    expect((await BatchModel.findOne({ batchNo: failedNo }).lean())!.qc?.result).to.equal('failed');

    // A buyer orders two tins and pays; the worker routes the parcel.
    const [email] = await createBuyers(1);
    const user = (await UserModel.findOne({ email }).lean())!;
    const actor: Actor = { id: String(user._id), role: 'buyer', displayName: user.displayName };
    const order = await scene.web.services.orders.placeOrder(actor, {
      idempotencyKey: `trace-${randomBytes(6).toString('hex')}`,
      lines: [{ skuId: String(sku._id), quantity: 2 }],
      address: { ...DEMO_ADDRESS, detail: `溯源路 ${randomBytes(3).toString('hex')} 号` },
    });
    await payThroughWebhook(scene.web, actor, order.orderNo);
    const parcelNo = await eventually(async () => {
      const o = await OrderModel.findOne({ orderNo: order.orderNo }).lean();
      return o?.status === 'routed' ? o.parcelNo : undefined;
    }, TIMEOUTS.orderRouted);
    const allocations = await BatchAllocationModel.find({ parcelNo }).lean();
    expect(allocations.map((a) => a.batchNo)).to.deep.equal([batchNo]);

    // Picked, packed, labelled: the label's QR code is the parcel's trace link.
    const waveNo = await startWaveFor(staff, parcelNo!);
    for (const barcode of await unitBarcodes(parcelNo!)) {
      expect((await staff.post(`/api/hub/waves/${waveNo}/pick`, { barcode })).status).to.equal(200);
      expect((await staff.post(`/api/hub/parcels/${parcelNo}/pack`, { barcode })).status).to.equal(
        200,
      );
    }
    expect(
      (await staff.postForm(`/hub/parcels/${parcelNo}/weight`, { weight_grams: '420' })).status,
    ).to.equal(303);
    const label = await fetchPdf(staff, `/hub/parcels/${parcelNo}/label.pdf`);
    const qr = (await scanPdf(label)).find((s) => s.format === 'QRCode')!.text;
    const code = qr.split('/t/')[1]!;
    expect(code).to.match(TRACE_CODE_PATTERN);
    const parcel = (await ParcelModel.findOne({ parcelNo }).lean())!;
    expect(parcel.lines.every((l) => l.traceCode && TRACE_CODE_PATTERN.test(l.traceCode))).to.equal(
      true,
    );

    // Handed over and delivered.
    await staff.postForm(`/hub/manifests/${parcel.courierCode}/sign-off`, { collector: '王师傅' });
    expect(
      (await courierEvent(scene.web, parcel.courierCode!, parcel.waybillNo!, 'collected')).status,
    ).to.equal(200);
    expect(
      (await courierEvent(scene.web, parcel.courierCode!, parcel.waybillNo!, 'delivered')).status,
    ).to.equal(200);

    // The buyer scans: no sign-in, the whole chain, one scan counted.
    const buyerPhone = new Client(scene.base);
    const page = await buyerPhone.get<string>(`/t/${code}`);
    expect(page.status).to.equal(200);
    for (const text of [
      '花椒叶茶',
      '西沟村花椒专业合作社',
      '南赛村老茶坡 2 号地',
      '2026-10-20',
      '检测合格',
      'PSJC-2026-1107',
      '农药残留：未检出',
      '此码已被查询 1 次',
      '<svg',
    ])
      expect(page.body, text).to.include(text);
    for (const step of ['harvested', 'inspected', 'received', 'packed', 'collected', 'delivered'])
      expect(page.body).to.match(new RegExp(`class="done" data-step="${step}"`));
    const reportLink =
      /href="(\/documents\/[^"]+)" target="_blank" rel="noopener" data-testid="trace-report"/.exec(
        page.body,
      )![1]!;
    const report = await fetch(`${scene.base}${reportLink}`);
    expect(report.status).to.equal(200);
    expect(report.headers.get('content-type')).to.equal('application/pdf');

    // A second scan says so: the code was looked up before.
    const again = await buyerPhone.get<string>(`/t/${code}?lang=en`);
    expect(again.body).to.include('looked up 2 times');
    expect((await TraceCodeModel.findOne({ code }).lean())!.scans).to.equal(2);
  });

  it('the live room shows where the pinned product now shipping comes from; a buyer finds the trace from the order page', async () => {
    const session = (await LiveSessionModel.findOne({
      'title.zh': '西沟大红袍花椒 产地直发专场',
    }).lean())!;
    const room = await new Client(scene.base).get<string>(`/live/${String(session._id)}`);
    expect(room.body).to.include('data-testid="live-trace"');
    expect(room.body).to.match(/产地 西沟村 · \d{4}-\d{2}-\d{2} 采收/);
    expect(room.body).to.include('检测合格');

    const buyer = new Client(scene.base);
    await buyer.signIn('13800000001', 'cunbo2026');
    const order = await buyer.get<string>(`/orders/${DEMO_ORDER_NO}`);
    const link =
      /data-testid="trace-links"><a class="button small secondary" href="(\/t\/[\w-]{20})"/.exec(
        order.body,
      );
    expect(link, 'a trace link on the delivered order').to.not.equal(null);
    const trace = await buyer.get<string>(link![1]!);
    expect(trace.status).to.equal(200);
    expect(trace.body).to.include('平顺大红袍花椒').and.include('西沟村');
  });

  it('10,000 random codes find nothing, and the rate limit stops a script long before that', async () => {
    const codes = Array.from({ length: 10_000 }, () => newTraceCode());
    expect(new Set(codes).size).to.equal(10_000);
    let found = 0;
    for (let i = 0; i < codes.length; i += 1000)
      found += await TraceCodeModel.countDocuments({ code: { $in: codes.slice(i, i + 1000) } });
    expect(found).to.equal(0);

    await scene.web.services.trace.forgive('127.0.0.1');
    await scene.web.services.trace.forgive('::ffff:127.0.0.1');
    const visitor = new Client(scene.base);
    const statuses: number[] = [];
    const bodies = new Set<string>();
    for (const code of [...codes.slice(0, TRACE_LOOKUPS_PER_MINUTE - 2), 'short', 'a'.repeat(20)]) {
      const reply = await visitor.get<string>(`/t/${code}`);
      statuses.push(reply.status);
      // The same page but for the request id printed for support.
      const main = /<main[\s\S]*<\/main>/.exec(reply.body)?.[0] ?? reply.body;
      bodies.add(main.replace(/ID: [\w-]+/, 'ID: …'));
    }
    // Unknown, malformed and well-formed-but-forged codes get one and the same page.
    expect(new Set(statuses)).to.deep.equal(new Set([404]));
    expect(bodies.size).to.equal(1);
    // The next lookups from the same address are refused, valid code or not.
    for (let i = 0; i < 5; i++) statuses.push((await visitor.get(`/t/${codes[100 + i]}`)).status);
    expect(statuses.slice(-5)).to.deep.equal([429, 429, 429, 429, 429]);
    expect(statuses.filter((s) => s === 404)).to.have.length(TRACE_LOOKUPS_PER_MINUTE);
  });
});
