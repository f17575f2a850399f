// Reading a rate-card CSV (courier_code,zone,first_kg_yuan,extra_kg_yuan,promised_days) into
// rates in fen, with every problem reported by line and column. Pure: the caller supplies the
// courier codes that exist and decides what to do with the result.
import { parse as parseCsv } from 'csv-parse/sync';
import { yuanToFen } from '../core/validation.ts';
import { MAX_PROMISED_DAYS } from './courier.model.ts';
import { DESTINATION_ZONES, isDestinationZone, type DestinationZone } from './destination-zones.ts';

export const RATE_CARD_COLUMNS = [
  'courier_code',
  'zone',
  'first_kg_yuan',
  'extra_kg_yuan',
  'promised_days',
] as const;
export const MAX_RATE_CARD_ROWS = 500;

export interface RateCardRow {
  line: number;
  courierCode: string;
  zone: DestinationZone;
  firstKgFen: number;
  extraKgFen: number;
  promisedDays: number;
}

/** One problem; `code` is an i18n key, `params` fill it in. */
export interface RateCardProblem {
  /** Line in the file, the header being line 1. */
  row: number;
  field: string;
  code: string;
  params?: Record<string, string | number>;
}

export type ParsedRateCard =
  { ok: true; rows: RateCardRow[] } | { ok: false; problems: RateCardProblem[] };

type Check<T> = { value: T } | { code: string; params?: Record<string, string | number> };

function yuanField(raw: string): Check<number> {
  if (raw === '') return { code: 'couriers.csv.required' };
  const fen = yuanToFen(raw);
  if (fen !== undefined) return { value: fen };
  if (/^-\s*\d/.test(raw)) return { code: 'couriers.csv.negative', params: { value: raw } };
  if (/^\d+\.\d{3,}$/.test(raw))
    return { code: 'couriers.csv.tooManyDecimals', params: { value: raw } };
  return { code: 'couriers.csv.notAnAmount', params: { value: raw } };
}

function daysField(raw: string): Check<number> {
  if (raw === '') return { code: 'couriers.csv.required' };
  const days = /^\d{1,3}$/.test(raw) ? Number(raw) : NaN;
  if (days >= 1 && days <= MAX_PROMISED_DAYS) return { value: days };
  return { code: 'couriers.csv.promisedDays', params: { value: raw, max: MAX_PROMISED_DAYS } };
}

/** Every row checked; `ok` only when the whole file is good. */
export function parseRateCardCsv(csv: string, courierCodes: ReadonlySet<string>): ParsedRateCard {
  let records: { record: string[]; info: { lines: number } }[];
  try {
    records = parseCsv(csv.replace(/^\uFEFF/, ''), {
      skip_empty_lines: true,
      trim: true,
      relax_column_count: true,
      info: true,
    }) as unknown as { record: string[]; info: { lines: number } }[];
  } catch (error) {
    const line = (error as { lines?: unknown }).lines;
    return fileProblem(typeof line === 'number' ? line : 1, 'couriers.csv.unreadable');
  }
  const [header, ...body] = records;
  if (!header) return fileProblem(1, 'couriers.csv.empty');
  const columns = header.record.map((name) => name.trim().toLowerCase());
  const missing = RATE_CARD_COLUMNS.filter((name) => !columns.includes(name));
  if (missing.length > 0)
    return fileProblem(header.info.lines, 'couriers.csv.missingColumns', {
      columns: missing.join(', '),
      count: missing.length,
      expected: RATE_CARD_COLUMNS.join(','),
    });
  if (body.length === 0) return fileProblem(header.info.lines, 'couriers.csv.noRows');
  if (body.length > MAX_RATE_CARD_ROWS)
    return fileProblem(header.info.lines, 'couriers.csv.tooManyRows', { max: MAX_RATE_CARD_ROWS });

  const problems: RateCardProblem[] = [];
  const rows: RateCardRow[] = [];
  const firstLineOf = new Map<string, number>();
  for (const { record, info } of body) {
    const line = info.lines;
    if (record.length !== columns.length) {
      problems.push({
        row: line,
        field: '*',
        code: 'couriers.csv.columnCount',
        params: { expected: columns.length, found: record.length },
      });
      continue;
    }
    const cell = (name: string) => (record[columns.indexOf(name)] ?? '').trim();
    const before = problems.length;
    const report = (field: string, code: string, params?: Record<string, string | number>) =>
      problems.push({ row: line, field, code, ...(params ? { params } : {}) });

    const courierCode = cell('courier_code').toLowerCase();
    if (courierCode === '') report('courier_code', 'couriers.csv.required');
    else if (!courierCodes.has(courierCode))
      report('courier_code', 'couriers.csv.unknownCourier', {
        value: cell('courier_code'),
        known: [...courierCodes].sort().join(', '),
      });

    const zone = cell('zone').toLowerCase();
    if (zone === '') report('zone', 'couriers.csv.required');
    else if (!isDestinationZone(zone))
      report('zone', 'couriers.csv.unknownZone', {
        value: cell('zone'),
        zones: DESTINATION_ZONES.join(', '),
      });

    const checked = {
      first_kg_yuan: yuanField(cell('first_kg_yuan')),
      extra_kg_yuan: yuanField(cell('extra_kg_yuan')),
      promised_days: daysField(cell('promised_days')),
    };
    for (const [field, check] of Object.entries(checked))
      if ('code' in check) report(field, check.code, check.params);

    if (courierCodes.has(courierCode) && isDestinationZone(zone)) {
      const key = `${courierCode}|${zone}`;
      const first = firstLineOf.get(key);
      if (first === undefined) firstLineOf.set(key, line);
      else
        report('zone', 'couriers.csv.duplicate', { courier: courierCode, zone, firstLine: first });
    }

    if (problems.length > before || !isDestinationZone(zone)) continue;
    const { first_kg_yuan, extra_kg_yuan, promised_days } = checked;
    if (!('value' in first_kg_yuan && 'value' in extra_kg_yuan && 'value' in promised_days))
      continue;
    rows.push({
      line,
      courierCode,
      zone,
      firstKgFen: first_kg_yuan.value,
      extraKgFen: extra_kg_yuan.value,
      promisedDays: promised_days.value,
    });
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, rows };
}

function fileProblem(
  row: number,
  code: string,
  params?: Record<string, string | number>,
): ParsedRateCard {
  return { ok: false, problems: [{ row, field: 'file', code, ...(params ? { params } : {}) }] };
}
