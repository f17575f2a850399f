// The 100×150 mm shipping label (面单) printed at the hub's packing bench on a thermal printer.
// Read top to bottom the way a sorter and a courier use it: who carries it, where it sorts to,
// the waybill to scan, who receives it, who sent it, what is inside, and the trace QR.
import { drawCode128, drawQrCode } from './barcode-drawing.ts';
import {
  drawFittedText,
  formatChinaTime,
  formatKg,
  MM,
  openPdf,
  truncateToWidth,
  type TextBox,
} from '../../core/pdf/pdf-document.ts';
import { maskPhone } from '../../core/masking.ts';

export interface ShippingLabel {
  waybillNo: string;
  courier: { code: string; name: string };
  /** e.g. "华北-北京 | 朝阳区" */
  sortingLine: string;
  sender: { name: string; phone: string; address: string };
  recipient: { name: string; phone: string; address: string };
  parcelNo: string;
  weightGrams: number;
  itemCount: number;
  /** Short, e.g. "花椒 250g×2, 小米 1kg" */
  contents: string;
  traceUrl: string;
  printedAt: Date;
  /** 1 = first print, 2+ = reprint, shown as "补打 #n" */
  copy?: number;
}

export interface LabelRenderOptions {
  /** A CJK font file to embed instead of the first installed known one. */
  fontPath?: string;
}

const PAGE_WIDTH = 100 * MM;
const PAGE_HEIGHT = 150 * MM;
/** Thermal printers cannot print the outermost millimetres of the roll. */
const MARGIN = 3 * MM;
const INNER_WIDTH = PAGE_WIDTH - 2 * MARGIN;
const PAD = 5;
/** Width of the black 收 / 寄 tab at the left of the address blocks. */
const TAB_WIDTH = 20;

/** Section heights, top to bottom; the bottom section takes what is left. */
const HEADER_HEIGHT = 26;
const SORTING_HEIGHT = 46;
const BARCODE_HEIGHT = 86;
const RECIPIENT_HEIGHT = 84;
const SENDER_HEIGHT = 58;
const FOOTER_HEIGHT = 16;

/** Renders one label as a single-page 100×150 mm PDF. */
export async function renderShippingLabel(
  label: ShippingLabel,
  opts: LabelRenderOptions = {},
): Promise<Buffer> {
  const { doc, finish } = openPdf({
    size: [PAGE_WIDTH, PAGE_HEIGHT],
    margin: 0,
    title: label.waybillNo,
    subject: `快递面单 ${label.courier.name} ${label.parcelNo}`,
    createdAt: label.printedAt,
    fontPath: opts.fontPath,
  });
  let y = MARGIN;
  y = drawHeader(doc, label, y);
  y = drawSortingLine(doc, label.sortingLine, y);
  y = drawWaybillBarcode(doc, label.waybillNo, y);
  y = drawAddressBlock(doc, '收', label.recipient, y, RECIPIENT_HEIGHT, 'recipient');
  y = drawAddressBlock(doc, '寄', label.sender, y, SENDER_HEIGHT, 'sender');
  y = drawContentsAndQr(doc, label, y, PAGE_HEIGHT - MARGIN - FOOTER_HEIGHT - y);
  drawFooter(doc, label, y);
  drawFrame(doc);
  return finish();
}

function drawHeader(doc: PDFKit.PDFDocument, label: ShippingLabel, y: number): number {
  const copy = label.copy ?? 1;
  const badgeWidth = copy > 1 ? 62 : 0;
  drawFittedText(
    doc,
    label.courier.name,
    box(MARGIN + PAD, y + 5, INNER_WIDTH - 2 * PAD - badgeWidth, HEADER_HEIGHT - 6),
    { maxSize: 14, minSize: 8, heavy: true },
  );
  if (copy > 1) drawReprintBadge(doc, copy, y, badgeWidth);
  return rule(doc, y + HEADER_HEIGHT);
}

/** White on black, so a sorter sees at a glance that an earlier label for this parcel exists. */
function drawReprintBadge(doc: PDFKit.PDFDocument, copy: number, y: number, width: number): void {
  const x = PAGE_WIDTH - MARGIN - width;
  doc.rect(x, y, width, HEADER_HEIGHT).fill('black');
  doc.fillColor('white');
  drawFittedText(doc, `补打 #${copy}`, box(x, y + 6, width, HEADER_HEIGHT - 8), {
    maxSize: 12,
    minSize: 8,
    align: 'center',
  });
  doc.fillColor('black');
}

/** The biggest text on the label: sorters read it from arm's length to pick a cage. */
function drawSortingLine(doc: PDFKit.PDFDocument, sortingLine: string, y: number): number {
  drawFittedText(
    doc,
    sortingLine,
    box(MARGIN + PAD, y + 7, INNER_WIDTH - 2 * PAD, SORTING_HEIGHT - 10),
    { maxSize: 26, minSize: 11, align: 'center', heavy: true },
  );
  return rule(doc, y + SORTING_HEIGHT, 1.5);
}

function drawWaybillBarcode(doc: PDFKit.PDFDocument, waybillNo: string, y: number): number {
  const barsHeight = 56;
  drawCode128(doc, waybillNo, { x: MARGIN, y: y + 7, width: INNER_WIDTH, height: barsHeight });
  doc.fontSize(12).text(spaced(waybillNo), MARGIN, y + 7 + barsHeight + 4, {
    width: INNER_WIDTH,
    align: 'center',
    characterSpacing: 1,
    lineBreak: false,
  });
  return rule(doc, y + BARCODE_HEIGHT, 1.5);
}

/** Groups the number in fours, the way couriers read waybills over the phone. */
function spaced(waybillNo: string): string {
  return waybillNo.replace(/(.{4})(?=.)/g, '$1 ');
}

function drawAddressBlock(
  doc: PDFKit.PDFDocument,
  tab: string,
  party: ShippingLabel['recipient'],
  y: number,
  height: number,
  role: 'recipient' | 'sender',
): number {
  drawTab(doc, tab, y, height);
  const x = MARGIN + TAB_WIDTH + PAD;
  const width = PAGE_WIDTH - MARGIN - PAD - x;
  const isRecipient = role === 'recipient';
  const phone = isRecipient ? maskPhone(party.phone) : party.phone;
  const nameSize = isRecipient ? 13 : 9.5;
  const used = drawFittedText(
    doc,
    `${party.name}  ${phone}`,
    box(x, y + PAD, width, nameSize * 1.4),
    {
      maxSize: nameSize,
      minSize: 7,
      heavy: isRecipient,
    },
  );
  const addressTop = y + PAD + used + 3;
  drawFittedText(doc, party.address, box(x, addressTop, width, y + height - PAD - addressTop), {
    maxSize: isRecipient ? 12 : 8.5,
    minSize: 6,
    lineGap: 1,
  });
  return rule(doc, y + height);
}

function drawTab(doc: PDFKit.PDFDocument, tab: string, y: number, height: number): void {
  doc.rect(MARGIN, y, TAB_WIDTH, height).fill('black');
  doc.fillColor('white').fontSize(14);
  doc.text(tab, MARGIN, y + height / 2 - 9, {
    width: TAB_WIDTH,
    align: 'center',
    lineBreak: false,
  });
  doc.fillColor('black');
}

function drawContentsAndQr(
  doc: PDFKit.PDFDocument,
  label: ShippingLabel,
  y: number,
  height: number,
): number {
  const qrSize = Math.min(height - 16, 76);
  const qrX = PAGE_WIDTH - MARGIN - qrSize - 2;
  drawQrCode(doc, label.traceUrl, { x: qrX, y: y + 2, size: qrSize });
  doc.fontSize(6.5).text('扫码溯源 / Scan to trace', qrX - 10, y + qrSize + 2, {
    width: qrSize + 20,
    align: 'center',
    lineBreak: false,
  });

  const x = MARGIN + PAD;
  const width = qrX - PAD - x;
  doc.fontSize(8).text('内件 Contents', x, y + PAD, { lineBreak: false });
  const contentsUsed = drawFittedText(doc, label.contents, box(x, y + PAD + 11, width, 32), {
    maxSize: 10,
    minSize: 6.5,
  });
  const factsTop = Math.max(y + PAD + 11 + contentsUsed + 4, y + 44);
  doc.fontSize(9);
  const facts = [
    `重量 ${formatKg(label.weightGrams)} kg    件数 ${label.itemCount}`,
    `包裹号 ${label.parcelNo}`,
  ];
  facts.forEach((fact, i) => {
    doc.text(truncateToWidth(doc, fact, width), x, factsTop + i * 13, { lineBreak: false });
  });
  doc
    .moveTo(qrX - 4, y)
    .lineTo(qrX - 4, y + height)
    .lineWidth(0.75)
    .stroke();
  return rule(doc, y + height);
}

function drawFooter(doc: PDFKit.PDFDocument, label: ShippingLabel, y: number): void {
  const copy = label.copy ?? 1;
  const reprint = copy > 1 ? `  第${copy}次打印` : '';
  doc
    .fontSize(7)
    .text(`打印时间 ${formatChinaTime(label.printedAt)}${reprint}`, MARGIN + PAD, y + 5, {
      width: INNER_WIDTH - 2 * PAD,
      lineBreak: false,
    });
  doc.text(`${label.courier.code.toUpperCase()}`, MARGIN + PAD, y + 5, {
    width: INNER_WIDTH - 2 * PAD,
    align: 'right',
    lineBreak: false,
  });
}

function drawFrame(doc: PDFKit.PDFDocument): void {
  doc
    .rect(MARGIN, MARGIN, INNER_WIDTH, PAGE_HEIGHT - 2 * MARGIN)
    .lineWidth(1.5)
    .stroke('black');
}

/** A full-width separator at `y`; returns `y` so sections can chain. */
function rule(doc: PDFKit.PDFDocument, y: number, weight = 0.75): number {
  doc
    .moveTo(MARGIN, y)
    .lineTo(PAGE_WIDTH - MARGIN, y)
    .lineWidth(weight)
    .stroke('black');
  return y;
}

function box(x: number, y: number, width: number, height: number): TextBox {
  return { x, y, width, height };
}
