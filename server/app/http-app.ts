import { countyRoutes } from '../county/county.routes.ts';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import cookieParser from 'cookie-parser';
import express, { type Express } from 'express';
import type { i18n } from 'i18next';
import type { Redis } from 'ioredis';
import { pinoHttp } from 'pino-http';
import { accountRoutes } from '../accounts/account.routes.ts';
import { shopReviewRoutes } from '../catalogue/shop-review.routes.ts';
import { courierAdminRoutes } from '../hub/courier-admin.routes.ts';
import { hubRoutes } from '../hub/hub.routes.ts';
import { traceRoutes } from '../trace/trace.routes.ts';
import { courierEventsRoute } from '../hub/couriers/courier-events.routes.ts';
import { studioRoutes } from '../catalogue/studio.routes.ts';
import { liveRoutes } from '../live/live.routes.ts';
import { giveawayRoutes } from '../promotions/giveaway.routes.ts';
import { certificationRoutes } from '../trace/certification.routes.ts';
import { hideDocumentsFromUploads } from '../trace/uploads.ts';
import type { Sessions } from '../accounts/sessions.ts';
import { storefrontRoutes } from '../catalogue/storefront.routes.ts';
import { cartOwnerMiddleware } from '../orders/cart-owner.ts';
import { orderRoutes } from '../orders/order.routes.ts';
import { paymentRoutes, stripeWebhookRoute } from '../payments/payments.routes.ts';
import type { Services } from './services.ts';
import { PROJECT_ROOT, type Config } from '../core/config.ts';
import { localeMiddleware } from '../core/i18n/index.ts';
import type { Logger } from '../core/logger.ts';
import type { RedisKeys } from '../core/redis.ts';
import { errorHandler, notFoundHandler, rememberRootApp } from '../core/http/error-handler.ts';
import { healthRoutes } from '../core/http/health.routes.ts';
import {
  refuseControlCharactersInBody,
  refuseControlCharactersInUrl,
} from '../core/http/input-guard.ts';
import { QUEUE_DASHBOARD_PATH, queueDashboard } from './queue-dashboard.ts';
import { privatePagesNotStored, securityHeaders } from '../core/http/security-headers.ts';
import { testOnlyRoutes } from '../core/http/test-routes.ts';
import { createViewEngine } from '../core/http/views.ts';

export interface AppDeps {
  config: Config;
  logger: Logger;
  i18n: i18n;
  redis: Redis;
  keys: RedisKeys;
  services: Services;
  sessions: Sessions;
  /** False once shutdown begins. */
  accepting: () => boolean;
}

export function createApp(deps: AppDeps): Express {
  const { config, logger, sessions, services } = deps;
  const app = express();
  const views = createViewEngine();
  app.engine('.hbs', views.engine);
  app.set('view engine', '.hbs');
  app.set('views', path.join(PROJECT_ROOT, 'views'));
  // Per-IP limits (sign-in, trace lookups) must see the buyer's address, not the balancer's.
  app.set(
    'trust proxy',
    /^[0-9]+$/.test(config.TRUST_PROXY) ? Number(config.TRUST_PROXY) : config.TRUST_PROXY,
  );
  app.disable('x-powered-by');
  app.use(rememberRootApp(app));
  if (config.NODE_ENV === 'production') app.enable('view cache');

  app.use(
    pinoHttp({
      logger,
      genReqId: (req, res) => {
        const given = req.headers['x-request-id'];
        const id = typeof given === 'string' && /^[\w-]{1,64}$/.test(given) ? given : randomUUID();
        res.setHeader('x-request-id', id);
        return id;
      },
      autoLogging: { ignore: (req) => req.url === '/healthz' || req.url === '/readyz' },
    }),
  );
  app.use(healthRoutes(deps));
  app.use(
    securityHeaders({
      https: config.PUBLIC_URL.startsWith('https:'),
      thirdPartyUi: QUEUE_DASHBOARD_PATH,
    }),
  );
  app.use(
    express.static(path.join(PROJECT_ROOT, 'public'), {
      maxAge: config.NODE_ENV === 'production' ? '7d' : 0,
      index: false,
    }),
  );
  // Certificates and reports are served one by one after an access check (/documents/:id).
  app.use('/uploads', hideDocumentsFromUploads);
  app.use(
    '/uploads',
    express.static(path.join(config.DATA_DIR, 'uploads'), { index: false, maxAge: '30d' }),
  );
  app.use(cookieParser());
  app.use(localeMiddleware(deps.i18n, config.DEFAULT_LOCALE));
  app.use(refuseControlCharactersInUrl);
  app.use(stripeWebhookRoute(services));
  app.use(courierEventsRoute(services));
  app.use(express.json({ limit: '100kb' }));
  app.use(express.urlencoded({ extended: false, limit: '100kb' }));
  app.use(refuseControlCharactersInBody);
  app.use(sessions.middleware);
  app.use(privatePagesNotStored);
  app.use(cartOwnerMiddleware(config.PUBLIC_URL.startsWith('https:')));
  app.use((req, res, next) => {
    res.locals.t = req.t;
    res.locals.path = req.path;
    res.locals.csrfToken = sessions.csrfToken(req);
    next();
  });
  // Admin only, and before the CSRF check: its own fetch calls carry no token (see the file).
  app.use(queueDashboard(services.queues, config.PUBLIC_URL));
  app.use(sessions.csrfProtection);

  if (config.NODE_ENV === 'test') app.use(testOnlyRoutes());
  app.use(accountRoutes(services, sessions));
  app.use(orderRoutes(services, config.ORDER_PAY_TIMEOUT_S));
  app.use(paymentRoutes(services, config.STRIPE_PUBLISHABLE_KEY));
  app.use(studioRoutes(services, path.join(config.DATA_DIR, 'uploads')));
  app.use(shopReviewRoutes(services));
  app.use(courierAdminRoutes(services));
  app.use(hubRoutes(services));
  app.use(traceRoutes(services, config.DATA_DIR));
  app.use(liveRoutes(services));
  app.use(giveawayRoutes());
  app.use(certificationRoutes(services, config.DATA_DIR));
  app.use(countyRoutes(services));
  app.use(storefrontRoutes(services));

  app.use(notFoundHandler);
  app.use(errorHandler);
  return app;
}
