// One buyer's three orders from two village shops travel as one parcel: routed by the worker,
// picked and packed by scanning at the hub, labelled, handed to the courier and delivered.
import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { Types } from 'mongoose';
import type { Actor } from '../../server/accounts/actor.ts';
import { UserModel } from '../../server/accounts/user.model.ts';
import { SkuModel } from '../../server/catalogue/sku.model.ts';
import { BatchAllocationModel, BatchModel } from '../../server/hub/batch.model.ts';
import { ParcelModel } from '../../server/hub/parcel.model.ts';
import { sellableStockBySku } from '../../server/stock/stock-ledger.ts';
import { OrderModel } from '../../server/orders/order.model.ts';
import { createBuyers } from '../support/fixtures.ts';
import { Client, DEMO_ADDRESS } from '../support/http-client.ts';
import { scanPdf, pdfText } from '../support/pdf.ts';
import { eventually } from '../support/processes.ts';
import { TIMEOUTS } from '../support/timeouts.ts';
import { inProcessWeb } from '../support/web-scene.ts';
import {
  courierEvent,
  fetchPdf,
  payThroughWebhook,
  startWaveFor,
  unitBarcodes,
} from '../support/hub-flow.ts';

const HUB_STAFF = '13600000001';
const PASSWORD = 'cunbo2026';

describe('the county hub: from paid orders to a delivered parcel', function () {
  this.timeout(120_000);
  const scene = inProcessWeb({ workers: true });

  async function buyerWithAddress() {
    const [email] = await createBuyers(1);
    const user = (await UserModel.findOne({ email }).lean())!;
    const actor: Actor = { id: String(user._id), role: 'buyer', displayName: user.displayName };
    // A street of their own, so no other test's parcel can share theirs.
    const address = { ...DEMO_ADDRESS, detail: `望京西路 ${randomBytes(3).toString('hex')} 号` };
    return { actor, address, email: email! };
  }

  async function paidOrder(
    actor: Actor,
    address: typeof DEMO_ADDRESS,
    skuCode: string,
    qty: number,
  ) {
    const sku = (await SkuModel.findOne({ code: skuCode }).lean())!;
    const order = await scene.web.services.orders.placeOrder(actor, {
      idempotencyKey: `hub-${randomBytes(6).toString('hex')}`,
      lines: [{ skuId: String(sku._id), quantity: qty }],
      address,
    });
    await payThroughWebhook(scene.web, actor, order.orderNo);
    return { order, sku };
  }

  it('consolidates, routes by the rules, picks and packs by scanning, labels, hands over and delivers; the ledger balances', async () => {
    const { actor, address } = await buyerWithAddress();
    const codes = ['HJ-DHP-YJ-500', 'LJ-HJY-TL-210', 'XM-QZH-1KG'];
    const skuIds = (await SkuModel.find({ code: { $in: codes } }, { _id: 1 }).lean()).map(
      (s) => s._id,
    );
    const sellableBefore = await sellableStockBySku(skuIds);

    // Two orders from the Xigou pepper shop and one from the Hongti millet shop.
    const placed = [
      await paidOrder(actor, address, 'HJ-DHP-YJ-500', 2),
      await paidOrder(actor, address, 'LJ-HJY-TL-210', 1),
      await paidOrder(actor, address, 'XM-QZH-1KG', 1),
    ];
    expect(new Set(placed.map((p) => String(p.order.shopId))).size).to.equal(2);
    const orderNos = placed.map((p) => p.order.orderNo);

    // The worker puts all three in one parcel and, once the window closes, routes it.
    const parcel = await eventually(async () => {
      const orders = await OrderModel.find({ orderNo: { $in: orderNos } }).lean();
      if (!orders.every((o) => o.status === 'routed')) return undefined;
      return ParcelModel.findOne({ orderNos: orderNos[0] }).lean();
    }, TIMEOUTS.orderRouted);
    expect(parcel!.orderNos.slice().sort()).to.deep.equal(orderNos.slice().sort());
    expect(await ParcelModel.countDocuments({ orderNos: { $in: orderNos } })).to.equal(1);
    expect(parcel!.lines).to.have.length(3);
    // 2×560 g + 380 g + 1050 g + 150 g of packaging, to Beijing (near zone), no village address.
    expect(parcel!.estimatedWeightGrams).to.equal(2700);
    expect(parcel!.courierChoice!.zone).to.equal('near');
    expect(parcel!.courierChoice!.reason.rule).to.equal('cheapest');
    expect(parcel!.waybillNo).to.be.a('string').and.not.equal('');
    // Batches first expiry first out: every unit allocated, from a batch that passed inspection.
    const allocations = await BatchAllocationModel.find({ parcelNo: parcel!.parcelNo }).lean();
    expect(allocations.reduce((s, a) => s + a.quantity, 0)).to.equal(4);

    // Hub staff start the wave for that courier's cut-off and pick by scanning.
    const staff = new Client(scene.base);
    expect((await staff.signIn(HUB_STAFF, PASSWORD)).status).to.equal(200);
    const waveNo = await startWaveFor(staff, parcel!.parcelNo);
    const wavePage = await staff.get<string>(`/hub/waves/${waveNo}`);
    expect(wavePage.status).to.equal(200);
    expect(wavePage.body).to.include(parcel!.parcelNo);

    const barcodes = await unitBarcodes(parcel!.parcelNo);
    const wrong = await staff.post<{ error: { code: string; message: string } }>(
      `/api/hub/waves/${waveNo}/pick`,
      { barcode: '6999999999999' },
    );
    expect(wrong.status).to.equal(400);
    expect(wrong.body.error.code).to.equal('errors.unknownBarcode');
    for (const barcode of barcodes) {
      const picked = await staff.post(`/api/hub/waves/${waveNo}/pick`, { barcode });
      expect(picked.status, `pick ${barcode}`).to.equal(200);
    }
    const overPick = await staff.post<{ error: { code: string } }>(
      `/api/hub/waves/${waveNo}/pick`,
      { barcode: barcodes[0] },
    );
    expect(overPick.body.error.code).to.equal('errors.alreadyPicked');

    // Packing: the label will not print before every item is scanned into the box.
    const early = await fetch(`${scene.base}/hub/parcels/${parcel!.parcelNo}/label.pdf`, {
      headers: { cookie: staff.cookieHeader() },
    });
    expect(early.status).to.equal(409);
    for (const barcode of barcodes.slice(0, -1))
      expect(
        (await staff.post(`/api/hub/parcels/${parcel!.parcelNo}/pack`, { barcode })).status,
      ).to.equal(200);
    const notYet = await staff.postForm(`/hub/parcels/${parcel!.parcelNo}/weight`, {
      weight_grams: '2750',
    });
    expect(notYet.status).to.equal(409);
    expect(
      (await staff.post(`/api/hub/parcels/${parcel!.parcelNo}/pack`, { barcode: barcodes.at(-1) }))
        .status,
    ).to.equal(200);
    const absurd = await staff.postForm(`/hub/parcels/${parcel!.parcelNo}/weight`, {
      weight_grams: '27500',
    });
    expect(absurd.status).to.equal(400);
    const weighed = await staff.postForm(`/hub/parcels/${parcel!.parcelNo}/weight`, {
      weight_grams: '2750',
    });
    expect(weighed.status).to.equal(303);
    for (const orderNo of orderNos)
      expect((await OrderModel.findOne({ orderNo }).lean())!.status).to.equal('packed');

    // The label: the waybill as Code 128 and the trace link as a QR code, read back from the PDF.
    const label = await fetchPdf(staff, `/hub/parcels/${parcel!.parcelNo}/label.pdf`);
    const packed = (await ParcelModel.findOne({ parcelNo: parcel!.parcelNo }).lean())!;
    const symbols = await scanPdf(label);
    expect(symbols.find((s) => s.format === 'Code128')?.text).to.equal(packed.waybillNo);
    expect(symbols.find((s) => s.format === 'QRCode')?.text).to.match(
      new RegExp(`/t/${packed.traceCode}$`),
    );
    expect(await pdfText(label)).to.include(address.recipient);

    // Handover: the manifest lists the parcel; the driver signs for it.
    const csv = await staff.get<string>(`/hub/manifests/${packed.courierCode}.csv`);
    expect(csv.status).to.equal(200);
    expect(csv.body).to.include(packed.parcelNo).and.include(packed.waybillNo!);
    expect(
      await pdfText(await fetchPdf(staff, `/hub/manifests/${packed.courierCode}.pdf`)),
    ).to.include(packed.waybillNo);
    const signed = await staff.postForm(`/hub/manifests/${packed.courierCode}/sign-off`, {
      collector: '邮政 王师傅',
    });
    expect(signed.status).to.equal(303);
    expect((await ParcelModel.findOne({ parcelNo: packed.parcelNo }).lean())!.status).to.equal(
      'handed_over',
    );

    // Tracking events from the courier move every order to shipped, then delivered.
    expect(
      (await courierEvent(scene.web, packed.courierCode!, packed.waybillNo!, 'collected')).status,
    ).to.equal(200);
    for (const orderNo of orderNos)
      expect((await OrderModel.findOne({ orderNo }).lean())!.status).to.equal('shipped');
    expect(
      (await courierEvent(scene.web, packed.courierCode!, packed.waybillNo!, 'delivered')).status,
    ).to.equal(200);
    for (const orderNo of orderNos)
      expect((await OrderModel.findOne({ orderNo }).lean())!.status).to.equal('delivered');

    // The ledger balances: sellable stock fell by exactly what was sold, and the batches gave
    // exactly the units that were shipped.
    const sellableAfter = await sellableStockBySku(skuIds);
    for (const p of placed) {
      const id = String(p.sku._id);
      const sold = p.order.lines[0]!.quantity;
      expect(sellableBefore.get(id)! - sellableAfter.get(id)!, p.sku.code).to.equal(sold);
    }
    const shipped = packed.lines.reduce((s, l) => s + l.packed, 0);
    expect(shipped).to.equal(4);
    const fromBatches = await BatchAllocationModel.find({ parcelNo: packed.parcelNo }).lean();
    expect(fromBatches.reduce((s, a) => s + a.quantity, 0)).to.equal(shipped);
    const batches = await BatchModel.find({
      _id: { $in: fromBatches.map((a) => new Types.ObjectId(String(a.batchId))) },
    }).lean();
    expect(batches.every((b) => b.qc?.result === 'passed')).to.equal(true);
  });
});
