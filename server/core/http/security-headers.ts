// Headers a browser trusts (issue #13): a strict Content-Security-Policy (no inline script, no
// inline style: every script and style is a file of ours, or Stripe's own for its card form),
// no framing, nosniff, a Referrer-Policy, and `no-store` on every page shown to someone signed in
// (orders, addresses, the hub's parcels: personal data a shared phone or a proxy must not keep).
import type { RequestHandler } from 'express';
import helmet from 'helmet';

const STRIPE_JS = 'https://js.stripe.com';

function policy({ https, inlineStyles }: { https: boolean; inlineStyles: boolean }) {
  return helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'", STRIPE_JS],
        styleSrc: inlineStyles ? ["'self'", "'unsafe-inline'"] : ["'self'"],
        imgSrc: ["'self'", 'data:', 'blob:'],
        // A live room plays the streamer's HLS or video link, wherever it is hosted.
        mediaSrc: ["'self'", 'https:', 'blob:'],
        connectSrc: ["'self'", 'https://api.stripe.com'],
        frameSrc: [STRIPE_JS, 'https://hooks.stripe.com'],
        fontSrc: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        ...(https ? { upgradeInsecureRequests: [] } : {}),
      },
    },
    frameguard: { action: 'deny' },
    referrerPolicy: { policy: 'strict-origin-when-cross-origin' },
    strictTransportSecurity: https ? { maxAge: 180 * 24 * 3600 } : false,
  });
}

/**
 * The headers for every response. `thirdPartyUi` is a path prefix (the admin's queue dashboard,
 * a package's React app) whose markup carries style attributes: there, and only there, inline
 * styles are allowed; scripts never are.
 */
export function securityHeaders({
  https,
  thirdPartyUi,
}: {
  https: boolean;
  thirdPartyUi: string;
}): RequestHandler {
  const strict = policy({ https, inlineStyles: false });
  const relaxed = policy({ https, inlineStyles: true });
  return (req, res, next) => (req.path.startsWith(thirdPartyUi) ? relaxed : strict)(req, res, next);
}

/** Pages for someone signed in are personal: never kept by a browser cache or a proxy. */
export const privatePagesNotStored: RequestHandler = (req, res, next) => {
  if (req.actor) res.setHeader('cache-control', 'no-store');
  next();
};
