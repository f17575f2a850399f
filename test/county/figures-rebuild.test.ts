// Issue #14: the county's figures kept incrementally by the worker equal a rebuild from nothing,
// after a mixed history through the real services: orders placed, paid, expired, cancelled,
// refunded, short-picked; parcels handed over, shipped, delivered and held; trace codes scanned.
// Refunds and cancellations subtract, money is integer fen, a replayed count changes nothing and
// a batch cut short by a crash is counted once.
import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import type { Queue } from 'bullmq';
import type { Actor } from '../../server/accounts/actor.ts';
import { UserModel } from '../../server/accounts/user.model.ts';
import type { Services } from '../../server/app/services.ts';
import { chinaDay } from '../../server/core/china-time.ts';
import {
  CountyContributionModel,
  CountyFigureDayModel,
  CountyFirstOrderModel,
  CountyJournalModel,
} from '../../server/county/county-figures.model.ts';
import {
  COUNT_CHANGES_EVERY_MS,
  COUNTY_FIGURES_QUEUE,
} from '../../server/county/county-figures.ts';
import { FigureLedger } from '../../server/county/figure-ledger.ts';
import { ParcelModel } from '../../server/hub/parcel.model.ts';
import { OrderModel, PAID_STATUSES, type Order } from '../../server/orders/order.model.ts';
import { RefundModel } from '../../server/payments/payment.model.ts';
import { TraceCodeModel } from '../../server/trace/trace-code.model.ts';
import { createBuyers, skuWithStock } from '../support/fixtures.ts';
import { Client, DEMO_ADDRESS } from '../support/http-client.ts';
import {
  courierEvent,
  payThroughWebhook,
  startWaveFor,
  unitBarcodes,
} from '../support/hub-flow.ts';
import { eventually } from '../support/processes.ts';
import { TIMEOUTS } from '../support/timeouts.ts';
import { inProcessWeb } from '../support/web-scene.ts';

const HUB_STAFF = '13600000001';
const PASSWORD = 'cunbo2026';
/** The address this test's trace scans come from (a documentation range: no one else's). */
const SCAN_IP = '198.51.100.14';
/**
 * The longest one county job may take: a rebuild of the demo county (2,000 orders) took up to
 * half a minute on a busy two-core machine with FerretDB.
 */
const COUNTY_PASS = 4 * TIMEOUTS.eventually;
/** How long the worker may take to count a change by itself: the next pass, after this one. */
const WORKER_COUNTS = COUNT_CHANGES_EVERY_MS + 2 * COUNTY_PASS;

/** A figure as compared: no lastBatch, and a counter at 0 is the same as an absent one. */
interface Figure {
  kind: string;
  day: string | null;
  keys: Record<string, string>;
  n: Record<string, number>;
}
type Figures = Record<string, Figure>;

function nonZero(n: Record<string, number> | undefined): Record<string, number> {
  return Object.fromEntries(Object.entries(n ?? {}).filter(([, v]) => v !== 0));
}

/** Every figure, one per cell of each day document: `kind|day|cell`. */
async function snapshot(): Promise<Figures> {
  const docs = await CountyFigureDayModel.find({}).lean();
  const out: Figures = {};
  for (const doc of docs) {
    const cells = (doc.cells ?? {}) as Record<
      string,
      { keys?: Record<string, string>; n?: Record<string, number> }
    >;
    for (const [cell, { keys = {}, n: counters }] of Object.entries(cells)) {
      const n = nonZero(counters);
      if (Object.keys(n).length === 0) continue;
      out[`${doc._id}|${cell}`] = { kind: doc.kind, day: doc.day ?? null, keys: { ...keys }, n };
    }
  }
  return out;
}

/** Each buyer's first order from each shop, as the ledger keeps them for the repeat flag. */
async function firstOrders(): Promise<Record<string, string>> {
  const docs = await CountyFirstOrderModel.find({}).lean();
  return Object.fromEntries(docs.map((d) => [d._id, `${d.orderNo}@${d.at.toISOString()}`]));
}

/** The contributions that add anything, each record's rows in a stable order. */
async function contributions(): Promise<Record<string, unknown[]>> {
  const docs = await CountyContributionModel.find({}).lean();
  const out: Record<string, unknown[]> = {};
  for (const doc of docs) {
    const rows = (doc.rows as { id: string; day?: string | null; n: Record<string, number> }[])
      .map((r) => ({ ...r, day: r.day ?? null, n: nonZero(r.n) }))
      .filter((r) => Object.keys(r.n).length > 0)
      .sort((a, b) => a.id.localeCompare(b.id));
    if (rows.length > 0) out[doc._id] = rows;
  }
  return out;
}

/** JSON with sorted keys: two figures are the same whatever order their counters came in. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b)))
      : v,
  );
}

/** The figures that differ, with both sides, so a failure says where. */
function differences(a: Figures, b: Figures) {
  const ids = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
  return ids
    .filter((id) => canonical(a[id] ?? null) !== canonical(b[id] ?? null))
    .map((id) => ({ id, first: a[id] ?? null, second: b[id] ?? null }));
}

/** after − before, counter by counter, zeros left out. */
function moved(before: Figure | undefined, after: Figure | undefined): Record<string, number> {
  const names = new Set([...Object.keys(before?.n ?? {}), ...Object.keys(after?.n ?? {})]);
  return nonZero(
    Object.fromEntries([...names].map((k) => [k, (after?.n[k] ?? 0) - (before?.n[k] ?? 0)])),
  );
}

function add(into: Record<string, number>, n: Record<string, number>): void {
  for (const [k, v] of Object.entries(n)) into[k] = (into[k] ?? 0) + v;
}

/** The orders of the story, by what happens to them. */
type Part =
  | 'unpaid1'
  | 'unpaid2'
  | 'tookTheStock'
  | 'expired'
  | 'cancelledUnpaid'
  | 'refundedLate'
  | 'cancelledPaid'
  | 'paidLate'
  | 'delivered1'
  | 'delivered2'
  | 'shortPicked'
  | 'held';

describe('county figures: a rebuild equals the figures the worker kept (issue #14)', function () {
  this.timeout(10 * 60_000);
  const scene = inProcessWeb({
    workers: true,
    // Whatever happened, the queues run again for the tests after this one.
    beforeClose: async ({ web }) => {
      await resumeAll(web.services);
      await web.services.trace.forgive(SCAN_IP);
    },
  });

  const services = () => scene.web.services;
  const queues = (s: Services): Queue[] => Object.values(s.queues);

  async function resumeAll(s: Services): Promise<void> {
    for (const queue of queues(s)) await queue.resume();
  }

  /**
   * Nothing counts or changes while the figures are read: every queue paused (the county's and
   * those whose jobs change orders and parcels) and none with a job still running.
   */
  async function quiet(): Promise<void> {
    for (const queue of queues(services())) await queue.pause();
    await services().county.flushNotes();
    await eventually(async () => {
      const active = await Promise.all(queues(services()).map((q) => q.getActiveCount()));
      return active.every((n) => n === 0);
    }, COUNTY_PASS);
  }

  /** Counts every change noted so far, as the worker's passes would. */
  async function countEverything(): Promise<void> {
    const county = services().county;
    for (;;) {
      await county.flushNotes();
      const counted = await county.countChanges();
      if (counted.orders + counted.parcels + counted.codes === 0) return;
    }
  }

  let staff: Client;
  let baseline: Figures;
  const tag = randomBytes(3).toString('hex');
  /** Every order of this test, by its part in the story. */
  const orders = {} as Record<Part, Order>;
  const actors: Actor[] = [];
  const parcelNos = new Set<string>();
  const scannedCodes: string[] = [];
  let heldParcelNo = '';
  let shortParcelNo = '';
  let inTransitParcelNo = '';
  let skus: { a: string; b: string; s: string };
  let historyBuilt = false;

  const address = (i: number) => ({ ...DEMO_ADDRESS, detail: `县域数据路 ${tag}-${i} 号` });

  /** A delivery of `quantity` units of the SKU received at the hub, inspected and passed. */
  async function receive(barcode: string, quantity: number) {
    const reply = await staff.postForm('/hub/batches', {
      barcode,
      producer_code: '93140425MA0PS001',
      plot: '西沟村后坡 3 号地',
      processing: 'dried',
      harvest_date: chinaDay(new Date(Date.now() - 30 * 86_400_000)),
      shelf_life_days: '365',
      quantity: String(quantity),
      bin_code: 'A-01-01',
      qc_result: 'passed',
      qc_note: '农残未检出',
    });
    expect(reply.status, reply.body).to.equal(303);
  }

  async function place(buyer: number, skuId: string, quantity: number, at = buyer) {
    return services().orders.placeOrder(actors[buyer]!, {
      idempotencyKey: `county-${randomBytes(6).toString('hex')}`,
      lines: [{ skuId, quantity }],
      address: address(at),
    });
  }

  async function expire(orderNo: string) {
    await OrderModel.updateOne({ orderNo }, { $set: { payBy: new Date(Date.now() - 1000) } });
    expect(await services().orders.expireOrder(orderNo)).to.equal('expired');
  }

  async function postWebhook(payload: string, signature: string) {
    const reply = await fetch(`${scene.base}/webhooks/stripe`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'stripe-signature': signature },
      body: payload,
    });
    expect(reply.status).to.equal(200);
  }

  async function statusOf(orderNo: string) {
    return (await OrderModel.findOne({ orderNo }, { status: 1 }).lean())?.status;
  }

  async function waitForStatus(orderNo: string, status: string) {
    await eventually(async () => (await statusOf(orderNo)) === status, COUNTY_PASS);
  }

  before(async () => {
    staff = new Client(scene.base);
    expect((await staff.signIn(HUB_STAFF, PASSWORD)).status).to.equal(200);
    // SKUs of their own, so their figures are this test's alone: A and B for most orders, S for
    // the short pick, C (two units, never at the hub) for a late payment that finds it sold out.
    const a = await skuWithStock(0, 1990);
    const b = await skuWithStock(0, 2680);
    const s = await skuWithStock(0, 1250);
    await receive(a.barcode, 40);
    await receive(b.barcode, 40);
    await receive(s.barcode, 40);
    skus = { a: String(a._id), b: String(b._id), s: String(s._id) };
    const emails = await createBuyers(10, `county-${tag}`);
    for (const email of emails) {
      const user = (await UserModel.findOne({ email }).lean())!;
      actors.push({ id: String(user._id), role: 'buyer', displayName: user.displayName });
    }
    // The figures before the story, counted to the last record (the first count rebuilds).
    await quiet();
    await countEverything();
    baseline = await snapshot();
    await resumeAll(services());
  });

  it('builds a mixed history while the worker keeps the figures', async () => {
    const c = await skuWithStock(2, 3300);

    // Left unpaid.
    orders.unpaid1 = await place(0, skus.a, 1);
    orders.unpaid2 = await place(1, skus.b, 2);
    // Not paid in time.
    orders.expired = await place(2, skus.a, 1);
    await expire(orders.expired.orderNo);
    // Cancelled by the buyer before paying.
    orders.cancelledUnpaid = await place(3, skus.b, 1);
    await services().orders.cancelUnpaidOrder(actors[3], orders.cancelledUnpaid.orderNo);
    // Paid after it expired, the stock sold meanwhile: refunded automatically.
    orders.refundedLate = await place(9, String(c._id), 2);
    const lateRefund = await services().payments.buildLocalPaymentEvent(
      actors[9],
      orders.refundedLate.orderNo,
      'alipay',
    );
    await expire(orders.refundedLate.orderNo);
    orders.tookTheStock = await place(0, String(c._id), 2, 10);
    await postWebhook(lateRefund.payload, lateRefund.signature);
    // Paid after it expired, the stock still there: kept.
    orders.paidLate = await place(8, skus.b, 1);
    const latePay = await services().payments.buildLocalPaymentEvent(
      actors[8],
      orders.paidLate.orderNo,
      'wechat_pay',
    );
    await expire(orders.paidLate.orderNo);
    await postWebhook(latePay.payload, latePay.signature);
    // Paid: one buyer twice (a repeat), one to cancel after routing, one to short-pick, one
    // whose address the hub cannot reach.
    orders.delivered1 = await place(4, skus.a, 2);
    await payThroughWebhook(scene.web, actors[4]!, orders.delivered1.orderNo);
    orders.delivered2 = await place(4, skus.b, 1);
    await payThroughWebhook(scene.web, actors[4]!, orders.delivered2.orderNo);
    orders.cancelledPaid = await place(5, skus.a, 1);
    await payThroughWebhook(scene.web, actors[5]!, orders.cancelledPaid.orderNo);
    orders.shortPicked = await place(6, skus.s, 3);
    await payThroughWebhook(scene.web, actors[6]!, orders.shortPicked.orderNo);
    orders.held = await place(7, skus.b, 1);
    await payThroughWebhook(scene.web, actors[7]!, orders.held.orderNo);

    await waitForStatus(orders.refundedLate.orderNo, 'refunded');
    const routed: Part[] = [
      'paidLate',
      'delivered1',
      'delivered2',
      'cancelledPaid',
      'shortPicked',
      'held',
    ];
    for (const name of routed) await waitForStatus(orders[name].orderNo, 'routed');
    const parcelOf = async (name: Part) =>
      (await OrderModel.findOne({ orderNo: orders[name].orderNo }).lean())!.parcelNo!;

    // Cancelled after routing: refunded in full, its parcel cancelled.
    const cancelledParcel = await parcelOf('cancelledPaid');
    await services().payments.cancelPaidOrder(actors[5], orders.cancelledPaid.orderNo);
    await eventually(
      async () =>
        (await ParcelModel.findOne({ parcelNo: cancelledParcel }).lean())?.status === 'cancelled',
      COUNTY_PASS,
    );
    parcelNos.add(cancelledParcel);

    // The hub cannot reach one address: held before any wave takes it.
    heldParcelNo = await parcelOf('held');
    parcelNos.add(heldParcelNo);
    const held = await staff.postForm(`/hub/parcels/${heldParcelNo}/exceptions`, {
      code: 'address_unreachable',
      note: '电话空号，地址查无此楼',
    });
    expect(held.status).to.equal(303);

    // The rest are picked in waves, one unit short, packed and weighed.
    const shipping = [
      ...new Set(
        await Promise.all(
          (['paidLate', 'delivered1', 'delivered2', 'shortPicked'] as const).map(parcelOf),
        ),
      ),
    ];
    shipping.forEach((no) => parcelNos.add(no));
    shortParcelNo = await parcelOf('shortPicked');
    inTransitParcelNo = await parcelOf('paidLate');
    for (const parcelNo of shipping)
      if ((await ParcelModel.findOne({ parcelNo }).lean())!.status === 'routed')
        await startWaveFor(staff, parcelNo);
    const shortBarcode = (await ParcelModel.findOne({ parcelNo: shortParcelNo }).lean())!.lines[0]!
      .barcode;
    const short = await staff.postForm(`/hub/parcels/${shortParcelNo}/exceptions`, {
      code: 'short_pick',
      barcode: shortBarcode,
      quantity: '1',
      note: '货架上少一袋',
    });
    expect(short.status).to.equal(303);
    expect(await statusOf(orders.shortPicked.orderNo)).to.equal('partially_refunded');
    for (const parcelNo of shipping) {
      const { waveNo } = (await ParcelModel.findOne({ parcelNo }).lean())!;
      for (const barcode of await unitBarcodes(parcelNo))
        expect(
          (await staff.post(`/api/hub/waves/${waveNo}/pick`, { barcode })).status,
          `pick ${barcode} for ${parcelNo}`,
        ).to.equal(200);
    }
    for (const parcelNo of shipping) {
      for (const barcode of await unitBarcodes(parcelNo))
        expect(
          (await staff.post(`/api/hub/parcels/${parcelNo}/pack`, { barcode })).status,
          `pack ${barcode} into ${parcelNo}`,
        ).to.equal(200);
      const parcel = (await ParcelModel.findOne({ parcelNo }).lean())!;
      const contents = parcel.lines.reduce((s, l) => s + l.weightGrams * (l.quantity - l.short), 0);
      const weighed = await staff.postForm(`/hub/parcels/${parcelNo}/weight`, {
        weight_grams: String(contents + 150),
      });
      expect(weighed.status, `weigh ${parcelNo}`).to.equal(303);
    }

    // Buyers scan trace codes: one parcel's code twice, a line's code of another once.
    const deliveredParcel = await parcelOf('delivered1');
    const parcelCode = (await ParcelModel.findOne({ parcelNo: deliveredParcel }).lean())!
      .traceCode!;
    const lineCode = (await ParcelModel.findOne({ parcelNo: shortParcelNo }).lean())!.lines[0]!
      .traceCode!;
    for (const code of [parcelCode, parcelCode, lineCode])
      expect((await services().trace.page(SCAN_IP, code, 'zh-CN')).code).to.equal(code);
    scannedCodes.push(parcelCode, lineCode);

    // Handed over to each courier, collected; one buyer's parcel delivered.
    const couriers = new Set<string>();
    for (const parcelNo of shipping)
      couriers.add((await ParcelModel.findOne({ parcelNo }).lean())!.courierCode!);
    for (const courier of couriers) {
      const signed = await staff.postForm(`/hub/manifests/${courier}/sign-off`, {
        collector: '县域 王师傅',
      });
      expect(signed.status, `sign-off ${courier}`).to.equal(303);
    }
    for (const parcelNo of shipping) {
      const parcel = (await ParcelModel.findOne({ parcelNo }).lean())!;
      expect(parcel.status).to.equal('handed_over');
      const { courierCode, waybillNo } = parcel;
      expect(
        (await courierEvent(scene.web, courierCode!, waybillNo!, 'collected')).status,
      ).to.equal(200);
      if (parcel.orderNos.includes(orders.delivered1.orderNo))
        expect(
          (await courierEvent(scene.web, courierCode!, waybillNo!, 'delivered')).status,
        ).to.equal(200);
    }

    const expected: Record<Part, string> = {
      unpaid1: 'pending_payment',
      unpaid2: 'pending_payment',
      tookTheStock: 'pending_payment',
      expired: 'expired',
      cancelledUnpaid: 'cancelled',
      refundedLate: 'refunded',
      cancelledPaid: 'cancelled',
      paidLate: 'shipped',
      delivered1: 'delivered',
      delivered2: 'delivered',
      shortPicked: 'shipped',
      held: 'routed',
    };
    for (const [name, status] of Object.entries(expected) as [Part, string][])
      await eventually(
        async () => (await statusOf(orders[name].orderNo)) === status,
        COUNTY_PASS,
      ).catch(async () => {
        throw new Error(`${name} is ${await statusOf(orders[name].orderNo)}, not ${status}`);
      });
    expect((await ParcelModel.findOne({ parcelNo: heldParcelNo }).lean())!.status).to.equal('held');
    historyBuilt = true;

    // The worker alone, with no help from the test, brings the shop's figure of the day to the
    // story's placements, payments and refunds (checked by hand below).
    const { shopId, channel } = orders.unpaid1;
    const day = chinaDay(orders.unpaid1.createdAt);
    await eventually(async () => {
      const now = await snapshot();
      const id = Object.keys(now).find(
        (key) =>
          now[key]!.kind === 'shop' &&
          now[key]!.day === day &&
          now[key]!.keys.shopId === String(shopId) &&
          now[key]!.keys.channel === channel,
      );
      if (!id) return false;
      const n = moved(baseline[id], now[id]);
      return n.placed === 12 && n.paid === 5;
    }, WORKER_COUNTS);
  });

  let counted: Figures;
  let rebuilt: Figures;

  it('a rebuild from nothing gives exactly the figures kept incrementally', async () => {
    expect(historyBuilt, 'the history was not built').to.equal(true);
    await quiet();
    await countEverything();
    counted = await snapshot();
    const countedRows = await contributions();
    const countedFirsts = await firstOrders();
    const result = await services().county.rebuild();
    expect(result.figures).to.be.greaterThan(0);
    rebuilt = await snapshot();
    expect(differences(counted, rebuilt)).to.deep.equal([]);
    expect(rebuilt).to.deep.equal(counted);
    // Record by record too: what each order, parcel and code adds is the same either way.
    expect(await contributions()).to.deep.equal(countedRows);
    // And the first order of each buyer at each shop, which decides the repeats.
    expect(await firstOrders()).to.deep.equal(countedFirsts);
    for (const figure of Object.values(rebuilt))
      for (const [name, value] of Object.entries(figure.n))
        expect(Number.isSafeInteger(value), `${figure.kind} ${name}=${value}`).to.equal(true);
  });

  it('the figures are what the history says, worked out by hand', async () => {
    expect(rebuilt, 'no rebuild to check').to.be.an('object');
    const mine = await OrderModel.find({
      orderNo: { $in: Object.values(orders).map((o) => o.orderNo) },
    }).lean();
    expect(mine).to.have.length(12);
    const kept = mine.filter((o) => PAID_STATUSES.includes(o.status));
    expect(kept.map((o) => o.orderNo).sort()).to.deep.equal(
      (['paidLate', 'delivered1', 'delivered2', 'shortPicked', 'held'] as const)
        .map((n) => orders[n].orderNo)
        .sort(),
    );

    // The money: a short pick refunded one unit of S; the cancelled paid order all of it.
    const refundsOf = async (orderNo: string) =>
      (await RefundModel.find({ orderNo, status: 'succeeded' }).lean()).reduce(
        (s, r) => s + r.amountFen,
        0,
      );
    const shortRefund = await refundsOf(orders.shortPicked.orderNo);
    expect(shortRefund).to.equal(1250);
    const cancelRefund = await refundsOf(orders.cancelledPaid.orderNo);
    expect(cancelRefund).to.equal(orders.cancelledPaid.totalFen);
    // The late payment turned away was refunded too, but its order was never paid: it was never
    // in the GMV, so there is nothing to take back from it.
    expect(await refundsOf(orders.refundedLate.orderNo)).to.equal(orders.refundedLate.totalFen);

    // The shop's figure of the day moved by this story alone: every order placed, the kept ones
    // paid, GMV their totals less the short pick, refunds the cancellation and the short pick,
    // and one repeat (the second order of the buyer who ordered twice, paid).
    const keptTotal = kept.reduce((s, o) => s + o.totalFen, 0);
    const shopMoves: Record<string, Record<string, number>> = {};
    for (const o of mine) {
      const id = Object.keys(rebuilt).find((key) => {
        const f = rebuilt[key]!;
        return (
          f.kind === 'shop' &&
          f.day === chinaDay(o.createdAt) &&
          f.keys.shopId === String(o.shopId) &&
          f.keys.channel === o.channel
        );
      })!;
      expect(id, `shop figure of ${o.orderNo}`).to.be.a('string');
      shopMoves[id] ??= moved(baseline[id], rebuilt[id]);
    }
    const shopMoved: Record<string, number> = {};
    for (const n of Object.values(shopMoves)) add(shopMoved, n);
    expect(shopMoved).to.deep.equal({
      placed: 12,
      paid: 5,
      gmvFen: keptTotal - shortRefund,
      refundFen: cancelRefund + shortRefund,
      repeatPaid: 1,
    });
    expect(keptTotal - shortRefund).to.equal(
      orders.paidLate.totalFen +
        orders.delivered1.totalFen +
        orders.delivered2.totalFen +
        orders.held.totalFen +
        orders.shortPicked.totalFen -
        1250,
    );

    // Where the paid orders go: Beijing, by the same money.
    const provinceMoved: Record<string, number> = {};
    for (const id of Object.keys(rebuilt).filter((k) => rebuilt[k]!.kind === 'province'))
      if (rebuilt[id]!.keys.province === '北京市')
        add(provinceMoved, moved(baseline[id], rebuilt[id]));
    expect(provinceMoved).to.deep.equal({ paid: 5, gmvFen: keptTotal - shortRefund });

    // The SKUs no one else sells: units and GMV of the kept orders only (A: the delivered pair;
    // not the cancelled, the expired or the unpaid one. B: the repeat, the held, the late one).
    for (const [sku, units, priceFen] of [
      [skus.a, 2, 1990],
      [skus.b, 3, 2680],
    ] as const) {
      const figures = Object.values(rebuilt).filter(
        (f) => f.kind === 'sku' && f.keys.skuId === sku,
      );
      const total: Record<string, number> = {};
      for (const f of figures) add(total, f.n);
      expect(total, `sku ${sku}`).to.deep.equal({ units, gmvFen: units * priceFen });
    }

    // Every order counted once, by its status now (the whole collection: every test's orders).
    const byStatus: Record<string, number> = {};
    for (const o of await OrderModel.find({}, { status: 1 }).lean())
      byStatus[o.status] = (byStatus[o.status] ?? 0) + 1;
    const statusFigures: Record<string, number> = {};
    for (const f of Object.values(rebuilt))
      if (f.kind === 'status') statusFigures[f.keys.status!] = f.n.orders!;
    expect(statusFigures).to.deep.equal(byStatus);

    // The hub's exceptions and the couriers' handovers, from the parcels themselves.
    const parcels = await ParcelModel.find({}).lean();
    const exceptions: Record<string, number> = {};
    const handovers: Record<string, Record<string, number>> = {};
    const handed = parcels.filter((p) => p.handedOverAt && p.courierCode);
    const paidAt = new Map<string, Date>();
    for (const o of await OrderModel.find(
      { orderNo: { $in: handed.flatMap((p) => p.orderNos) } },
      { orderNo: 1, timeline: 1 },
    ).lean()) {
      const at = o.timeline.filter((t) => t.to === 'paid').at(-1)?.at;
      if (at) paidAt.set(o.orderNo, at);
    }
    for (const p of parcels)
      for (const e of p.exceptions) {
        const key = `${chinaDay(e.at)}|${e.code}`;
        exceptions[key] = (exceptions[key] ?? 0) + 1;
      }
    for (const p of handed) {
      const key = `${chinaDay(p.handedOverAt!)}|${p.courierCode}`;
      const times = p.orderNos.flatMap((no) => (paidAt.has(no) ? [paidAt.get(no)!.getTime()] : []));
      const paid = times.length ? Math.max(...times) : undefined;
      add((handovers[key] ??= {}), {
        handedOver: 1,
        timed: paid === undefined ? 0 : 1,
        paidToHandoverMin:
          paid === undefined
            ? 0
            : Math.max(0, Math.round((p.handedOverAt!.getTime() - paid) / 60_000)),
      });
    }
    const exceptionFigures: Record<string, number> = {};
    const courierFigures: Record<string, Record<string, number>> = {};
    for (const f of Object.values(rebuilt)) {
      if (f.kind === 'exception') exceptionFigures[`${f.day}|${f.keys.reason}`] = f.n.parcels!;
      if (f.kind === 'courier') {
        const { onTime = 0, late = 0, ...rest } = f.n;
        expect(onTime + late, `on time or late: ${f.day} ${f.keys.courierCode}`).to.equal(
          f.n.timed ?? 0,
        );
        courierFigures[`${f.day}|${f.keys.courierCode}`] = rest;
      }
    }
    expect(exceptionFigures).to.deep.equal(exceptions);
    expect(courierFigures).to.deep.equal(
      Object.fromEntries(Object.entries(handovers).map(([k, n]) => [k, nonZero(n)])),
    );
    const exceptionsMoved: Record<string, number> = {};
    for (const id of Object.keys(rebuilt).filter((k) => rebuilt[k]!.kind === 'exception'))
      exceptionsMoved[rebuilt[id]!.keys.reason!] =
        (exceptionsMoved[rebuilt[id]!.keys.reason!] ?? 0) +
        (moved(baseline[id], rebuilt[id]).parcels ?? 0);
    expect(exceptionsMoved).to.include({ short_pick: 1, address_unreachable: 1 });
    const held = (await ParcelModel.findOne({ parcelNo: heldParcelNo }).lean())!;
    expect(held.exceptions.map((e) => e.code)).to.deep.equal(['address_unreachable']);
    expect(held.handedOverAt).to.equal(undefined);

    // The scans, from the codes themselves; this story's two codes, three scans, in Beijing.
    const codes = await TraceCodeModel.find({ scans: { $gt: 0 } }).lean();
    const provinceOf = new Map(parcels.map((p) => [p.parcelNo, p.address.province]));
    const scans: Record<string, Record<string, number>> = {};
    for (const code of codes)
      add((scans[`${chinaDay(code.firstScanAt!)}|${provinceOf.get(code.parcelNo) ?? ''}`] ??= {}), {
        codes: 1,
        scans: code.scans,
      });
    const scanFigures: Record<string, Record<string, number>> = {};
    const scansMoved: Record<string, number> = {};
    for (const [id, f] of Object.entries(rebuilt))
      if (f.kind === 'scans') {
        scanFigures[`${f.day}|${f.keys.province}`] = f.n;
        if (f.keys.province === '北京市') add(scansMoved, moved(baseline[id], f));
      }
    expect(scanFigures).to.deep.equal(scans);
    expect(scansMoved).to.deep.equal({ codes: 2, scans: 3 });
  });

  it('counting the same records again, directly or as a replayed job, changes nothing', async () => {
    expect(rebuilt, 'no rebuild to check').to.be.an('object');
    const county = services().county;
    const orderNos = Object.values(orders).map((o) => o.orderNo);
    expect(await county.countOrders(orderNos)).to.equal(0);
    expect(await county.countParcels([...parcelNos])).to.equal(0);
    expect(await county.countCodes(scannedCodes)).to.equal(0);
    expect(differences(rebuilt, await snapshot())).to.deep.equal([]);

    // Every record noted as changed again (an event replayed, a note taken twice), counted by
    // the worker's own passes.
    const worker = scene.workers!.workers.find((w) => w.name === COUNTY_FIGURES_QUEUE)!;
    const taken = { orders: 0, parcels: 0, codes: 0 };
    const onCompleted = (_job: unknown, result: unknown) => {
      const r = (result ?? {}) as Partial<typeof taken>;
      for (const kind of ['orders', 'parcels', 'codes'] as const) taken[kind] += r[kind] ?? 0;
    };
    worker.on('completed', onCompleted);
    try {
      county.noteOrders(orderNos);
      county.noteParcels([...parcelNos]);
      county.noteCodes(scannedCodes);
      await county.flushNotes();
      await services().queues.countyFigures.resume();
      await eventually(
        async () =>
          taken.orders >= orderNos.length &&
          taken.parcels >= parcelNos.size &&
          taken.codes >= scannedCodes.length,
        WORKER_COUNTS,
      );
    } finally {
      worker.off('completed', onCompleted);
    }
    await quiet();
    expect(differences(rebuilt, await snapshot())).to.deep.equal([]);
  });

  /** The figures that moved from `a` to `b`, by kind and what they are of. */
  function movements(a: Figures, b: Figures): Record<string, Record<string, number>> {
    const out: Record<string, Record<string, number>> = {};
    for (const id of new Set([...Object.keys(a), ...Object.keys(b)])) {
      const n = moved(a[id], b[id]);
      if (Object.keys(n).length === 0) continue;
      const { kind, keys } = (b[id] ?? a[id])!;
      out[
        `${kind}:${keys.status ?? keys.province ?? keys.skuId ?? keys.reason ?? keys.courierCode ?? keys.shopId ?? ''}`
      ] = n;
    }
    return out;
  }

  it('a delivery the courier reports failed is counted as the exception it adds', async () => {
    expect(rebuilt, 'no rebuild to check').to.be.an('object');
    const county = services().county;
    try {
      const was = await snapshot();
      const parcel = (await ParcelModel.findOne({ parcelNo: inTransitParcelNo }).lean())!;
      expect(parcel.status).to.equal('in_transit');
      const failed = await courierEvent(
        scene.web,
        parcel.courierCode!,
        parcel.waybillNo!,
        'failed',
      );
      expect(failed.status).to.equal(200);
      const after = (await ParcelModel.findOne({ parcelNo: inTransitParcelNo }).lean())!;
      expect(after.exceptions.map((e) => e.code)).to.include('address_unreachable');
      await countEverything();
      const counted = await snapshot();
      await county.rebuild();
      expect(differences(counted, await snapshot())).to.deep.equal([]);
      expect(movements(was, counted)).to.deep.equal({
        'exception:address_unreachable': { parcels: 1 },
      });
    } finally {
      // Right figures for the tests after this one, whatever happened here.
      await county.rebuild();
    }
  });

  const PENDING = 'status||pending_payment';
  const CANCELLED = 'status||cancelled';

  /** The figures other than the status ones, which a cancellation moves. */
  const withoutStatus = (figures: Figures) =>
    Object.fromEntries(Object.entries(figures).filter(([id]) => !id.startsWith('status|')));

  it('a batch cut short after its figures, before it left the journal, is not counted twice', async () => {
    expect(rebuilt, 'no rebuild to check').to.be.an('object');
    const county = services().county;
    const { orderNo } = orders.unpaid2;
    const was = await snapshot();
    // A real change: the buyer cancels an unpaid order (its status figures move by one each).
    await services().orders.cancelUnpaidOrder(actors[1], orderNo);

    // The process dies once the batch is written, before its journal entry is removed.
    const removeFromJournal = CountyJournalModel.deleteOne;
    CountyJournalModel.deleteOne = (() =>
      Promise.reject(new Error('the process died before the journal was tidied'))) as never;
    try {
      await county.countOrders([orderNo]).then(
        () => expect.fail('the batch was not cut short'),
        (error: Error) => expect(error.message).to.include('died'),
      );
    } finally {
      CountyJournalModel.deleteOne = removeFromJournal;
    }
    const cut = await CountyJournalModel.find({}).lean();
    expect(cut, 'the batch is left in the journal').to.have.length(1);
    const counted = await snapshot();
    expect(moved(was[PENDING], counted[PENDING])).to.deep.equal({ orders: -1 });
    expect(moved(was[CANCELLED], counted[CANCELLED])).to.deep.equal({ orders: 1 });
    expect(differences(withoutStatus(was), withoutStatus(counted))).to.deep.equal([]);

    // The next worker to start applies it again: nothing moves.
    await new FigureLedger().finishCutShort();
    expect(await CountyJournalModel.countDocuments()).to.equal(0);
    expect(differences(counted, await snapshot())).to.deep.equal([]);
    // The same journal entry once more (written back the way apply() writes it): nothing moves.
    await CountyJournalModel.create(cut[0] as unknown as Record<string, unknown>);
    await new FigureLedger().finishCutShort();
    expect(await CountyJournalModel.countDocuments()).to.equal(0);
    expect(differences(counted, await snapshot())).to.deep.equal([]);
    // Nor does counting the order again.
    expect(await county.countOrders([orderNo])).to.equal(0);
    expect(differences(counted, await snapshot())).to.deep.equal([]);
  });

  it('a batch cut short part-way through its figures is finished, each figure counted once', async () => {
    expect(rebuilt, 'no rebuild to check').to.be.an('object');
    const county = services().county;
    const { orderNo, totalFen, shopId } = orders.held;
    try {
      const was = await snapshot();
      // A real change that moves four day documents: the buyer of the held parcel cancels the
      // paid order and gets it all back (shop, status, province and SKU figures).
      await services().payments.cancelPaidOrder(actors[7], orderNo);
      const expected = {
        [`shop:${String(shopId)}`]: { paid: -1, gmvFen: -totalFen, refundFen: totalFen },
        'status:routed': { orders: -1 },
        'status:cancelled': { orders: 1 },
        'province:北京市': { paid: -1, gmvFen: -totalFen },
        [`sku:${skus.b}`]: { units: -1, gmvFen: -2680 },
      };

      // The process dies after the database applied the batch's first day document, before the
      // rest (they go in one bulk write, one update per day document).
      const figureWrites = CountyFigureDayModel.bulkWrite;
      let crashed = 0;
      CountyFigureDayModel.bulkWrite = async function (this: unknown, ops, options) {
        expect(ops.length, 'day documents in the batch').to.be.greaterThan(1);
        await figureWrites.call(CountyFigureDayModel, ops.slice(0, 1), options);
        crashed++;
        throw new Error('the process died in the middle of the batch');
      } as typeof figureWrites;
      try {
        await county.countOrders([orderNo]).then(
          () => expect.fail('the batch was not cut short'),
          (error: Error) => expect(error.message).to.include('died'),
        );
      } finally {
        CountyFigureDayModel.bulkWrite = figureWrites;
      }
      expect(crashed).to.equal(1);
      expect(
        await CountyJournalModel.countDocuments(),
        'the batch is left in the journal',
      ).to.equal(1);
      const halfway = movements(was, await snapshot());
      expect(Object.keys(halfway).length, JSON.stringify(halfway)).to.be.within(1, 2);

      // The next worker to start finishes it: the day already written is not counted again,
      // the ones not yet written are.
      await new FigureLedger().finishCutShort();
      expect(await CountyJournalModel.countDocuments()).to.equal(0);
      expect(movements(was, await snapshot())).to.deep.equal(expected);
      expect(await county.countOrders([orderNo])).to.equal(0);
      expect(movements(was, await snapshot())).to.deep.equal(expected);

      // And the figures are still those of a rebuild.
      await countEverything();
      const now = await snapshot();
      await county.rebuild();
      expect(differences(now, await snapshot())).to.deep.equal([]);
    } finally {
      // Right figures for whatever runs next, whatever happened here.
      await CountyJournalModel.deleteMany({});
      await county.rebuild();
      await resumeAll(services());
    }
  });
});
