// Comment-to-order: reads a live-chat message such as 扣1, 买2, +1, 要3斤, 来两瓶 or a bare "2"
// as "this many of the pinned product". Anything it is not sure about stays plain chat.

const DIGITS: Record<string, number> = {
  零: 0,
  一: 1,
  二: 2,
  两: 2,
  俩: 2,
  三: 3,
  四: 4,
  五: 5,
  六: 6,
  七: 7,
  八: 8,
  九: 9,
  十: 10,
};

/** 1–99 from Arabic digits or simple Chinese numerals (一 … 十, 十一 … 九十九). */
export function parseCount(text: string): number | undefined {
  if (/^[0-9]{1,2}$/.test(text)) return Number(text) || undefined;
  if (!/^[零一二两俩三四五六七八九十]{1,3}$/.test(text)) return undefined;
  const chars = [...text];
  if (chars.length === 1) return DIGITS[chars[0]!] || undefined;
  const ten = chars.indexOf('十');
  if (ten < 0 || chars.lastIndexOf('十') !== ten) return undefined;
  const tens = ten === 0 ? 1 : DIGITS[chars[0]!];
  const ones = ten === chars.length - 1 ? 0 : DIGITS[chars[ten + 1]!];
  if (tens === undefined || ones === undefined || chars.length > ten + 2 || ten > 1)
    return undefined;
  return tens * 10 + ones || undefined;
}

/** Grams in one unit of the SKU, read from its spec (500g, 2.5kg, 1斤); undefined if none. */
export function gramsPerUnit(spec: string): number | undefined {
  const m = /([0-9]+(?:\.[0-9]+)?)\s*(kg|g|公斤|千克|克|斤)/i.exec(spec);
  if (!m) return undefined;
  const n = Number(m[1]);
  const unit = m[2]!.toLowerCase();
  const grams =
    unit === 'kg' || unit === '公斤' || unit === '千克' ? n * 1000 : unit === '斤' ? n * 500 : n;
  return Math.round(grams);
}

const COUNT_UNITS = '份|瓶|袋|盒|个|包|罐|件|箱|单';
const PATTERN = new RegExp(
  `^(?:扣|买|要|来|拍|抢|下单|\\+)?\\s*([0-9]{1,2}|[零一二两俩三四五六七八九十]{1,3})\\s*(斤|公斤|${COUNT_UNITS})?\\s*[!！~。.]*$`,
);

/**
 * The number of SKU units a comment asks for, or undefined when it is not clearly an order.
 * A weight (要3斤) becomes units only when it divides evenly into the pinned SKU's size.
 */
export function parseCommentOrder(message: string, pinnedSpec: string): number | undefined {
  const text = message.normalize('NFKC').trim();
  if (text.length === 0 || text.length > 12) return undefined;
  const m = PATTERN.exec(text);
  if (!m) return undefined;
  const prefixed = /^(扣|买|要|来|拍|抢|下单|\+)/.test(text);
  const count = parseCount(m[1]!);
  if (count === undefined) return undefined;
  const unit = m[2];
  // A bare Chinese numeral ("三") is too easily ordinary chat; bare digits are the live convention.
  if (!prefixed && !unit && !/^[0-9]+$/.test(m[1]!)) return undefined;
  if (unit === '斤' || unit === '公斤') {
    const grams = count * (unit === '斤' ? 500 : 1000);
    const per = gramsPerUnit(pinnedSpec);
    if (!per || grams % per !== 0) return undefined;
    return grams / per;
  }
  return count;
}
