// The county map on the public trace page: a small inline SVG drawn from data shipped in the repo,
// so a buyer on a weak network gets it with the page itself (no tiles, fonts or scripts to fetch).
import type { Locale } from '../core/i18n/index.ts';
import { pickLocalized, type LocalizedText } from '../core/localized-text.ts';
import { escapeXml } from '../core/xml.ts';
import countyMapData from './county-map-data.json' with { type: 'json' };

type Point = [x: number, y: number];

interface LabelAnchor {
  x: number;
  y: number;
  labelSide: 'left' | 'right' | 'above' | 'below';
}

interface MapPlace extends LabelAnchor {
  name: LocalizedText;
}

export interface CountyMapData {
  name: LocalizedText;
  region: LocalizedText;
  /** Clockwise, in the 0–1000 box of `Village.mapPoint` (x east, y south). */
  outline: Point[];
  countySeat: MapPlace;
  /** `label` is the short name written on the map; `name` the full one. */
  hub: MapPlace & { label: LocalizedText };
  townships: MapPlace[];
  rivers: { name: LocalizedText; points: Point[]; labelAt: LabelAnchor }[];
  /** A road is named after the town it leads to, written where it leaves the county. */
  roads: { name: LocalizedText; points: Point[] }[];
  mountains: { name: LocalizedText; peaks: Point[]; labelAt: LabelAnchor };
}

// JSON widens the [x, y] pairs to number[] (and the label sides to string); the tests check the data.
export const COUNTY_MAP = countyMapData as unknown as CountyMapData;

export interface CountyMapOptions {
  highlight?: { x: number; y: number; label: string };
  /** Villages shaded by a share in 0–1 (the county's GMV per village): bigger and darker is more. */
  shaded?: { x: number; y: number; label: string; share: number }[];
  locale: Locale;
  title: string;
}

const COLOURS = {
  red: '#b3261e',
  ink: '#1f1b16',
  muted: '#6b625a',
  land: '#fbeee6',
  border: '#d9b8a8',
  water: '#7fb0d6',
  road: '#c9a58c',
  mountain: '#b59a86',
};

/** A halo of the land colour keeps labels readable where they cross a river or road. */
const HALO = `stroke="${COLOURS.land}" stroke-width="8" stroke-linejoin="round" paint-order="stroke"`;

interface Label {
  x: number;
  y: number;
  textAnchor: 'start' | 'middle' | 'end';
  text: string;
  fontSize: number;
}

interface Box {
  left: number;
  top: number;
  right: number;
  bottom: number;
}

export function renderCountyMap(options: CountyMapOptions): string {
  const map = COUNTY_MAP;
  const say = (text: LocalizedText) => pickLocalized(text, options.locale);
  const pin = options.highlight && placePin(options.highlight);
  // Places whose marker or label would sit under the pin are left out: the pin matters more.
  const clearOfPin = (...boxes: Box[]) =>
    !pin || boxes.every((box) => pin.keepClear.every((clear) => !overlaps(box, clear)));
  const { hub, countySeat, mountains } = map;

  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1000 1000" width="100%" role="img" font-family="system-ui, sans-serif">`,
    `<title>${escapeXml(options.title)}</title>`,
    `<polygon points="${pointList(map.outline)}" fill="${COLOURS.land}" stroke="${COLOURS.border}" stroke-width="6" stroke-linejoin="round"/>`,
    `<path d="${mountains.peaks.map(([x, y]) => `M${x - 18} ${y + 12}l18-26 18 26`).join('')}" fill="none" stroke="${COLOURS.mountain}" stroke-width="5" stroke-linejoin="round"/>`,
  ];
  const mountainLabel = labelBeside(mountains.labelAt, say(mountains.name), 28, 0);
  if (clearOfPin(boxOf(mountainLabel))) {
    parts.push(`<g fill="${COLOURS.mountain}">${renderLabel(mountainLabel)}</g>`);
  }
  for (const river of map.rivers) {
    const label = labelBeside(river.labelAt, say(river.name), 26, 12);
    parts.push(
      `<polyline points="${pointList(river.points)}" fill="none" stroke="${COLOURS.water}" stroke-width="7" stroke-linecap="round" stroke-linejoin="round"/>`,
    );
    if (clearOfPin(boxOf(label))) {
      parts.push(
        `<g fill="${COLOURS.water}" font-style="italic" ${HALO}>${renderLabel(label)}</g>`,
      );
    }
  }
  for (const road of map.roads) {
    const [x, y] = road.points[0] ?? [0, 0];
    const label: Label = {
      x: x + 4,
      y: y + 36,
      textAnchor: 'start',
      text: `← ${say(road.name)}`,
      fontSize: 26,
    };
    parts.push(
      `<polyline points="${pointList(road.points)}" fill="none" stroke="${COLOURS.road}" stroke-width="5" stroke-dasharray="14 8" stroke-linecap="round"/>`,
    );
    if (clearOfPin(boxOf(label)))
      parts.push(`<g fill="${COLOURS.muted}">${renderLabel(label)}</g>`);
  }

  parts.push(`<g fill="${COLOURS.muted}" ${HALO}>`);
  for (const township of map.townships) {
    const label = labelBeside(township, say(township.name), 30, 14);
    if (!clearOfPin(boxOf(label), around(township, 8))) continue;
    parts.push(`<circle cx="${township.x}" cy="${township.y}" r="6"/>`, renderLabel(label));
  }
  parts.push('</g>');

  const hubLabel = labelBeside(hub, say(hub.label), 28, 16);
  const seatLabel = labelBeside(countySeat, say(countySeat.name), 34, 22);
  parts.push(
    `<g fill="${COLOURS.ink}" ${HALO}><rect x="${hub.x - 9}" y="${hub.y - 9}" width="18" height="18" rx="3" stroke="none"/>`,
    clearOfPin(boxOf(hubLabel)) ? renderLabel(hubLabel) : '',
    `<circle cx="${countySeat.x}" cy="${countySeat.y}" r="12" fill="#fff" stroke="${COLOURS.ink}" stroke-width="6"/>`,
    clearOfPin(boxOf(seatLabel)) ? `<g font-weight="700">${renderLabel(seatLabel)}</g>` : '',
    '</g>',
    `<text x="40" y="74" font-size="48" font-weight="700" fill="${COLOURS.ink}">${escapeXml(say(map.name))}</text>`,
    `<text x="40" y="116" font-size="28" fill="${COLOURS.muted}">${escapeXml(say(map.region))}</text>`,
    `<g fill="${COLOURS.muted}" text-anchor="middle"><path d="M940 882l-16 40h32z"/><text x="940" y="954" font-size="28">${options.locale === 'en' ? 'N' : '北'}</text></g>`,
  );
  for (const v of options.shaded ?? []) {
    const share = Math.min(1, Math.max(0, v.share));
    parts.push(
      `<g><title>${escapeXml(v.label)}</title><circle cx="${Math.round(v.x)}" cy="${Math.round(v.y)}" r="${Math.round(12 + 36 * share)}" fill="${COLOURS.red}" fill-opacity="${(0.2 + 0.6 * share).toFixed(2)}" stroke="${COLOURS.red}" stroke-width="3"/></g>`,
    );
  }
  if (pin) parts.push(pin.markup);
  parts.push('</svg>');
  return parts.join('');
}

/** A teardrop pin whose tip sits on the village, its label above (below near the top edge). */
function placePin(highlight: { x: number; y: number; label: string }) {
  const x = Math.round(highlight.x);
  const y = Math.round(highlight.y);
  const fontSize = 44;
  const halfWidth = (estimateTextWidth(highlight.label, fontSize) + 16) / 2;
  const label: Label = {
    x: Math.round(Math.min(Math.max(x, halfWidth), 1000 - halfWidth)),
    y: y < 160 ? y + 54 : y - 84,
    textAnchor: 'middle',
    text: highlight.label,
    fontSize,
  };
  const markup =
    `<g><ellipse cx="${x}" cy="${y}" rx="16" ry="6" fill="${COLOURS.ink}" opacity=".25"/>` +
    `<path d="M${x} ${y}c-5-14-24-28-24-48a24 24 0 1 1 48 0c0 20-19 34-24 48z" fill="${COLOURS.red}" stroke="#fff" stroke-width="4"/>` +
    `<circle cx="${x}" cy="${y - 48}" r="9" fill="#fff"/>` +
    `<g fill="${COLOURS.red}" font-weight="700" stroke="#fff" stroke-width="10" stroke-linejoin="round" paint-order="stroke">${renderLabel(label)}</g></g>`;
  const body: Box = { left: x - 28, top: y - 78, right: x + 28, bottom: y + 8 };
  return { markup, keepClear: [body, boxOf(label)] };
}

function labelBeside(place: LabelAnchor, text: string, fontSize: number, gap: number): Label {
  const { x, y } = place;
  const middle = Math.round(fontSize / 3); // baseline offset that centres a line on the point
  switch (place.labelSide) {
    case 'left':
      return { x: x - gap, y: y + middle, textAnchor: 'end', text, fontSize };
    case 'right':
      return { x: x + gap, y: y + middle, textAnchor: 'start', text, fontSize };
    case 'above':
      return { x, y: y - gap, textAnchor: 'middle', text, fontSize };
    case 'below':
      return { x, y: y + gap + fontSize, textAnchor: 'middle', text, fontSize };
  }
}

function renderLabel(label: Label): string {
  const anchor = label.textAnchor === 'start' ? '' : ` text-anchor="${label.textAnchor}"`;
  return `<text x="${label.x}" y="${label.y}" font-size="${label.fontSize}"${anchor}>${escapeXml(label.text)}</text>`;
}

function boxOf(label: Label): Box {
  const width = estimateTextWidth(label.text, label.fontSize);
  const left =
    label.textAnchor === 'start' ? label.x : label.x - width / (label.textAnchor === 'end' ? 1 : 2);
  return {
    left,
    top: label.y - label.fontSize,
    right: left + width,
    bottom: label.y + label.fontSize / 4,
  };
}

function around(point: { x: number; y: number }, radius: number): Box {
  const { x, y } = point;
  return { left: x - radius, top: y - radius, right: x + radius, bottom: y + radius };
}

function overlaps(a: Box, b: Box): boolean {
  return a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
}

/** Rough width, for layout only: CJK glyphs are square, Latin ones a little over half as wide. */
function estimateTextWidth(text: string, fontSize: number): number {
  let ems = 0;
  for (const char of text) ems += (char.codePointAt(0) ?? 0) >= 0x2e80 ? 1 : 0.6;
  return ems * fontSize;
}

function pointList(points: Point[]): string {
  return points.map(([x, y]) => `${x},${y}`).join(' ');
}
