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
/** Grams in one of each weight a buyer may comment in. */
const WEIGHT_UNITS: Record<string, number> = {
  斤: 500,
  公斤: 1000,
  千克: 1000,
  kg: 1000,
  两: 50,
  克: 1,
  g: 1,
};
const WEIGHT_PATTERN = Object.keys(WEIGHT_UNITS).join('|');
// The number is lazy, so 要两两 reads as two 两 and 来两瓶 as two bottles.
const PATTERN = new RegExp(
  `^(?:扣|买|要|来|拍|抢|下单|\\+)?\\s*([0-9]{1,4}|[零一二两俩三四五六七八九十]{1,3}?)\\s*(${WEIGHT_PATTERN}|${COUNT_UNITS})?\\s*[!！~。.]*$`,
  'i',
);
/** More packs than one buyer can ever take in one go. */
const MOST_PACKS = 99;

/** What a comment asks for. */
export type CommentOrder =
  /** This many units of the pinned SKU. */
  | { kind: 'count'; quantity: number }
  /** A weight, rounded up to whole packs of the pinned SKU: 要3斤 of 250 g bags is 6 bags. */
  | { kind: 'weight'; quantity: number; asked: string; packGrams: number }
  /** A weight that cannot be sold as packs: the SKU has no weight, or it is too much. */
  | { kind: 'unfit'; reason: 'noWeight' | 'tooMuch'; asked: string; packGrams?: number };

/**
 * What a live-chat message asks for, or undefined when it is not clearly an order (it stays
 * plain chat). A weight (斤, 公斤, 两, 克) becomes whole packs of the pinned SKU, rounded up.
 */
export function readCommentOrder(message: string, pinnedSpec: string): CommentOrder | undefined {
  const text = message.normalize('NFKC').trim();
  if (text.length === 0 || text.length > 12) return undefined;
  const m = PATTERN.exec(text);
  if (!m) return undefined;
  const prefixed = /^(扣|买|要|来|拍|抢|下单|\+)/.test(text);
  const unit = m[2]?.toLowerCase();
  const perUnit = unit ? WEIGHT_UNITS[unit] : undefined;
  if (perUnit) {
    // 两 is also "two": unprefixed, 两两 or 三两 is more likely chat than an order.
    if (unit === '两' && !prefixed) return undefined;
    const amount = /^[0-9]+$/.test(m[1]!) ? Number(m[1]) : parseCount(m[1]!);
    if (!amount) return undefined;
    const asked = text.replace(/[!！~。.\s]+$/, ''); // as the buyer wrote it: 要3斤
    const packGrams = gramsPerUnit(pinnedSpec);
    if (!packGrams) return { kind: 'unfit', reason: 'noWeight', asked };
    const quantity = Math.ceil((amount * perUnit) / packGrams);
    if (quantity > MOST_PACKS) return { kind: 'unfit', reason: 'tooMuch', asked, packGrams };
    return { kind: 'weight', quantity, asked, packGrams };
  }
  const count = parseCount(m[1]!);
  if (count === undefined) return undefined;
  // A bare Chinese numeral ("三") is too easily ordinary chat; bare digits are the live convention.
  if (!prefixed && !unit && !/^[0-9]+$/.test(m[1]!)) return undefined;
  return { kind: 'count', quantity: count };
}
