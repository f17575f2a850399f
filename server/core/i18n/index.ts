import { readFileSync } from 'node:fs';
import { createInstance, type i18n, type TFunction } from 'i18next';
import type { NextFunction, Request, Response } from 'express';

export const LOCALES = ['zh-CN', 'en'] as const;
export type Locale = (typeof LOCALES)[number];

const LANG_COOKIE = 'lang';

function loadCatalogue(locale: Locale): Record<string, unknown> {
  return JSON.parse(readFileSync(new URL(`./${locale}.json`, import.meta.url), 'utf8')) as Record<
    string,
    unknown
  >;
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
