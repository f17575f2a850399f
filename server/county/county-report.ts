// The monthly report the county sends upward: each table as a CSV file (UTF-8 with a byte-order
// mark, so spreadsheet programs in China open it right), and a printable PDF summary in Chinese
// with its bar charts drawn in the PDF itself.
import { stringify } from 'csv-stringify/sync';
import type { Actor } from '../accounts/actor.ts';
import { Forbidden, NotFound } from '../core/errors.ts';
import { formatFen } from '../core/http/views.ts';
import { CJK, openPdf } from '../core/pdf/pdf-document.ts';
import { hubAndCouriers, products, provinces, villagesAndShops } from './county-dashboard.ts';
import { monthRange } from './county-range.ts';
import { audienceOf, type Translate } from './county-view.ts';

export const REPORT_TABLES = [
  'villages',
  'shops',
  'products',
  'couriers',
  'courier-days',
  'exceptions',
  'provinces',
] as const;
export type ReportTable = (typeof REPORT_TABLES)[number];
/** The tables hub staff may take (the logistics half). */
const LOGISTICS_TABLES: ReportTable[] = ['couriers', 'courier-days', 'exceptions'];

/** Money in a CSV cell: yuan with two decimals, no symbol (a spreadsheet sums it). */
const yuan = (fen: number) => (fen / 100).toFixed(2);

export async function reportCsv(
  actor: Actor | undefined,
  month: string,
  table: string,
  locale: string,
  t: Translate,
): Promise<string> {
  const audience = audienceOf(actor);
  if (!(REPORT_TABLES as readonly string[]).includes(table)) throw new NotFound('errors.notFound');
  const name = table as ReportTable;
  if (audience === 'logistics' && !LOGISTICS_TABLES.includes(name)) throw new Forbidden();
  const range = monthRange(month);
  const h = (key: string) => t(`county.csv.${key}`, {});
  let rows: (string | number)[][];
  if (name === 'villages' || name === 'shops') {
    const sales = await villagesAndShops(range, locale);
    rows = [
      [h('name'), h('gmvYuan'), h('orders'), h('repeatPct'), h('averageYuan'), h('refundYuan')],
      ...sales[name].map((r) => [
        r.name,
        yuan(r.gmvFen),
        r.orders,
        r.repeatPct,
        yuan(r.averageFen),
        yuan(r.refundFen),
      ]),
    ];
  } else if (name === 'products') {
    const goods = await products(range, locale);
    rows = [
      [h('sku'), h('units'), h('gmvYuan')],
      ...goods.top.map((p) => [p.name, p.units, yuan(p.gmvFen)]),
    ];
  } else if (name === 'provinces') {
    rows = [
      [h('province'), h('orders'), h('gmvYuan'), h('scans')],
      ...(await provinces(range)).map((p) => [p.province, p.orders, yuan(p.gmvFen), p.scans]),
    ];
  } else {
    const hub = await hubAndCouriers(range, locale);
    if (name === 'couriers')
      rows = [
        [h('courier'), h('parcels'), h('onTime'), h('late'), h('avgHours')],
        ...hub.couriers.map((c) => [c.name, c.parcels, c.onTime, c.late, c.avgHours ?? '']),
      ];
    else if (name === 'courier-days')
      rows = [[h('courier'), ...hub.days], ...hub.perDay.map((c) => [c.name, ...c.counts])];
    else
      rows = [
        [h('reason'), h('parcels')],
        ...hub.exceptions.map((e) => [t(`hubException.${e.reason}`, {}), e.parcels]),
      ];
  }
  return '\uFEFF' + stringify(rows);
}

/** The month on paper: headline figures, villages, products, couriers and provinces, with bars. */
export async function reportPdf(
  actor: Actor | undefined,
  month: string,
  locale: string,
  t: Translate,
): Promise<Buffer> {
  if (audienceOf(actor) !== 'county') throw new Forbidden();
  const range = monthRange(month);
  const [sales, goods, hub, where] = await Promise.all([
    villagesAndShops(range, locale),
    products(range, locale),
    hubAndCouriers(range, locale),
    provinces(range),
  ]);
  const { doc, finish } = openPdf({
    size: 'A4',
    margin: 48,
    title: t('county.report.title', { month }),
    subject: t('county.report.subject', {}),
    createdAt: new Date(`${range.to}T23:59:59+08:00`),
    creator: 'Cunbo county',
  });
  const width = doc.page.width - 96;
  const total = sales.shops.reduce(
    (s, r) => ({
      gmv: s.gmv + r.gmvFen,
      orders: s.orders + r.orders,
      refund: s.refund + r.refundFen,
    }),
    { gmv: 0, orders: 0, refund: 0 },
  );
  doc.font(CJK).fontSize(20).text(t('county.report.title', { month }));
  doc.moveDown(0.3).fontSize(10).fillColor('#6b625a');
  doc.text(t('county.report.period', { from: range.from, to: range.to }));
  doc.moveDown(0.8).fillColor('#1f1b16').fontSize(12);
  doc.text(
    t('county.report.headline', {
      gmv: formatFen(total.gmv),
      orders: total.orders,
      refund: formatFen(total.refund),
      livePct: goods.livePct,
    }),
  );

  const bars = (title: string, items: { label: string; value: number; text: string }[]) => {
    if (doc.y > doc.page.height - 220) doc.addPage();
    doc.moveDown(1).fontSize(14).fillColor('#1f1b16').text(title);
    doc.moveDown(0.4).fontSize(9);
    const max = Math.max(1, ...items.map((i) => i.value));
    if (items.length === 0) doc.fillColor('#6b625a').text(t('county.empty', {}));
    for (const item of items.slice(0, 12)) {
      const y = doc.y;
      const length = Math.max(item.value > 0 ? 1 : 0, ((width - 230) * item.value) / max);
      doc
        .fillColor('#1f1b16')
        .text(item.label, 48, y, { width: 120, lineBreak: false, ellipsis: true });
      doc.rect(48 + 126, y + 1, length, 9).fill('#b3261e');
      doc.fillColor('#6b625a').text(item.text, 48 + 132 + length, y, { lineBreak: false });
      doc.x = 48;
      doc.y = y + 15;
    }
  };
  bars(
    t('county.villages.heading', {}),
    sales.villages.map((v) => ({ label: v.name, value: v.gmvFen, text: formatFen(v.gmvFen) })),
  );
  bars(
    t('county.products.top', {}),
    goods.top.map((p) => ({ label: p.name, value: p.gmvFen, text: formatFen(p.gmvFen) })),
  );
  bars(
    t('county.hub.heading', {}),
    hub.couriers.map((c) => ({
      label: c.name,
      value: c.parcels,
      text: t('county.report.courierLine', {
        parcels: c.parcels,
        late: c.late,
        hours: c.avgHours ?? '—',
      }),
    })),
  );
  bars(
    t('county.provinces.heading', {}),
    where.map((p) => ({
      label: p.province || t('county.provinces.unknown', {}),
      value: p.gmvFen,
      text: formatFen(p.gmvFen),
    })),
  );
  return finish();
}
