// The pdfkit plumbing shared by labels, manifests and the county's report: a document that resolves to a Buffer,
// the CJK font, text that must fit a box, and times shown in China time.
import PDFDocument from 'pdfkit';
import { findLabelFont } from './cjk-font.ts';

export const MM = 72 / 25.4;

/** The family name documents use for the embedded CJK font. */
export const CJK = 'cjk';

export interface PdfSetup {
  size: [number, number] | 'A4';
  margin: number;
  title: string;
  subject: string;
  /** Fixed creation date, so that the same input renders the same bytes. */
  createdAt: Date;
  fontPath?: string;
  /** Who made it, in the document's properties (default: the hub, which prints most PDFs). */
  creator?: string;
}

export interface OpenPdf {
  doc: PDFKit.PDFDocument;
  /** Ends the document and resolves to its bytes. */
  finish(): Promise<Buffer>;
}

export function openPdf(setup: PdfSetup): OpenPdf {
  const doc = new PDFDocument({
    size: setup.size,
    margin: setup.margin,
    autoFirstPage: true,
    bufferPages: true,
    info: {
      Title: setup.title,
      Subject: setup.subject,
      Creator: setup.creator ?? 'Cunbo hub',
      Producer: setup.creator ?? 'Cunbo hub',
      CreationDate: setup.createdAt,
      ModDate: setup.createdAt,
    },
    lang: 'zh-CN',
    displayTitle: true,
  });
  const font = findLabelFont(setup.fontPath);
  if (font.face) doc.registerFont(CJK, font.data, font.face);
  else doc.registerFont(CJK, font.data);
  doc.font(CJK);

  const chunks: Buffer[] = [];
  doc.on('data', (chunk: Buffer) => chunks.push(chunk));
  const ended = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  return {
    doc,
    finish() {
      doc.end();
      return ended;
    },
  };
}

export interface TextBox {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface FitOptions {
  maxSize: number;
  minSize: number;
  align?: 'left' | 'center' | 'right';
  /** Draws the glyph outlines too: the font has no bold face, and thin strokes fade on thermal paper. */
  heavy?: boolean;
  lineGap?: number;
}

/**
 * Draws `text` in the box at the largest size from maxSize down to minSize at which it fits,
 * wrapping as needed; at minSize whatever still overflows is cut with an ellipsis.
 * Returns the height used.
 */
export function drawFittedText(
  doc: PDFKit.PDFDocument,
  text: string,
  box: TextBox,
  fit: FitOptions,
): number {
  const lineGap = fit.lineGap ?? 0;
  let size = fit.maxSize;
  for (; size > fit.minSize; size -= 0.5) {
    doc.fontSize(size);
    if (doc.heightOfString(text, { width: box.width, lineGap }) <= box.height) break;
  }
  doc.fontSize(Math.max(size, fit.minSize));
  const options: PDFKit.Mixins.TextOptions = {
    width: box.width,
    height: box.height,
    align: fit.align ?? 'left',
    lineGap,
    ellipsis: true,
  };
  if (fit.heavy)
    doc.lineWidth(size / 30).text(text, box.x, box.y, { ...options, fill: true, stroke: true });
  else doc.text(text, box.x, box.y, options);
  return Math.min(doc.heightOfString(text, { width: box.width, lineGap }), box.height);
}

/** Cuts `text` to one line no wider than `width` at the current font size, marking the cut. */
export function truncateToWidth(doc: PDFKit.PDFDocument, text: string, width: number): string {
  if (doc.widthOfString(text) <= width) return text;
  const chars = Array.from(text);
  while (chars.length > 0 && doc.widthOfString(chars.join('') + '…') > width) chars.pop();
  return chars.join('') + '…';
}

export { formatChinaTime } from '../china-time.ts';

/** Grams as kilograms with two decimals ("1.25"), the unit couriers bill and weigh in. */
export function formatKg(grams: number): string {
  return (grams / 1000).toFixed(2);
}
