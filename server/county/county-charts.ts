// Charts drawn on the server as small inline SVG (no chart script reaches the phone): a ranked
// bar chart, one bar per row, the value written at the bar's end.
import { escapeXml } from '../core/xml.ts';

const BAR_COLOUR = '#b3261e';
const INK = '#1f1b16';
const MUTED = '#6b625a';

export interface Bar {
  label: string;
  value: number;
  /** What is written at the bar's end (the value formatted for a person). */
  text: string;
}

/** Horizontal bars, longest first as given; `title` is read by screen readers. Empty: no chart. */
export function barChart(title: string, bars: Bar[], { width = 640, rowHeight = 28 } = {}) {
  if (bars.length === 0) return '';
  const labelWidth = 150;
  const textWidth = 110;
  const plot = width - labelWidth - textWidth;
  const max = Math.max(1, ...bars.map((b) => b.value));
  const height = Math.max(1, bars.length) * rowHeight + 8;
  const rows = bars.map((bar, i) => {
    const y = 4 + i * rowHeight;
    const length = Math.max(bar.value > 0 ? 2 : 0, Math.round((bar.value / max) * plot));
    return [
      `<text x="${labelWidth - 8}" y="${y + rowHeight * 0.65}" text-anchor="end" fill="${INK}">${escapeXml(bar.label)}</text>`,
      `<rect x="${labelWidth}" y="${y + 4}" width="${length}" height="${rowHeight - 10}" rx="3" fill="${BAR_COLOUR}"/>`,
      `<text x="${labelWidth + length + 6}" y="${y + rowHeight * 0.65}" fill="${MUTED}">${escapeXml(bar.text)}</text>`,
    ].join('');
  });
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" font-family="system-ui, sans-serif" font-size="14">`,
    `<title>${escapeXml(title)}</title>`,
    ...rows,
    '</svg>',
  ].join('');
}
