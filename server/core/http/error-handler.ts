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
  const message = t(error.code, error.params);
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
