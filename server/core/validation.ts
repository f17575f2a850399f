// Validating input at the edge: zod schemas whose messages are i18n keys, and the building
// blocks every schema uses, so a field means the same thing wherever it is typed.
import { isValidObjectId } from 'mongoose';
import { z } from 'zod';
import { parseChinaLocalTime } from './china-time.ts';
import { Invalid, type FieldProblem } from './errors.ts';

/** Parses `data` or throws Invalid listing each bad field with an i18n message key. */
export function parseInput<S extends z.ZodType>(schema: S, data: unknown): z.output<S> {
  const result = schema.safeParse(data);
  if (result.success) return result.data;
  const fields: FieldProblem[] = result.error.issues.map((issue) => ({
    field: issue.path.join('.') || 'input',
    code: issue.message.startsWith('validation.') ? issue.message : 'validation.invalid',
  }));
  throw new Invalid('errors.invalid', fields);
}

/**
 * Control characters other than tab and line breaks. The document store refuses a NUL, and
 * none of the others belongs in anything a person types.
 */
// eslint-disable-next-line no-control-regex -- control characters are what this finds
const CONTROL_CHARACTERS = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;
const LINE_BREAKS = /[\t\n\r]/;

export function hasControlCharacters(text: string, { multiline = false } = {}): boolean {
  return CONTROL_CHARACTERS.test(text) || (!multiline && LINE_BREAKS.test(text));
}

/**
 * Text a person typed: trimmed, with no control characters (line breaks only where `multiline`),
 * and its length counted in UTF-16 units, the way the Mongoose schema's maxlength counts it, so
 * an emoji that passes here also fits there.
 */
export function plainText(
  code: string,
  { min = 0, max, multiline = false }: { min?: number; max: number; multiline?: boolean },
) {
  return z
    .string({ error: code })
    .trim()
    .refine((v) => !hasControlCharacters(v, { multiline }), 'validation.controlCharacters')
    .refine((v) => v.length >= min && v.length <= max, code);
}

const DIGITS = /^-?[0-9]{1,15}$/;

/**
 * A count (a quantity, grams, days): a whole number as a JSON number or as the digits a form
 * sends. `true`, `[2]`, `"0x10"`, `"2e0"` and `"+2"` are refused, where z.coerce would take them.
 */
export function wholeNumber(
  code: string,
  { min, max, maxCode = code }: { min: number; max: number; maxCode?: string },
) {
  return z.unknown().transform((raw, ctx): number => {
    const text = typeof raw === 'string' ? raw.trim() : undefined;
    const value =
      typeof raw === 'number' ? raw : text !== undefined && DIGITS.test(text) ? Number(text) : NaN;
    if (!Number.isSafeInteger(value) || value < min) {
      ctx.addIssue({ code: 'custom', message: code });
      return z.NEVER;
    }
    if (value > max) {
      ctx.addIssue({ code: 'custom', message: maxCode });
      return z.NEVER;
    }
    return value;
  });
}

/** "38.8" or "38.80" yuan → 3880 fen, exactly (no floating point); undefined if not money. */
export function yuanToFen(value: string): number | undefined {
  const match = /^(\d{1,7})(?:\.(\d{1,2}))?$/.exec(value.trim());
  if (!match) return undefined;
  return Number(match[1]) * 100 + Number((match[2] ?? '0').padEnd(2, '0'));
}

/**
 * Money as a person types it: yuan with up to two decimals ("29.8", "29.80", "30"), kept as
 * integer fen. At least one fen.
 */
export function yuanAmount(code: string) {
  return z.unknown().transform((raw, ctx): number => {
    const fen = typeof raw === 'string' ? yuanToFen(raw) : undefined;
    if (fen === undefined || fen < 1) {
      ctx.addIssue({ code: 'custom', message: code });
      return z.NEVER;
    }
    return fen;
  });
}

export const objectIdSchema = z
  .string({ error: 'validation.id' })
  .refine((v) => /^[0-9a-f]{24}$/i.test(v) && isValidObjectId(v), 'validation.id');

/** The earliest and latest instants a person may schedule: nothing before 2020 or 10 years on. */
const EARLIEST = Date.UTC(2020, 0, 1);
const YEARS_AHEAD_MS = 10 * 366 * 24 * 3600_000;

/**
 * A date and time typed in China time (a datetime-local field, "2026-11-29T20:00"), stored as
 * the instant. Anything that is not a real date, or lies outside a sane window, is refused.
 */
export function chinaDateTime(code: string, now: () => number = Date.now) {
  return z.string({ error: code }).transform((text, ctx): Date => {
    const at = parseChinaLocalTime(text);
    const ms = at?.getTime() ?? NaN;
    if (!(ms >= EARLIEST && ms <= now() + YEARS_AHEAD_MS)) {
      ctx.addIssue({ code: 'custom', message: code });
      return z.NEVER;
    }
    return at!;
  });
}
