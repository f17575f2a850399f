import path from 'node:path';
import { noteText } from '../i18n/notes.ts';
import { create } from 'express-handlebars';
import type { HelperOptions } from 'handlebars';
import { PROJECT_ROOT } from '../config.ts';
import { formatChinaTime } from '../china-time.ts';
import { pickLocalized, type LocalizedText } from '../localized-text.ts';
import { maskPhone } from '../masking.ts';

const yuan = new Intl.NumberFormat('zh-CN', { style: 'currency', currency: 'CNY' });

/** The one place money becomes text: integer fen in, "¥12.50" out. */
export function formatFen(fen: number): string {
  if (!Number.isSafeInteger(fen)) throw new TypeError(`money must be integer fen, got ${fen}`);
  return yuan.format(fen / 100);
}

export { formatChinaTime };

export function createViewEngine() {
  return create({
    extname: '.hbs',
    defaultLayout: 'main',
    layoutsDir: path.join(PROJECT_ROOT, 'views/layouts'),
    partialsDir: path.join(PROJECT_ROOT, 'views/partials'),
    helpers: {
      money: (fen: number) => formatFen(fen),
      /** {{t "home.origin" village=name}}: translated with the request's locale. */
      t(key: string, options: HelperOptions) {
        const t = (options.data.root as { t?: (k: string, p?: object) => string }).t;
        return t ? t(key, options.hash as object) : key;
      },
      /** {{noteText reason params}}: a stored note (code and parameters) in the request's locale. */
      noteText(code: string, params: Record<string, unknown> | undefined, options: HelperOptions) {
        const root = options.data.root as {
          t?: (k: string, p?: object) => string;
          locale?: string;
        };
        return root.t ? noteText(code, params, root.locale ?? 'zh-CN', root.t) : code;
      },
      localized(text: LocalizedText, options: HelperOptions) {
        return pickLocalized(text, (options.data.root as { locale?: string }).locale ?? 'zh-CN');
      },
      eq: (a: unknown, b: unknown) => a === b,
      /** {{#if (or a b c)}}: any of them (the last argument is Handlebars' options). */
      or: (...args: unknown[]) => args.slice(0, -1).some(Boolean),
      gt: (a: unknown, b: unknown) => Number(a) > Number(b),
      /** A mobile number as others may see it: 138****0001. */
      masked: (phone: unknown) => maskPhone(String(phone ?? '')),
      /** Grams as kilograms with two decimals (weights on hub screens and manifests). */
      kg: (grams: number) => (Number(grams ?? 0) / 1000).toFixed(2),
      range3: () => [0, 1, 2],
      concat: (...parts: unknown[]) => parts.slice(0, -1).join(''),
      /** China time, e.g. 2026-11-27 18:42. */
      dateTime: (value: Date | string | undefined) =>
        value ? formatChinaTime(new Date(value)) : '',
      /** The calendar day in China, e.g. 2026-09-20 (harvests, inspections). */
      day: (value: Date | string | undefined) =>
        value ? formatChinaTime(new Date(value)).slice(0, 10) : '',
      /** Data for a page script: JSON that cannot close the <script> element. */
      json: (value: unknown) => JSON.stringify(value ?? null).replaceAll('<', '\\u003c'),
    },
  });
}
