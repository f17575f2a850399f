// Stored notes (an order's timeline, say) keep an i18n code and its parameters, never a
// sentence, so each reader gets their own language. A parameter may be a localized text (a
// courier's name) or an amount in fen named `…Fen`, shown as money without the suffix.
import type { LocalizedText } from '../localized-text.ts';

export type NoteParam = string | number | LocalizedText;

/** Parameters ready for i18next in one locale. */
export function noteParams(
  params: Record<string, unknown> | undefined,
  locale: string,
): Record<string, string | number> {
  const out: Record<string, string | number> = {};
  for (const [key, value] of Object.entries(params ?? {})) {
    if (typeof value === 'number' && key.endsWith('Fen'))
      out[key.slice(0, -3)] = `¥${(value / 100).toFixed(2)}`;
    else if (value && typeof value === 'object') {
      const text = value as LocalizedText;
      out[key] = (locale.startsWith('zh') ? text.zh : text.en) || text.zh || text.en || '';
    } else if (typeof value === 'string' || typeof value === 'number') out[key] = value;
  }
  return out;
}

/** The note in one locale; a note stored before codes (a plain sentence) is shown as it was. */
export function noteText(
  code: string,
  params: Record<string, unknown> | undefined,
  locale: string,
  t: (key: string, params?: object) => string,
): string {
  if (!/^[a-z][A-Za-z]*\.[A-Za-z.]+$/.test(code)) return code;
  return t(code, noteParams(params, locale));
}
