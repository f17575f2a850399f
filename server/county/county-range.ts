// The range the county's tables cover: today, the last 7 or 30 days, or two days a person picks
// (at most a year), all China calendar days.
import { z } from 'zod';
import { chinaDay, shiftChinaDay } from '../core/china-time.ts';
import { Invalid } from '../core/errors.ts';
import { parseInput } from '../core/validation.ts';

export const RANGE_KINDS = ['day', 'week', 'month', 'custom'] as const;
export type RangeKind = (typeof RANGE_KINDS)[number];
export const SORT_KEYS = ['gmv', 'orders', 'repeat', 'average'] as const;
export type SortKey = (typeof SORT_KEYS)[number];

const MAX_DAYS = 366;
const dayText = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'validation.day');

const rangeInput = z.object({
  range: z.enum(RANGE_KINDS, { message: 'validation.rangeKind' }).default('month'),
  from: dayText.optional(),
  to: dayText.optional(),
  sort: z.enum(SORT_KEYS, { message: 'validation.sortKey' }).default('gmv'),
});

export interface DayRange {
  kind: RangeKind;
  from: string;
  to: string;
  days: number;
  sort: SortKey;
}

function isRealDay(day: string): boolean {
  return new Date(`${day}T00:00:00Z`).toISOString().slice(0, 10) === day;
}

/** The range a request asks for; a custom one needs both days, in order, within a year. */
export function parseRange(query: unknown, now = new Date()): DayRange {
  const input = parseInput(rangeInput, query);
  const today = chinaDay(now);
  let from = today;
  let to = today;
  if (input.range === 'week') from = shiftChinaDay(today, -6);
  if (input.range === 'month') from = shiftChinaDay(today, -29);
  if (input.range === 'custom') {
    if (!input.from || !isRealDay(input.from))
      throw new Invalid('errors.invalid', [{ field: 'from', code: 'validation.day' }]);
    if (!input.to || !isRealDay(input.to))
      throw new Invalid('errors.invalid', [{ field: 'to', code: 'validation.day' }]);
    from = input.from;
    to = input.to;
  }
  const days = Math.round((Date.parse(to) - Date.parse(from)) / 86_400_000) + 1;
  if (days < 1 || days > MAX_DAYS)
    throw new Invalid('errors.invalid', [{ field: 'to', code: 'validation.rangeLength' }]);
  return { kind: input.range, from, to, days, sort: input.sort };
}

/** The calendar month "2026-11" as a range of its days. */
export function monthRange(month: string): DayRange {
  if (!/^\d{4}-(0[1-9]|1[0-2])$/.test(month))
    throw new Invalid('errors.invalid', [{ field: 'month', code: 'validation.month' }]);
  const from = `${month}-01`;
  const next = new Date(`${from}T00:00:00Z`);
  next.setUTCMonth(next.getUTCMonth() + 1);
  const to = shiftChinaDay(next.toISOString().slice(0, 10), -1);
  const days = Number(to.slice(8, 10));
  return { kind: 'custom', from, to, days, sort: 'gmv' };
}
