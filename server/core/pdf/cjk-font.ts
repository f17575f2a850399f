// Finds the CJK font that PDFs (labels, manifests, the county's report) embed. PDF viewers and thermal printers have no
// Chinese glyphs of their own, so the PDF must carry a subset of a real CJK font.
import { existsSync, readFileSync } from 'node:fs';
import { PrerequisiteError } from '../errors.ts';

export interface LabelFont {
  path: string;
  /** The font bytes, read once: a CJK collection is 10-20 MB and every render needs it. */
  data: Buffer;
  /** The PostScript name of the face to use when the file is a collection (.ttc), else null. */
  face: string | null;
}

/** Debian/Ubuntu locations, best first. Noto's first face is Japanese, so name the SC one. */
const KNOWN_FONTS: ReadonlyArray<{ path: string; face: string | null }> = [
  { path: '/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc', face: 'WenQuanYiZenHei' },
  { path: '/usr/share/fonts/truetype/wqy/wqy-microhei.ttc', face: 'WenQuanYiMicroHei' },
  { path: '/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc', face: 'NotoSansCJKsc-Regular' },
  { path: '/usr/share/fonts/opentype/noto/NotoSansCJKsc-Regular.otf', face: null },
];

const cache = new Map<string, LabelFont>();

/**
 * The font to draw labels with: `explicitPath` if given (a .ttf/.otf, or a .ttc whose
 * Simplified Chinese or first face is used), else the first installed known font.
 */
export function findLabelFont(explicitPath?: string): LabelFont {
  const key = explicitPath ?? '';
  const cached = cache.get(key);
  if (cached) return cached;
  const found = explicitPath ? loadExplicitFont(explicitPath) : loadFirstKnownFont();
  cache.set(key, found);
  return found;
}

function loadExplicitFont(path: string): LabelFont {
  if (!existsSync(path)) {
    throw new PrerequisiteError(`The label font ${path} does not exist; point it at a CJK font.`);
  }
  const data = readFileSync(path);
  return { path, data, face: isCollection(data) ? pickCollectionFace(data) : null };
}

function loadFirstKnownFont(): LabelFont {
  const known = KNOWN_FONTS.find((font) => existsSync(font.path));
  if (!known) {
    throw new PrerequisiteError(
      'No Chinese font for shipping labels: install one with `sudo apt-get install fonts-wqy-zenhei`.',
    );
  }
  return { ...known, data: readFileSync(known.path) };
}

function isCollection(data: Buffer): boolean {
  return data.subarray(0, 4).toString('latin1') === 'ttcf';
}

/** Prefers a Simplified Chinese face (its glyph shapes are the ones readers here expect). */
function pickCollectionFace(data: Buffer): string {
  const names = collectionFaceNames(data);
  const face = names.find((name) => /sc\b|sc-|gb/i.test(name)) ?? names[0];
  if (!face) throw new PrerequisiteError('The label font collection has no named faces.');
  return face;
}

/**
 * The PostScript name (name table, nameID 6) of every face in a TrueType collection.
 * Read directly because pdfkit needs the name to open a face and exposes no way to list them.
 */
export function collectionFaceNames(data: Buffer): string[] {
  const faceCount = data.readUInt32BE(8);
  const names: string[] = [];
  for (let i = 0; i < faceCount; i++) {
    const name = postScriptName(data, data.readUInt32BE(12 + i * 4));
    if (name) names.push(name);
  }
  return names;
}

function postScriptName(data: Buffer, faceOffset: number): string | null {
  const tableCount = data.readUInt16BE(faceOffset + 4);
  for (let t = 0; t < tableCount; t++) {
    const record = faceOffset + 12 + t * 16;
    if (data.toString('latin1', record, record + 4) === 'name') {
      return readNameId6(data, data.readUInt32BE(record + 8));
    }
  }
  return null;
}

function readNameId6(data: Buffer, table: number): string | null {
  const count = data.readUInt16BE(table + 2);
  const strings = table + data.readUInt16BE(table + 4);
  for (let r = 0; r < count; r++) {
    const rec = table + 6 + r * 12;
    if (data.readUInt16BE(rec + 6) !== 6) continue;
    const platform = data.readUInt16BE(rec);
    const start = strings + data.readUInt16BE(rec + 10);
    const bytes = data.subarray(start, start + data.readUInt16BE(rec + 8));
    // Windows names are UTF-16BE; Macintosh ones are single-byte (ASCII for PostScript names).
    return platform === 3
      ? Buffer.from(bytes).swap16().toString('utf16le')
      : bytes.toString('latin1');
  }
  return null;
}
