import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInstance, type i18n, type TFunction } from 'i18next';
import type { NextFunction, Request, Response } from 'express';

export const LOCALES = ['zh-CN', 'en'] as const;
export type Locale = (typeof LOCALES)[number];

const LANG_COOKIE = 'lang';

/**
 * The catalogue of one locale: `<locale>.json` plus any `<area>.<locale>.json` beside it (one file
 * per domain keeps the big catalogue from being everyone's file), merged key by key.
 */
function loadCatalogue(locale: Locale): Record<string, unknown> {
  const dir = fileURLToPath(new URL('.', import.meta.url));
  const files = readdirSync(dir)
    .filter((name) => name === `${locale}.json` || name.endsWith(`.${locale}.json`))
    .sort((a, b) => a.length - b.length);
  const catalogue: Record<string, unknown> = {};
  for (const file of files) {
    mergeInto(catalogue, JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as object);
  }
  return catalogue;
}

function mergeInto(target: Record<string, unknown>, source: object): void {
  for (const [key, value] of Object.entries(source)) {
    const existing = target[key];
    if (isPlainObject(existing) && isPlainObject(value)) mergeInto(existing, value);
    else target[key] = value;
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export async function createI18n(defaultLocale: Locale): Promise<i18n> {
  const instance = createInstance();
  await instance.init({
    lng: defaultLocale,
    fallbackLng: 'zh-CN',
    supportedLngs: [...LOCALES],
    resources: Object.fromEntries(LOCALES.map((l) => [l, { translation: loadCatalogue(l) }])),
    interpolation: { escapeValue: false }, // Handlebars escapes on output
    initAsync: false,
  });
  return instance;
}

export function isLocale(value: unknown): value is Locale {
  return typeof value === 'string' && (LOCALES as readonly string[]).includes(value);
}

declare module 'express-serve-static-core' {
  interface Request {
    locale: Locale;
    t: TFunction;
  }
}

/** Locale from ?lang= (remembered in a cookie), else the cookie, else the default. */
export function localeMiddleware(i18next: i18n, defaultLocale: Locale) {
  return (req: Request, res: Response, next: NextFunction) => {
    const asked = req.query.lang;
    let locale: Locale = defaultLocale;
    if (isLocale(asked)) {
      locale = asked;
      res.cookie(LANG_COOKIE, locale, {
        maxAge: 365 * 24 * 3600 * 1000,
        sameSite: 'lax',
        httpOnly: true,
      });
    } else if (isLocale(req.cookies?.[LANG_COOKIE])) {
      locale = req.cookies[LANG_COOKIE] as Locale;
    }
    req.locale = locale;
    req.t = i18next.getFixedT(locale);
    res.locals.locale = locale;
    res.locals.otherLocale = locale === 'zh-CN' ? 'en' : 'zh-CN';
    next();
  };
}
