// What one order, parcel or trace code adds to the county's figures (server/county/figure-rows.ts):
// pure functions, so every rule of issue #14 is checked here without a database, and the
// difference rule that makes the ledger and a rebuild agree is checked on random rows.
import { expect } from 'chai';
import fc from 'fast-check';
import { Types } from 'mongoose';
import { dayDocuments } from '../../server/county/figure-ledger.ts';
import {
  bucketOf,
  cellOf,
  codeRows,
  handoverDue,
  orderRows,
  parcelRows,
  rowDeltas,
  sumRows,
  FIGURE_KINDS,
  type FigureKind,
  type FigureRow,
  type OrderFacts,
  type ParcelFacts,
} from '../../server/county/figure-rows.ts';
import { PAID_STATUSES, type OrderStatus } from '../../server/orders/order-reads.ts';
import { ORDER_TRANSITIONS } from '../../server/orders/order-states.ts';

const SHOP = new Types.ObjectId();
const SKU_A = new Types.ObjectId();
const SKU_B = new Types.ObjectId();
const VILLAGE = 'village-1';
/** 01:00 on 1 December in China, still 30 November in UTC: the China day is the one counted. */
const PLACED = new Date('2026-12-01T01:00:00+08:00');
const at = (iso: string) => new Date(iso);

type Step = { to: OrderStatus; reason?: string; params?: Record<string, unknown>; at?: Date };

/** An order of two lines (2 × 1990 + 1 × 2680 fen, 1000 fen shipping) that went through `steps`. */
function order(steps: Step[] = [], overrides: Partial<OrderFacts> = {}): OrderFacts {
  const timeline = [{ to: 'pending_payment' as OrderStatus }, ...steps].map((s, i, all) => ({
    at: s.at ?? new Date(PLACED.getTime() + i * 60_000),
    from: i === 0 ? null : all[i - 1]!.to,
    to: s.to,
    actor: 'system:test',
    reason: s.reason ?? `timeline.${s.to}`,
    ...(s.params ? { params: s.params } : {}),
  }));
  return {
    orderNo: 'CB20261201000001',
    shopId: SHOP,
    channel: 'storefront',
    status: timeline.at(-1)!.to,
    totalFen: 7660,
    lines: [
      { skuId: SKU_A, quantity: 2, unitPriceFen: 1990, lineTotalFen: 3980 },
      { skuId: SKU_B, quantity: 1, unitPriceFen: 2680, lineTotalFen: 2680 },
    ] as unknown as OrderFacts['lines'],
    timeline: timeline as unknown as OrderFacts['timeline'],
    createdAt: PLACED,
    address: { province: '北京市' },
    ...overrides,
  };
}

const PAID: Step[] = [{ to: 'paid' }];
const shortPick = (amountFen: number): Step => ({
  to: 'partially_refunded',
  reason: 'timeline.shortPickRefund',
  params: { amountFen },
});

function rowsOf(rows: FigureRow[], kind: FigureKind): FigureRow[] {
  return rows.filter((r) => r.kind === kind);
}

function only(rows: FigureRow[], kind: FigureKind): FigureRow {
  const found = rowsOf(rows, kind);
  expect(found, kind).to.have.length(1);
  return found[0]!;
}

/** Every counter of every row is a safe integer (money is integer fen throughout). */
function expectIntegers(rows: FigureRow[]): void {
  for (const r of rows)
    for (const [name, value] of Object.entries(r.n))
      expect(Number.isSafeInteger(value), `${r.id} ${name}=${value}`).to.equal(true);
}

/** A figure's counters without the zeros: a zero counter and an absent one are the same. */
function nonZero(figures: Map<string, FigureRow>): Record<string, Record<string, number>> {
  const out: Record<string, Record<string, number>> = {};
  for (const [id, f] of figures) {
    const n = Object.fromEntries(Object.entries(f.n).filter(([, v]) => v !== 0));
    if (Object.keys(n).length > 0) out[id] = n;
  }
  return out;
}

const context = { villageId: VILLAGE, repeat: false };

describe('county figure rows (figure-rows.ts)', () => {
  describe('orderRows', () => {
    it('an unpaid order counts as placed only, on the China day it was placed', () => {
      const rows = orderRows(order(), context);
      expect(rows.map((r) => r.kind).sort()).to.deep.equal(['shop', 'status']);
      const shop = only(rows, 'shop');
      expect(shop.day).to.equal('2026-12-01');
      expect(shop.keys).to.deep.equal({
        shopId: String(SHOP),
        villageId: VILLAGE,
        channel: 'storefront',
      });
      expect(shop.n).to.deep.equal({ placed: 1, paid: 0, gmvFen: 0, refundFen: 0, repeatPaid: 0 });
      expect(only(rows, 'status')).to.deep.include({
        day: undefined,
        keys: { status: 'pending_payment' },
        n: { orders: 1 },
      });
      expectIntegers(rows);
    });

    it('a paid order counts paid, its total as GMV, its SKUs’ units and its province', () => {
      const rows = orderRows(order(PAID), context);
      expect(only(rows, 'shop').n).to.deep.equal({
        placed: 1,
        paid: 1,
        gmvFen: 7660,
        refundFen: 0,
        repeatPaid: 0,
      });
      expect(only(rows, 'province')).to.deep.include({
        day: '2026-12-01',
        keys: { province: '北京市' },
        n: { paid: 1, gmvFen: 7660 },
      });
      const skus = rowsOf(rows, 'sku').map((r) => ({ day: r.day, keys: r.keys, n: r.n }));
      expect(skus).to.have.deep.members([
        {
          day: '2026-12-01',
          keys: { skuId: String(SKU_A), shopId: String(SHOP), channel: 'storefront' },
          n: { units: 2, gmvFen: 3980 },
        },
        {
          day: '2026-12-01',
          keys: { skuId: String(SKU_B), shopId: String(SHOP), channel: 'storefront' },
          n: { units: 1, gmvFen: 2680 },
        },
      ]);
      expect(only(rows, 'status').keys).to.deep.equal({ status: 'paid' });
      expectIntegers(rows);
    });

    it('every paid status further on (routed … delivered) still counts the money as kept', () => {
      const path: OrderStatus[] = ['routed', 'picking', 'packed', 'shipped', 'delivered'];
      for (let i = 1; i <= path.length; i++) {
        const rows = orderRows(
          order([...PAID, ...path.slice(0, i).map((to) => ({ to }))]),
          context,
        );
        expect(only(rows, 'shop').n, path[i - 1]).to.include({ paid: 1, gmvFen: 7660 });
        expect(only(rows, 'status').keys).to.deep.equal({ status: path[i - 1] });
      }
    });

    it('a short-pick refund subtracts its amount from GMV and counts as refunded', () => {
      const steps = [
        ...PAID,
        { to: 'routed' as const },
        { to: 'picking' as const },
        shortPick(1990),
      ];
      const rows = orderRows(order(steps), context);
      expect(only(rows, 'shop').n).to.deep.equal({
        placed: 1,
        paid: 1,
        gmvFen: 7660 - 1990,
        refundFen: 1990,
        repeatPaid: 0,
      });
      expect(only(rows, 'province').n).to.deep.equal({ paid: 1, gmvFen: 7660 - 1990 });
      expect(only(rows, 'status').keys).to.deep.equal({ status: 'partially_refunded' });
      // Packed and shipped afterwards, the refund stays subtracted.
      const later = orderRows(
        order([...steps, { to: 'packed' }, { to: 'shipped' }, { to: 'delivered' }]),
        context,
      );
      expect(only(later, 'shop').n).to.include({ gmvFen: 7660 - 1990, refundFen: 1990 });
      expectIntegers(rows);
    });

    it('several short-pick refunds add up, and never to more than the total', () => {
      const two = order([...PAID, shortPick(1990), shortPick(2680)]);
      expect(only(orderRows(two, context), 'shop').n).to.include({
        gmvFen: 7660 - 1990 - 2680,
        refundFen: 1990 + 2680,
      });
      const tooMuch = order([...PAID, shortPick(5000), shortPick(5000)]);
      expect(only(orderRows(tooMuch, context), 'shop').n).to.include({
        gmvFen: 0,
        refundFen: 7660,
      });
    });

    it('cancelled or refunded after paying: no GMV, the whole total refunded, no SKU or province rows', () => {
      const histories: Step[][] = [
        [...PAID, { to: 'cancelled' }],
        [...PAID, { to: 'routed' }, { to: 'cancelled' }],
        [...PAID, { to: 'refunded' }],
        [
          ...PAID,
          ...(['routed', 'picking', 'packed', 'shipped', 'delivered'] as const).map((to) => ({
            to,
          })),
          { to: 'refunded' },
        ],
        // A short pick first, then the rest refunded: the total, not the total plus the pick.
        [
          ...PAID,
          shortPick(1990),
          { to: 'packed' },
          { to: 'shipped' },
          { to: 'delivered' },
          { to: 'refunded' },
        ],
      ];
      for (const steps of histories) {
        const label = steps.map((s) => s.to).join('→');
        const rows = orderRows(order(steps), context);
        expect(only(rows, 'shop').n, label).to.deep.equal({
          placed: 1,
          paid: 0,
          gmvFen: 0,
          refundFen: 7660,
          repeatPaid: 0,
        });
        expect(rowsOf(rows, 'sku'), label).to.deep.equal([]);
        expect(rowsOf(rows, 'province'), label).to.deep.equal([]);
        expectIntegers(rows);
      }
    });

    it('cancelled or expired before paying: placed, nothing paid, nothing refunded', () => {
      for (const to of ['cancelled', 'expired'] as const) {
        const rows = orderRows(order([{ to }]), context);
        expect(only(rows, 'shop').n, to).to.deep.equal({
          placed: 1,
          paid: 0,
          gmvFen: 0,
          refundFen: 0,
          repeatPaid: 0,
        });
        expect(only(rows, 'status').keys).to.deep.equal({ status: to });
      }
    });

    it('paid late after expiring: counted as paid, the payment kept', () => {
      const rows = orderRows(order([{ to: 'expired' }, { to: 'paid' }]), context);
      expect(only(rows, 'shop').n).to.include({ paid: 1, gmvFen: 7660, refundFen: 0 });
    });

    it('a repeat buyer’s order counts as a repeat once it is paid, and stops when refunded', () => {
      const repeat = { villageId: VILLAGE, repeat: true };
      expect(only(orderRows(order(), repeat), 'shop').n.repeatPaid).to.equal(0);
      expect(only(orderRows(order(PAID), repeat), 'shop').n.repeatPaid).to.equal(1);
      expect(only(orderRows(order(PAID), context), 'shop').n.repeatPaid).to.equal(0);
      const cancelled = order([...PAID, { to: 'cancelled' }]);
      expect(only(orderRows(cancelled, repeat), 'shop').n.repeatPaid).to.equal(0);
    });

    it('an order without an address counts under an empty province', () => {
      const rows = orderRows(order(PAID, { address: null }), context);
      expect(only(rows, 'province').keys).to.deep.equal({ province: '' });
    });

    it('its status row moves when the status does; the shop row moves by the money', () => {
      const before = orderRows(order(), context);
      const after = orderRows(order(PAID), context);
      const deltas = rowDeltas(before, after);
      const status = rowsOf(deltas, 'status').map((r) => [r.keys.status, r.n.orders]);
      expect(status).to.have.deep.members([
        ['pending_payment', -1],
        ['paid', 1],
      ]);
      expect(only(deltas, 'shop').n).to.deep.equal({
        placed: 0,
        paid: 1,
        gmvFen: 7660,
        refundFen: 0,
        repeatPaid: 0,
      });
      expect(rowsOf(deltas, 'sku')).to.have.length(2);
      expect(only(deltas, 'province').n).to.deep.equal({ paid: 1, gmvFen: 7660 });
      // Cancelled afterwards: the paid rows go, the refund comes.
      const cancelled = rowDeltas(after, orderRows(order([...PAID, { to: 'cancelled' }]), context));
      expect(only(cancelled, 'shop').n).to.deep.equal({
        placed: 0,
        paid: -1,
        gmvFen: -7660,
        refundFen: 7660,
        repeatPaid: 0,
      });
      expect(rowsOf(cancelled, 'sku').map((r) => r.n)).to.have.deep.members([
        { units: -2, gmvFen: -3980 },
        { units: -1, gmvFen: -2680 },
      ]);
      expectIntegers([...deltas, ...cancelled]);
    });

    it('over any history the state table allows, counters are safe integers and GMV plus refund is the total once paid', () => {
      // A walk along ORDER_TRANSITIONS: each choice picks one of the moves out of the status.
      const historyArb = fc
        .array(fc.record({ pick: fc.nat(), amountFen: fc.integer({ min: 1, max: 500_000 }) }), {
          maxLength: 10,
        })
        .map((choices) => {
          const steps: Step[] = [];
          let status: OrderStatus = 'pending_payment';
          for (const { pick, amountFen } of choices) {
            const moves = ORDER_TRANSITIONS.filter((r) => r.from === status);
            if (moves.length === 0) break;
            status = moves[pick % moves.length]!.to;
            steps.push(status === 'partially_refunded' ? shortPick(amountFen) : { to: status });
          }
          return steps;
        });
      fc.assert(
        fc.property(
          historyArb,
          fc.integer({ min: 1, max: 50_000_000 }),
          fc.boolean(),
          (steps, totalFen, repeat) => {
            const facts = order(steps, { totalFen });
            const rows = orderRows(facts, { villageId: VILLAGE, repeat });
            expectIntegers(rows);
            const shop = only(rows, 'shop').n;
            const everPaid = steps.some((s) => s.to === 'paid');
            const kept = PAID_STATUSES.includes(facts.status);
            expect(shop.placed).to.equal(1);
            expect(shop.paid).to.equal(kept ? 1 : 0);
            expect(shop.repeatPaid).to.equal(kept && repeat ? 1 : 0);
            expect(shop.gmvFen).to.be.within(0, totalFen);
            expect(shop.refundFen).to.be.within(0, totalFen);
            expect(shop.gmvFen! + shop.refundFen!).to.equal(everPaid ? totalFen : 0);
            expect(rowsOf(rows, 'province')).to.have.length(kept ? 1 : 0);
            expect(only(rows, 'status').keys).to.deep.equal({ status: facts.status });
          },
        ),
      );
    });
  });

  describe('handoverDue', () => {
    it('paid before the cut-off: due at the cut-off that day (China time)', () => {
      expect(handoverDue(at('2026-12-01T09:00:00+08:00'), '17:30').toISOString()).to.equal(
        at('2026-12-01T17:30:00+08:00').toISOString(),
      );
      // 23:30 UTC on 30 November is 07:30 on 1 December in China.
      expect(handoverDue(at('2026-11-30T23:30:00Z'), '17:30').toISOString()).to.equal(
        at('2026-12-01T17:30:00+08:00').toISOString(),
      );
      expect(handoverDue(at('2026-12-01T17:29:59+08:00'), '17:30').toISOString()).to.equal(
        at('2026-12-01T17:30:00+08:00').toISOString(),
      );
    });

    it('paid at or after the cut-off: due at the cut-off the next day', () => {
      expect(handoverDue(at('2026-12-01T18:00:00+08:00'), '17:30').toISOString()).to.equal(
        at('2026-12-02T17:30:00+08:00').toISOString(),
      );
      expect(handoverDue(at('2026-12-01T17:30:00+08:00'), '17:30').toISOString()).to.equal(
        at('2026-12-02T17:30:00+08:00').toISOString(),
      );
      // Across the end of a month and of a year.
      expect(handoverDue(at('2026-12-31T20:00:00+08:00'), '16:00').toISOString()).to.equal(
        at('2027-01-01T16:00:00+08:00').toISOString(),
      );
      expect(handoverDue(at('2026-11-30T18:00:00+08:00'), '17:00').toISOString()).to.equal(
        at('2026-12-01T17:00:00+08:00').toISOString(),
      );
    });

    it('is always the first cut-off after the payment, within a day', () => {
      fc.assert(
        fc.property(
          fc.date({
            min: at('2020-01-01T00:00:00Z'),
            max: at('2035-01-01T00:00:00Z'),
            noInvalidDate: true,
          }),
          fc.integer({ min: 0, max: 23 }),
          fc.integer({ min: 0, max: 59 }),
          (paidAt, h, m) => {
            const cutoff = `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}`;
            const due = handoverDue(paidAt, cutoff);
            const ahead = due.getTime() - Math.floor(paidAt.getTime() / 60_000) * 60_000;
            expect(ahead).to.be.greaterThan(0);
            expect(ahead).to.be.at.most(24 * 3600_000);
            // The cut-off in China time: UTC+8 all year.
            const china = new Date(due.getTime() + 8 * 3600_000);
            expect([
              china.getUTCHours(),
              china.getUTCMinutes(),
              china.getUTCSeconds(),
            ]).to.deep.equal([h, m, 0]);
          },
        ),
      );
    });
  });

  describe('parcelRows', () => {
    const parcel = (overrides: Partial<ParcelFacts> = {}): ParcelFacts => ({
      parcelNo: 'P20261201-0001',
      courierCode: 'yto',
      address: { province: '北京市' },
      handedOverAt: at('2026-12-01T17:10:00+08:00'),
      exceptions: [],
      ...overrides,
    });
    const paidAt = at('2026-12-01T09:00:00+08:00');

    it('handed over before the cut-off: on time, with the minutes since payment', () => {
      const rows = parcelRows(parcel(), { paidAt, pickupCutoff: '17:30' });
      expect(rows).to.have.length(1);
      expect(only(rows, 'courier')).to.deep.include({
        day: '2026-12-01',
        keys: { courierCode: 'yto' },
        n: { handedOver: 1, onTime: 1, late: 0, paidToHandoverMin: 8 * 60 + 10, timed: 1 },
      });
      expectIntegers(rows);
    });

    it('handed over after the cut-off: late; paid after the cut-off: due the next day', () => {
      const late = parcelRows(parcel({ handedOverAt: at('2026-12-01T17:31:00+08:00') }), {
        paidAt,
        pickupCutoff: '17:30',
      });
      expect(only(late, 'courier').n).to.include({ onTime: 0, late: 1, paidToHandoverMin: 511 });
      const nextDay = parcelRows(parcel({ handedOverAt: at('2026-12-02T17:00:00+08:00') }), {
        paidAt: at('2026-12-01T18:00:00+08:00'),
        pickupCutoff: '17:30',
      });
      expect(only(nextDay, 'courier')).to.deep.include({ day: '2026-12-02' });
      expect(only(nextDay, 'courier').n).to.include({
        onTime: 1,
        late: 0,
        paidToHandoverMin: 23 * 60,
      });
    });

    it('rounds the minutes to whole ones and counts a handover just after midnight on its China day', () => {
      const rows = parcelRows(parcel({ handedOverAt: at('2026-12-01T16:30:29Z') }), {
        paidAt: at('2026-12-01T16:00:00Z'),
        pickupCutoff: '17:30',
      });
      // 16:30 UTC is 00:30 on 2 December in China.
      expect(only(rows, 'courier').day).to.equal('2026-12-02');
      expect(only(rows, 'courier').n.paidToHandoverMin).to.equal(30);
      expectIntegers(rows);
    });

    it('without a payment time or a cut-off it is neither on time nor late', () => {
      const untimed = parcelRows(parcel(), { pickupCutoff: '17:30' });
      expect(only(untimed, 'courier').n).to.deep.equal({
        handedOver: 1,
        onTime: 0,
        late: 0,
        paidToHandoverMin: 0,
        timed: 0,
      });
      const noCutoff = parcelRows(parcel(), { paidAt });
      expect(only(noCutoff, 'courier').n).to.include({ onTime: 0, late: 0, timed: 1 });
    });

    it('counts no handover before there is one, but every exception on its own day', () => {
      const exceptions = [
        { code: 'short_pick', at: at('2026-12-01T10:00:00+08:00') },
        { code: 'address_unreachable', at: at('2026-12-01T11:00:00+08:00') },
        { code: 'address_unreachable', at: at('2026-12-02T00:10:00+08:00') },
      ];
      const rows = parcelRows(parcel({ handedOverAt: null, exceptions }), {
        paidAt,
        pickupCutoff: '17:30',
      });
      expect(rowsOf(rows, 'courier')).to.deep.equal([]);
      expect(nonZero(sumRows(rows))).to.deep.equal({
        'exception|2026-12-01|short_pick': { parcels: 1 },
        'exception|2026-12-01|address_unreachable': { parcels: 1 },
        'exception|2026-12-02|address_unreachable': { parcels: 1 },
      });
      expect(parcelRows(parcel({ courierCode: null }), { paidAt })).to.deep.equal([]);
    });
  });

  describe('codeRows', () => {
    it('an unscanned code counts nothing; a scanned one its scans on its first day', () => {
      expect(codeRows({ scans: 0 }, '北京市')).to.deep.equal([]);
      expect(codeRows({ scans: 3, firstScanAt: null }, '北京市')).to.deep.equal([]);
      const rows = codeRows({ scans: 3, firstScanAt: at('2026-12-01T23:59:00+08:00') }, '北京市');
      expect(rows).to.have.length(1);
      expect(rows[0]).to.deep.include({
        kind: 'scans',
        day: '2026-12-01',
        keys: { province: '北京市' },
        n: { codes: 1, scans: 3 },
      });
    });
  });

  describe('rowDeltas and sumRows', () => {
    it('the same rows again move nothing', () => {
      const records = [
        orderRows(order(), context),
        orderRows(order([...PAID, shortPick(1990)]), { villageId: VILLAGE, repeat: true }),
        parcelRows(
          {
            parcelNo: 'P1',
            courierCode: 'sf',
            address: { province: '北京市' },
            handedOverAt: at('2026-12-01T17:00:00+08:00'),
            exceptions: [{ code: 'short_pick', at: at('2026-12-01T10:00:00+08:00') }],
          },
          { paidAt: at('2026-12-01T09:00:00+08:00'), pickupCutoff: '18:00' },
        ),
        codeRows({ scans: 2, firstScanAt: PLACED }, '北京市'),
      ];
      for (const rows of records) {
        expect(rowDeltas(rows, rows)).to.deep.equal([]);
        // Rows rebuilt from equal facts (new objects) move nothing either.
        expect(rowDeltas(rows, structuredClone(rows))).to.deep.equal([]);
      }
      expect(rowDeltas([], [])).to.deep.equal([]);
    });

    it('a record that goes away takes back exactly what it added', () => {
      const rows = orderRows(order(PAID), context);
      expect(nonZero(sumRows([...rows, ...rowDeltas(rows, [])]))).to.deep.equal({});
    });

    // Rows as random records would make them: a few kinds, days and keys, so that records share
    // figures, and counters that come and go.
    const rowArb: fc.Arbitrary<FigureRow> = fc
      .record({
        kind: fc.constantFrom(...FIGURE_KINDS),
        day: fc.option(fc.constantFrom('2026-11-30', '2026-12-01'), { nil: undefined }),
        key: fc.constantFrom('a', 'b', 'c'),
        n: fc.dictionary(
          fc.constantFrom('placed', 'paid', 'gmvFen', 'units', 'orders'),
          fc.integer({ min: -1_000_000, max: 1_000_000 }),
          { maxKeys: 4 },
        ),
      })
      .map(({ kind, day, key, n }) => ({
        id: [kind, day ?? '', key].join('|'),
        kind,
        day,
        keys: { key },
        n,
      }));

    it('applying rowDeltas(before, after) to the sum of before gives the sum of after', () => {
      fc.assert(
        fc.property(
          fc.array(rowArb, { maxLength: 20 }),
          fc.array(rowArb, { maxLength: 20 }),
          (before, after) => {
            const deltas = rowDeltas(before, after);
            expect(nonZero(sumRows([...before, ...deltas]))).to.deep.equal(nonZero(sumRows(after)));
            // No delta moves nothing, and each names one figure once.
            for (const d of deltas) expect(Object.values(d.n).some((v) => v !== 0)).to.equal(true);
            expect(new Set(deltas.map((d) => d.id)).size).to.equal(deltas.length);
            expectIntegers(deltas);
          },
        ),
      );
    });

    it('a record’s deltas over its whole history add up to its last rows (the ledger = a rebuild)', () => {
      fc.assert(
        fc.property(
          fc.array(fc.array(rowArb, { maxLength: 8 }), { minLength: 1, maxLength: 6 }),
          (versions) => {
            const kept: FigureRow[] = [];
            let last: FigureRow[] = [];
            for (const rows of versions) {
              kept.push(...rowDeltas(last, rows));
              last = rows;
            }
            expect(nonZero(sumRows(kept))).to.deep.equal(nonZero(sumRows(last)));
          },
        ),
      );
    });

    it('sums real records’ rows the same in any order', () => {
      const rows = [
        ...orderRows(order(PAID), context),
        ...orderRows(order([...PAID, { to: 'cancelled' }]), context),
        ...orderRows(order([...PAID, shortPick(500)]), { villageId: VILLAGE, repeat: true }),
        ...orderRows(order(), context),
      ];
      fc.assert(
        fc.property(fc.shuffledSubarray(rows, { minLength: rows.length }), (shuffled) => {
          expect(nonZero(sumRows(shuffled))).to.deep.equal(nonZero(sumRows(rows)));
        }),
      );
      expect(
        nonZero(sumRows(rows))[`shop|2026-12-01|${String(SHOP)}|${VILLAGE}|storefront`],
      ).to.deep.equal({
        placed: 4,
        paid: 2,
        gmvFen: 7660 + 7660 - 500,
        refundFen: 7660 + 500,
        repeatPaid: 1,
      });
    });
  });

  describe('day documents (bucketOf, cellOf, dayDocuments)', () => {
    it('a row counts in the document of its kind and day, in the cell of its keys', () => {
      const [shop, status] = orderRows(order(PAID), context);
      expect(bucketOf(shop!)).to.equal('shop|2026-12-01');
      expect(cellOf(shop!)).to.equal(`${String(SHOP)}|${VILLAGE}|storefront`);
      expect(bucketOf(status!)).to.equal('status|');
      expect(cellOf(status!)).to.equal('paid');
      // A cell is a field name: no dots, no leading dollar.
      expect(cellOf({ keys: { courierCode: '$a.b' } })).to.equal('_a_b');
    });

    it('keeps every figure of a set of records, each in one cell, its counters intact', () => {
      const rows = [
        ...orderRows(order(PAID), context),
        ...orderRows(order([...PAID, shortPick(500)]), { villageId: VILLAGE, repeat: true }),
        ...orderRows(
          order([{ to: 'cancelled' }], { createdAt: at('2026-12-02T10:00:00+08:00') }),
          context,
        ),
        ...parcelRows(
          {
            parcelNo: 'P1',
            courierCode: 'sf',
            address: { province: '北京市' },
            handedOverAt: at('2026-12-01T17:00:00+08:00'),
            exceptions: [{ code: 'short_pick', at: at('2026-12-01T10:00:00+08:00') }],
          },
          { paidAt: at('2026-12-01T09:00:00+08:00'), pickupCutoff: '18:00' },
        ),
        ...codeRows({ scans: 2, firstScanAt: PLACED }, '北京市'),
      ];
      const figures = sumRows(rows);
      const docs = dayDocuments(figures.values(), 7);
      expect(new Set(docs.map((d) => d._id)).size).to.equal(docs.length);
      const back = new Map<string, FigureRow>();
      for (const doc of docs) {
        expect(doc.lastBatch).to.equal(7);
        const cells = doc.cells as Record<
          string,
          { keys: Record<string, string>; n: Record<string, number> }
        >;
        for (const { keys, n } of Object.values(cells)) {
          const r = { kind: doc.kind as FigureKind, day: doc.day, keys, n };
          back.set([r.kind, r.day ?? '', ...Object.values(keys)].join('|'), { id: '', ...r });
        }
      }
      expect(back.size).to.equal(figures.size);
      expect(nonZero(back)).to.deep.equal(nonZero(figures));
    });
  });
});
