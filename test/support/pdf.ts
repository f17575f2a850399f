// Reading PDFs back the way people and scanners do: poppler turns a page into text or into a
// 300 dpi picture, and zxing decodes the barcodes on it.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { prepareZXingModule, readBarcodes, type ReadResult } from 'zxing-wasm/reader';

const run = promisify(execFile);

// zxing-wasm fetches its .wasm from a CDN by default; hand it the copy in node_modules instead.
prepareZXingModule({
  overrides: {
    wasmBinary: readFileSync(
      path.resolve(
        import.meta.dirname,
        '../../node_modules/zxing-wasm/dist/reader/zxing_reader.wasm',
      ),
    ).buffer as ArrayBuffer,
  },
});

async function withPdfFile<T>(pdf: Buffer, use: (file: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(path.join(tmpdir(), 'cunbo-pdf-'));
  try {
    const file = path.join(dir, 'doc.pdf');
    await writeFile(file, pdf);
    return await use(file);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Rasterises the first page at 300 dpi, as a scanner would see it, and decodes every symbol. */
export async function scanPdfFile(file: string): Promise<ReadResult[]> {
  const stem = file.replace(/\.pdf$/, '');
  await run('pdftoppm', ['-r', '300', '-png', '-singlefile', file, stem]);
  const png = await readFile(`${stem}.png`);
  return readBarcodes(new Uint8Array(png), {
    formats: ['Code128', 'QRCode'],
    tryHarder: true,
    maxNumberOfSymbols: 4,
  });
}

export function scanPdf(pdf: Buffer): Promise<ReadResult[]> {
  return withPdfFile(pdf, scanPdfFile);
}

export async function pdfTextOfFile(file: string): Promise<string> {
  return (await run('pdftotext', ['-layout', file, '-'])).stdout;
}

export function pdfText(pdf: Buffer): Promise<string> {
  return withPdfFile(pdf, pdfTextOfFile);
}

export async function pdfInfoOfFile(file: string): Promise<string> {
  return (await run('pdfinfo', [file])).stdout;
}
