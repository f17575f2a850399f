// The end-of-day handover manifest (交接清单) a courier signs when collecting the day's parcels
// from the hub: the PDF both sides sign, and the CSV the hub keeps and the courier can import.
import { Invalid } from '../../core/errors.ts';
import { drawCode128 } from './barcode-drawing.ts';
import { toCsv, type CsvCell } from './csv-text.ts';
import {
  drawFittedText,
  formatChinaTime,
  formatKg,
  openPdf,
  truncateToWidth,
} from '../../core/pdf/pdf-document.ts';

export interface HandoverManifest {
  manifestNo: string;
  courier: { code: string; name: string };
  hub: { name: string; address: string; phone: string };
  /** YYYY-MM-DD */
  date: string;
  parcels: Array<{
    parcelNo: string;
    waybillNo: string;
    destination: string;
    weightGrams: number;
    itemCount: number;
  }>;
  signedOff?: { by: string; at: Date };
}

export interface ManifestRenderOptions {
  /** A CJK font file to embed instead of the first installed known one. */
  fontPath?: string;
  /** Printed in the page footer; left out when absent so the same manifest renders the same bytes. */
  printedAt?: Date;
}

export interface ManifestTotals {
  parcelCount: number;
  weightGrams: number;
  itemCount: number;
}

type Parcel = HandoverManifest['parcels'][number];

const PAGE_WIDTH = 595.28;
const PAGE_HEIGHT = 841.89;
const MARGIN = 40;
const TABLE_WIDTH = PAGE_WIDTH - 2 * MARGIN;
const ROW_HEIGHT = 18;
const HEADER_ROW_HEIGHT = 22;
const FOOTER_SPACE = 28;
const SIGNATURE_HEIGHT = 86;
const TABLE_BOTTOM = PAGE_HEIGHT - MARGIN - FOOTER_SPACE;

interface Column {
  title: string;
  width: number;
  align: 'left' | 'right' | 'center';
  cell(parcel: Parcel, index: number): string;
}

const COLUMNS: Column[] = [
  { title: '序号 No', width: 40, align: 'center', cell: (_p, i) => String(i + 1) },
  { title: '包裹号 Parcel', width: 104, align: 'left', cell: (p) => p.parcelNo },
  { title: '运单号 Waybill', width: 104, align: 'left', cell: (p) => p.waybillNo },
  { title: '目的地 Destination', width: 150, align: 'left', cell: (p) => p.destination },
  { title: '重量 kg', width: 58, align: 'right', cell: (p) => formatKg(p.weightGrams) },
  {
    title: '件数 Items',
    width: TABLE_WIDTH - 456,
    align: 'right',
    cell: (p) => String(p.itemCount),
  },
];

const CSV_HEADER = [
  '序号/No',
  '包裹号/Parcel',
  '运单号/Waybill',
  '目的地/Destination',
  '重量kg/Weight kg',
  '件数/Items',
];

export function manifestTotals(manifest: HandoverManifest): ManifestTotals {
  return {
    parcelCount: manifest.parcels.length,
    weightGrams: manifest.parcels.reduce((sum, p) => sum + p.weightGrams, 0),
    itemCount: manifest.parcels.reduce((sum, p) => sum + p.itemCount, 0),
  };
}

/** A courier with nothing to collect gets no manifest: signing an empty one proves nothing. */
function assertHasParcels(manifest: HandoverManifest): void {
  if (manifest.parcels.length === 0) {
    throw new Invalid('errors.manifestEmpty', [{ field: 'parcels', code: 'empty' }], {
      courier: manifest.courier.code,
      date: manifest.date,
    });
  }
}

/** One row per parcel and a totals row, for Excel (see csv-text.ts for the escaping rules). */
export function renderManifestCsv(manifest: HandoverManifest): string {
  assertHasParcels(manifest);
  const totals = manifestTotals(manifest);
  const rows: CsvCell[][] = manifest.parcels.map((parcel, i) => [
    i + 1,
    parcel.parcelNo,
    parcel.waybillNo,
    parcel.destination,
    formatKg(parcel.weightGrams),
    parcel.itemCount,
  ]);
  const totalRow = [
    '合计/Total',
    totals.parcelCount,
    '',
    '',
    formatKg(totals.weightGrams),
    totals.itemCount,
  ];
  return toCsv([CSV_HEADER, ...rows, totalRow]);
}

/** The A4 manifest: header, parcel table across as many pages as needed, totals, signatures. */
export async function renderManifestPdf(
  manifest: HandoverManifest,
  opts: ManifestRenderOptions = {},
): Promise<Buffer> {
  assertHasParcels(manifest);
  const { doc, finish } = openPdf({
    size: 'A4',
    margin: MARGIN,
    title: `交接清单 ${manifest.manifestNo}`,
    subject: `${manifest.courier.name} ${manifest.date}`,
    // Midnight of the manifest day in China, so re-rendering gives the same bytes.
    createdAt: opts.printedAt ?? new Date(`${manifest.date}T00:00:00+08:00`),
    fontPath: opts.fontPath,
  });
  let y = drawManifestHeader(doc, manifest);
  y = drawParcelTable(doc, manifest, y);
  y = drawTotals(doc, manifestTotals(manifest), y);
  drawSignatures(doc, manifest, y);
  drawPageFooters(doc, manifest, opts.printedAt);
  return finish();
}

function drawManifestHeader(doc: PDFKit.PDFDocument, manifest: HandoverManifest): number {
  const barcodeWidth = 200;
  drawCode128(doc, manifest.manifestNo, {
    x: PAGE_WIDTH - MARGIN - barcodeWidth,
    y: MARGIN,
    width: barcodeWidth,
    height: 34,
  });
  doc.fontSize(9).text(manifest.manifestNo, PAGE_WIDTH - MARGIN - barcodeWidth, MARGIN + 37, {
    width: barcodeWidth,
    align: 'center',
    lineBreak: false,
  });
  drawFittedText(
    doc,
    '交接清单',
    { x: MARGIN, y: MARGIN, width: 200, height: 30 },
    {
      maxSize: 24,
      minSize: 24,
      heavy: true,
    },
  );
  doc.fontSize(10).text('Courier Handover Manifest', MARGIN, MARGIN + 32, { lineBreak: false });

  const infoTop = MARGIN + 60;
  // The left column is wider: courier and hub names are long, the date and phone are not.
  const leftWidth = TABLE_WIDTH * 0.6;
  const rightX = MARGIN + leftWidth;
  const rightWidth = TABLE_WIDTH - leftWidth;
  const courier = `${manifest.courier.name}（${manifest.courier.code.toUpperCase()}）`;
  drawFact(doc, '快递公司 Courier', courier, MARGIN, infoTop, leftWidth);
  drawFact(doc, '交接日期 Date', manifest.date, rightX, infoTop, rightWidth);
  drawFact(doc, '仓配中心 Hub', manifest.hub.name, MARGIN, infoTop + 18, leftWidth);
  drawFact(doc, '电话 Phone', manifest.hub.phone, rightX, infoTop + 18, rightWidth);
  drawFact(doc, '地址 Address', manifest.hub.address, MARGIN, infoTop + 36, TABLE_WIDTH);
  return infoTop + 62;
}

function drawFact(
  doc: PDFKit.PDFDocument,
  label: string,
  value: string,
  x: number,
  y: number,
  width: number,
): void {
  const labelWidth = 92;
  doc
    .fillColor('#555555')
    .fontSize(9)
    .text(label, x, y + 1, { lineBreak: false });
  doc.fillColor('black').fontSize(11);
  doc.text(truncateToWidth(doc, value, width - labelWidth - 8), x + labelWidth, y, {
    lineBreak: false,
  });
}

/** Draws the rows, starting a new page with the column header repeated whenever one is full. */
function drawParcelTable(doc: PDFKit.PDFDocument, manifest: HandoverManifest, top: number): number {
  let y = drawTableHeader(doc, top);
  manifest.parcels.forEach((parcel, i) => {
    if (y + ROW_HEIGHT > TABLE_BOTTOM) {
      y = drawTableHeader(doc, startContinuationPage(doc, manifest));
    }
    drawParcelRow(doc, parcel, i, y);
    y += ROW_HEIGHT;
  });
  return y;
}

function startContinuationPage(doc: PDFKit.PDFDocument, manifest: HandoverManifest): number {
  doc.addPage();
  doc.fontSize(10).fillColor('#555555');
  doc.text(
    `交接清单（续）${manifest.manifestNo} · ${manifest.courier.name} · ${manifest.date}`,
    MARGIN,
    MARGIN,
    { width: TABLE_WIDTH, lineBreak: false },
  );
  doc.fillColor('black');
  return MARGIN + 20;
}

function drawTableHeader(doc: PDFKit.PDFDocument, y: number): number {
  doc.rect(MARGIN, y, TABLE_WIDTH, HEADER_ROW_HEIGHT).fill('#e6e6e6');
  doc.fillColor('black').fontSize(9);
  drawCells(
    doc,
    COLUMNS.map((c) => c.title),
    y + 6,
  );
  rowRule(doc, y, 1);
  rowRule(doc, y + HEADER_ROW_HEIGHT, 1);
  return y + HEADER_ROW_HEIGHT;
}

function drawParcelRow(doc: PDFKit.PDFDocument, parcel: Parcel, index: number, y: number): void {
  doc.fontSize(9.5);
  drawCells(
    doc,
    COLUMNS.map((c) => c.cell(parcel, index)),
    y + 4.5,
  );
  rowRule(doc, y + ROW_HEIGHT, 0.4, '#999999');
}

function drawCells(doc: PDFKit.PDFDocument, texts: string[], y: number): void {
  let x = MARGIN;
  COLUMNS.forEach((column, i) => {
    const inner = column.width - 8;
    doc.text(truncateToWidth(doc, texts[i] ?? '', inner), x + 4, y, {
      width: inner,
      align: column.align,
      lineBreak: false,
    });
    x += column.width;
  });
}

function rowRule(doc: PDFKit.PDFDocument, y: number, weight: number, color = 'black'): void {
  doc
    .moveTo(MARGIN, y)
    .lineTo(MARGIN + TABLE_WIDTH, y)
    .lineWidth(weight)
    .stroke(color);
}

function drawTotals(doc: PDFKit.PDFDocument, totals: ManifestTotals, y: number): number {
  if (y + 26 > TABLE_BOTTOM) {
    doc.addPage();
    y = MARGIN;
  }
  rowRule(doc, y, 1);
  drawFittedText(
    doc,
    `合计 Total：${totals.parcelCount} 个包裹 parcels    ${totals.itemCount} 件 items    总重量 ${formatKg(totals.weightGrams)} kg`,
    { x: MARGIN + 4, y: y + 6, width: TABLE_WIDTH - 8, height: 16 },
    { maxSize: 11, minSize: 8, heavy: true },
  );
  rowRule(doc, y + 24, 1);
  return y + 24;
}

/** Two boxes side by side: the hub hands over, the courier takes over (and its sign-off, if done). */
function drawSignatures(doc: PDFKit.PDFDocument, manifest: HandoverManifest, top: number): void {
  let y = top + 18;
  if (y + SIGNATURE_HEIGHT > TABLE_BOTTOM) {
    doc.addPage();
    y = MARGIN;
  }
  const gap = 16;
  const width = (TABLE_WIDTH - gap) / 2;
  drawSignatureBox(doc, '仓配中心交接人 Hub staff', MARGIN, y, width);
  drawSignatureBox(doc, '快递员签收 Courier', MARGIN + width + gap, y, width, manifest.signedOff);
}

function drawSignatureBox(
  doc: PDFKit.PDFDocument,
  title: string,
  x: number,
  y: number,
  width: number,
  signedOff?: HandoverManifest['signedOff'],
): void {
  doc.rect(x, y, width, SIGNATURE_HEIGHT).lineWidth(1).stroke('black');
  doc
    .fillColor('black')
    .fontSize(10)
    .text(title, x + 8, y + 8, { lineBreak: false });
  if (signedOff) {
    doc.fontSize(11).text(`已签收 Signed off：${signedOff.by}`, x + 8, y + 28, {
      width: width - 16,
      lineBreak: false,
    });
    doc.fontSize(10).text(`时间 Time：${formatChinaTime(signedOff.at)}`, x + 8, y + 45, {
      lineBreak: false,
    });
  }
  // Handwritten signature and time on one line at the bottom, as on paper forms.
  const lineY = y + SIGNATURE_HEIGHT - 12;
  const half = (width - 16) / 2;
  doc.fontSize(9).fillColor('#555555');
  doc.text('签名 Signature', x + 8, lineY - 12, { lineBreak: false });
  doc.text('时间 Time', x + 8 + half + 6, lineY - 12, { lineBreak: false });
  doc.fillColor('black');
  for (const [from, to] of [
    [x + 76, x + 8 + half],
    [x + 8 + half + 54, x + width - 8],
  ] as const) {
    doc.moveTo(from, lineY).lineTo(to, lineY).lineWidth(0.5).stroke('black');
  }
}

/** "第 n / m 页" on every page, written last because the page count is known only then. */
function drawPageFooters(
  doc: PDFKit.PDFDocument,
  manifest: HandoverManifest,
  printedAt: Date | undefined,
): void {
  const { start, count } = doc.bufferedPageRange();
  const printed = printedAt ? `  打印时间 ${formatChinaTime(printedAt)}` : '';
  for (let i = start; i < start + count; i++) {
    doc.switchToPage(i);
    const y = PAGE_HEIGHT - MARGIN - 12;
    doc.fontSize(8).fillColor('#555555');
    doc.text(`${manifest.manifestNo}${printed}`, MARGIN, y, { lineBreak: false });
    doc.text(`第 ${i - start + 1} / ${count} 页`, MARGIN, y, {
      width: TABLE_WIDTH,
      align: 'right',
      lineBreak: false,
    });
  }
  doc.fillColor('black');
}
