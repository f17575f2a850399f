// Draws barcodes as vector rectangles rather than embedded bitmaps: a bitmap gets resampled on
// its way to a 203 dpi thermal head and its bar widths drift, vectors land on whole dots.
import bwipjs from 'bwip-js';
import { Invalid } from '../../core/errors.ts';
import { MM } from '../../core/pdf/pdf-document.ts';

/** One dot of a 203 dpi thermal print head, in points. */
const THERMAL_DOT = (25.4 / 203) * MM;
/** Code 128 asks for at least ten modules of white either side. */
const QUIET_MODULES = 10;
/** Module widths tried, in dots, widest first: 4 dots = 0.5 mm, 2 dots = 0.25 mm (the floor). */
const MODULE_DOTS = [4, 3, 2];

export interface BarcodeArea {
  x: number;
  y: number;
  width: number;
  height: number;
}

interface LinearSymbol {
  sbs: number[];
}

interface MatrixSymbol {
  pixs: number[];
  pixx: number;
  pixy: number;
}

/**
 * Draws `text` as Code 128, centred in `area` with quiet zones, using the widest module that
 * fits. Returns the horizontal extent of the bars. Throws Invalid if even 0.25 mm does not fit.
 */
export function drawCode128(
  doc: PDFKit.PDFDocument,
  text: string,
  area: BarcodeArea,
): { x: number; width: number; moduleWidth: number } {
  const widths = (bwipjs.raw('code128', text, '')[0] as LinearSymbol).sbs;
  const modules = widths.reduce((sum, w) => sum + w, 0);
  const dots = MODULE_DOTS.find(
    (d) => (modules + 2 * QUIET_MODULES) * d * THERMAL_DOT <= area.width,
  );
  if (!dots) {
    throw new Invalid('errors.waybillTooLong', [{ field: 'waybillNo', code: 'tooLong' }]);
  }
  const moduleWidth = dots * THERMAL_DOT;
  const width = modules * moduleWidth;
  // Start on the dot grid so every bar edge falls between print-head dots.
  const left = Math.round((area.x + (area.width - width) / 2) / THERMAL_DOT) * THERMAL_DOT;
  let x = left;
  widths.forEach((w, i) => {
    if (i % 2 === 0) doc.rect(x, area.y, w * moduleWidth, area.height);
    x += w * moduleWidth;
  });
  doc.fillColor('black').fill();
  return { x: left, width, moduleWidth };
}

/**
 * Draws `text` as a QR code (error correction M) filling a `size`-point square at (x, y),
 * of which four modules each side are the required white quiet zone.
 */
export function drawQrCode(
  doc: PDFKit.PDFDocument,
  text: string,
  at: { x: number; y: number; size: number },
): void {
  const symbol = bwipjs.raw('qrcode', text, 'eclevel=M')[0] as MatrixSymbol;
  const module = at.size / (symbol.pixx + 8);
  const originX = at.x + 4 * module;
  const originY = at.y + 4 * module;
  for (let row = 0; row < symbol.pixy; row++) {
    for (let col = 0; col < symbol.pixx; col++) {
      if (symbol.pixs[row * symbol.pixx + col]) {
        // A hair of overlap so that neighbouring modules rasterise without white seams.
        doc.rect(originX + col * module, originY + row * module, module + 0.01, module + 0.01);
      }
    }
  }
  doc.fillColor('black').fill();
}
