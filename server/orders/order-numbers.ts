import { randomInt } from 'node:crypto';

/** CB + yymmdd + 8 random digits: readable over the phone, unique enough with the unique index. */
export function newOrderNo(now = new Date()): string {
  const date = now.toISOString().slice(2, 10).replaceAll('-', '');
  return `CB${date}${String(randomInt(0, 100_000_000)).padStart(8, '0')}`;
}
