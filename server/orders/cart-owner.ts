import { randomBytes } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import type { CartOwner } from './cart-service.ts';

declare module 'express-serve-static-core' {
  interface Request {
    guestCartId?: string;
    cartOwner(): CartOwner;
  }
}

const COOKIE = 'cb_cart';

/** A guest cart id in its own long-lived cookie, so the cart outlives an expired session. */
export function cartOwnerMiddleware(secure: boolean) {
  return (req: Request, res: Response, next: NextFunction) => {
    const cookie = req.cookies?.[COOKIE];
    req.guestCartId =
      typeof cookie === 'string' && /^[A-Za-z0-9_-]{22}$/.test(cookie) ? cookie : undefined;
    req.cartOwner = () => {
      if (req.actor) return { userId: req.actor.id };
      if (!req.guestCartId) {
        req.guestCartId = randomBytes(16).toString('base64url');
        res.cookie(COOKIE, req.guestCartId, {
          httpOnly: true,
          sameSite: 'lax',
          secure,
          maxAge: 30 * 24 * 3600 * 1000,
        });
      }
      return { guestId: req.guestCartId };
    };
    next();
  };
}
