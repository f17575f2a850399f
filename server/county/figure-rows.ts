// What one order, parcel or trace code adds to the county's figures, as rows keyed by the
// figure they count in. Pure functions of the record as it is now: the ledger adds the
// difference between a record's new rows and the ones it last added, and a rebuild adds every
// record's rows from nothing, so the two give the same figures by construction.
import { chinaClock, chinaDay, shiftChinaDay } from '../core/china-time.ts';
import { PAID_STATUSES, type Order, type OrderStatus } from '../orders/order-reads.ts';

export const FIGURE_KINDS = [
  'shop', // day × shop × channel: placed, paid, gmvFen, refundFen, repeatPaid
  'sku', // day × sku × channel: units, gmvFen (paid orders not given back)
  'province', // day × destination province: paid, gmvFen
  'status', // (now) orders by status: orders
  'courier', // handover day × courier: handedOver, onTime, late, paidToHandoverMin, timed
  'exception', // day × hub exception reason: parcels
  'scans', // first-scan day × destination province: codes, scans
  'copied', // (now) trace codes scanned far more often than one household would: scans
] as const;
export type FigureKind = (typeof FIGURE_KINDS)[number];

export interface FigureRow {
  id: string;
  kind: FigureKind;
  day?: string;
  keys: Record<string, string>;
  n: Record<string, number>;
}

/** The day document a row counts in (`kind|day`), and its cell there (the keys). */
export function bucketOf(r: Pick<FigureRow, 'kind' | 'day'>): string {
  return `${r.kind}|${r.day ?? ''}`;
}

export function cellOf(r: Pick<FigureRow, 'keys'>): string {
  // A cell is a field name: no dots, no leading dollar.
  return Object.values(r.keys).join('|').replace(/[.$]/g, '_');
}

function row(
  kind: FigureKind,
  day: string | undefined,
  keys: Record<string, string>,
  n: Record<string, number>,
): FigureRow {
  return { id: [kind, day ?? '', ...Object.values(keys)].join('|'), kind, day, keys, n };
}

/** Statuses whose money went back to the buyer in full (or never came). */
const MONEY_RETURNED: OrderStatus[] = ['cancelled', 'refunded', 'expired'];

export type OrderFacts = Pick<
  Order,
  'orderNo' | 'shopId' | 'channel' | 'status' | 'totalFen' | 'lines' | 'timeline'
> & { createdAt: Date; address?: { province: string } | null };

/**
 * An order's rows. It counts on the China day it was placed: placed always; paid, GMV (what was
 * paid less what was refunded) and its SKUs' units while its money is kept; the refund once
 * money went back. `repeat`: the buyer had ordered from this shop before.
 */
export function orderRows(
  order: OrderFacts,
  context: { villageId: string; repeat: boolean },
): FigureRow[] {
  const day = chinaDay(order.createdAt);
  const channel = order.channel;
  const everPaid = order.timeline.some((t) => t.to === 'paid');
  const kept = PAID_STATUSES.includes(order.status);
  const shortRefunds = order.timeline
    .filter((t) => t.reason === 'timeline.shortPickRefund')
    .reduce((sum, t) => sum + Number((t.params as { amountFen?: number })?.amountFen ?? 0), 0);
  const refundFen = !everPaid
    ? 0
    : MONEY_RETURNED.includes(order.status)
      ? order.totalFen
      : Math.min(order.totalFen, shortRefunds);
  const gmvFen = kept ? order.totalFen - refundFen : 0;
  const rows = [
    row(
      'shop',
      day,
      { shopId: String(order.shopId), villageId: context.villageId, channel },
      {
        placed: 1,
        paid: kept ? 1 : 0,
        gmvFen,
        refundFen,
        repeatPaid: kept && context.repeat ? 1 : 0,
      },
    ),
    row('status', undefined, { status: order.status }, { orders: 1 }),
  ];
  if (kept) {
    rows.push(
      row('province', day, { province: order.address?.province ?? '' }, { paid: 1, gmvFen }),
    );
    for (const line of order.lines)
      rows.push(
        row(
          'sku',
          day,
          { skuId: String(line.skuId), shopId: String(order.shopId), channel },
          { units: line.quantity, gmvFen: line.lineTotalFen },
        ),
      );
  }
  return rows;
}

export interface ParcelFacts {
  parcelNo: string;
  courierCode?: string | null;
  address: { province: string };
  handedOverAt?: Date | null;
  exceptions: { code: string; at: Date }[];
}

/**
 * When a parcel was due at the handover: the first courier cut-off after it was paid for (the
 * same day if paid before the cut-off, else the next day), China time.
 */
export function handoverDue(paidAt: Date, pickupCutoff: string): Date {
  const clock = chinaClock(paidAt);
  const [hours, minutes] = pickupCutoff.split(':').map(Number) as [number, number];
  const cutoffMinutes = hours * 60 + minutes;
  const day = clock.minutes < cutoffMinutes ? clock.date : shiftChinaDay(clock.date, 1);
  return new Date(`${day}T${pickupCutoff}:00+08:00`);
}

/**
 * A parcel's rows: once handed over, one parcel for its courier on that China day, on time or
 * late against the courier's cut-off, with the minutes from payment; each exception on its day.
 */
export function parcelRows(
  parcel: ParcelFacts,
  context: { paidAt?: Date; pickupCutoff?: string },
): FigureRow[] {
  const rows: FigureRow[] = [];
  if (parcel.handedOverAt && parcel.courierCode) {
    const handed = parcel.handedOverAt;
    const due =
      context.paidAt && context.pickupCutoff
        ? handoverDue(context.paidAt, context.pickupCutoff)
        : undefined;
    const late = due !== undefined && handed.getTime() > due.getTime();
    rows.push(
      row(
        'courier',
        chinaDay(handed),
        { courierCode: parcel.courierCode },
        {
          handedOver: 1,
          onTime: due && !late ? 1 : 0,
          late: late ? 1 : 0,
          paidToHandoverMin: context.paidAt
            ? Math.max(0, Math.round((handed.getTime() - context.paidAt.getTime()) / 60_000))
            : 0,
          timed: context.paidAt ? 1 : 0,
        },
      ),
    );
  }
  for (const exception of parcel.exceptions)
    rows.push(row('exception', chinaDay(exception.at), { reason: exception.code }, { parcels: 1 }));
  return rows;
}

/** A trace code's rows: its scans, on the day of its first scan, by where its parcel went. */
export function codeRows(
  code: { scans: number; firstScanAt?: Date | null },
  province: string,
): FigureRow[] {
  if (!code.firstScanAt || code.scans <= 0) return [];
  return [row('scans', chinaDay(code.firstScanAt), { province }, { codes: 1, scans: code.scans })];
}

/** Sums rows by figure: the figures a set of records make from nothing. */
export function sumRows(rows: Iterable<FigureRow>): Map<string, FigureRow> {
  const figures = new Map<string, FigureRow>();
  for (const r of rows) {
    const figure = figures.get(r.id) ?? { ...r, n: {} };
    for (const [name, value] of Object.entries(r.n)) figure.n[name] = (figure.n[name] ?? 0) + value;
    figures.set(r.id, figure);
  }
  return figures;
}

/** What moves each figure when a record's rows change from `before` to `after`. */
export function rowDeltas(before: FigureRow[], after: FigureRow[]): FigureRow[] {
  const minus = before.map((r) => ({
    ...r,
    n: Object.fromEntries(Object.entries(r.n).map(([k, v]) => [k, -v])),
  }));
  return [...sumRows([...minus, ...after]).values()].filter((r) =>
    Object.values(r.n).some((v) => v !== 0),
  );
}
