import { noteParams } from '../i18n/notes.ts';
import type { ErrorRequestHandler, Express, Request, RequestHandler, Response } from 'express';
import {
  AppError,
  Forbidden,
  Internal,
  Invalid,
  NotFound,
  PayloadTooLarge,
  Unavailable,
} from '../errors.ts';

interface BodyParserError {
  type?: string;
  code?: string;
  status?: number;
  message: string;
}

function wantsJson(req: Request): boolean {
  return (
    req.path.startsWith('/api/') ||
    req.path.startsWith('/webhooks/') ||
    req.accepts(['html', 'json']) === 'json'
  );
}

export const notFoundHandler: RequestHandler = (req, _res, next) => {
  next(new NotFound('errors.routeNotFound', { method: req.method, path: req.path }));
};

/**
 * The document store is out of reach or out of connections (PostgreSQL's 53300 behind FerretDB,
 * a driver pool that timed out): the request may be tried again shortly.
 */
export function isStoreUnavailable(err: unknown): boolean {
  const name = (err as { name?: string }).name ?? '';
  const message = (err as { message?: string }).message ?? '';
  return (
    /^Mongo(ServerSelection|Network|NetworkTimeout|WaitQueueTimeout|PoolCleared)Error$/.test(
      name,
    ) || /53300|too many clients|remaining connection slots/i.test(message)
  );
}

/** The screen a person was working in, so an error there is not a dead end. */
const SECTIONS: { prefix: string; href: string; label: string }[] = [
  { prefix: '/hub/', href: '/hub', label: 'errors.backToHub' },
  { prefix: '/studio/live/', href: '/studio/live', label: 'errors.backToLive' },
  { prefix: '/studio/', href: '/studio', label: 'errors.backToStudio' },
  { prefix: '/admin/', href: '/admin/shops', label: 'errors.backToAdmin' },
  { prefix: '/orders/', href: '/orders', label: 'errors.backToOrders' },
];

function backTo(path: string): { href: string; label: string } | undefined {
  const section = SECTIONS.find((s) => path.startsWith(s.prefix) || path === s.href);
  if (!section) return undefined;
  // An error on a parcel or a wave goes back to that parcel or wave, where the work was.
  const item = /^\/hub\/(parcels|waves)\/([A-Za-z0-9-]{1,40})\//.exec(path);
  return item ? { href: `/hub/${item[1]}/${item[2]}`, label: 'errors.backToItem' } : section;
}

/** Work screens where a refused action shows its reason on the screen it was taken from. */
const WORK_SECTIONS = ['/hub', '/studio', '/admin'];

/** Refusals a person can act on where they stand (not "no such thing", not "not allowed"). */
const SAID_ON_SCREEN = new Set([400, 409, 410, 422, 429]);

declare module 'express-serve-static-core' {
  interface Request {
    /** Set while a refused form's screen is rendered again, so that happens once at most. */
    rerenderedAfter?: string;
  }
}

/**
 * The screen a refused form was sent from, when it should be shown again with the message: a
 * form post in the hub, the studio or the admin pages, refused for a reason the person can act
 * on. The page it came from (Referer, same site, same section), or else that section's screen.
 */
function screenToShowAgain(req: Request, error: AppError): string | undefined {
  if (req.method !== 'POST' || req.rerenderedAfter || wantsJson(req)) return undefined;
  if (!SAID_ON_SCREEN.has(error.status)) return undefined;
  const section = WORK_SECTIONS.find((s) => req.path === s || req.path.startsWith(`${s}/`));
  if (!section) return undefined;
  const referer = req.get('referer');
  if (referer) {
    try {
      const from = new URL(referer);
      const inSection = from.pathname === section || from.pathname.startsWith(`${section}/`);
      if (from.host === req.get('host') && inSection) return from.pathname + from.search;
    } catch {
      // Not a URL: fall back to the section's screen.
    }
  }
  return backTo(req.path)?.href;
}

/** Longest address sent back to after signing in (headers stay small for every proxy). */
const MAX_RETURN_TO = 512;

/** Seconds a client is asked to wait when the store is saturated. */
const RETRY_AFTER_S = 5;

/** The app each response started in: an error page is always rendered by it. */
const rootApps = new WeakMap<Response, Express>();

/**
 * Mounted first on the top-level app: an error inside a mounted sub-app (the queue dashboard,
 * mounted through a router, so without `parent`) still renders the app's own error page.
 */
export function rememberRootApp(app: Express): RequestHandler {
  return (_req, res, next) => {
    rootApps.set(res, app);
    next();
  };
}

/** Typed errors → status and a message from the i18n catalogue; anything else → 500, logged. */
export const errorHandler: ErrorRequestHandler = (err: unknown, req, res, _next) => {
  let error: AppError;
  const parserError = err as BodyParserError;
  if (err instanceof AppError) {
    error = err;
  } else if (parserError.code === 'EBADCSRFTOKEN') {
    error = new Forbidden('errors.csrf');
  } else if (parserError.type === 'entity.parse.failed') {
    error = new Invalid('errors.invalidJson', [], { detail: parserError.message });
  } else if (parserError.type === 'entity.too.large') {
    error = new PayloadTooLarge();
  } else if (
    typeof parserError.status === 'number' &&
    parserError.status >= 400 &&
    parserError.status < 500
  ) {
    error = new Invalid('errors.invalid');
  } else if (isStoreUnavailable(err)) {
    req.log?.warn({ err }, 'document store unavailable');
    error = new Unavailable();
  } else {
    req.log?.error({ err }, 'unhandled error');
    error = new Internal();
  }

  const t = req.t ?? ((key: string) => key);
  // Amounts (`…Fen`) read as money, localized texts in the reader's language (i18n/notes.ts).
  const message = t(error.code, noteParams(error.params, req.locale ?? 'zh-CN'));
  const body = {
    error: {
      code: error.code,
      message,
      ...(error instanceof Invalid && error.fields.length > 0
        ? {
            fields: error.fields.map((f) => ({
              field: f.field,
              code: f.code,
              message: t(f.code, f.params ?? {}),
            })),
          }
        : {}),
    },
    requestId: req.id,
  };
  if (res.headersSent) return;
  if (error instanceof Unavailable) res.setHeader('Retry-After', String(RETRY_AFTER_S));
  if (error.status === 401 && !wantsJson(req)) {
    // Back to where they were after signing in, unless that address is too long to carry.
    const back = req.originalUrl.length <= MAX_RETURN_TO ? req.originalUrl : undefined;
    res.redirect(303, back ? `/signin?returnTo=${encodeURIComponent(back)}` : '/signin');
    return;
  }
  res.status(error.status);
  const again = screenToShowAgain(req, error);
  if (again) {
    // The same screen again, read fresh, with the reason on top and the refusal's status: the
    // person sees what happened where they were working, and nothing changed.
    const app = rootApps.get(res) ?? res.app;
    req.rerenderedAfter = req.originalUrl;
    req.method = 'GET';
    req.url = again;
    req.originalUrl = again;
    res.locals.flash = {
      message,
      fields: 'fields' in body.error ? body.error.fields : [],
    };
    app(req, res);
    return;
  }
  if (wantsJson(req)) {
    res.json(body);
  } else {
    // Rendered by the top-level app: an error inside a mounted sub-app (the queue dashboard)
    // would otherwise look for the page among that sub-app's views.
    const app = rootApps.get(res) ?? res.app;
    const locals = {
      ...res.locals,
      back: backTo(req.path),
      fields: 'fields' in body.error ? body.error.fields : [],
      title: t('errors.title'),
      status: error.status,
      message,
      requestId: req.id,
    };
    app.render('errors/error', locals, (renderError: Error | null, html?: string) => {
      if (renderError) {
        req.log?.error({ err: renderError }, 'error page did not render');
        res.type('text/plain').send(message);
        return;
      }
      res.type('html').send(html);
    });
  }
};
