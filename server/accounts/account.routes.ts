import { Router, type Request, type Response } from 'express';
import { Invalid, TooManyRequests } from '../core/errors.ts';
import { formErrorLocals } from '../core/http/form-errors.ts';
import type { AccountService } from './account-service.ts';
import type { CartService } from '../orders/cart-service.ts';
import type { Realtime } from '../core/realtime.ts';
import type { Sessions } from './sessions.ts';
import { rooms } from '../core/rooms.ts';

/** Only same-site paths are allowed as a place to return to after signing in. */
export function safeReturnTo(value: unknown): string {
  return typeof value === 'string' && /^\/(?!\/)[\w\-./?=&%~]*$/.test(value) ? value : '/';
}

export function accountRoutes(
  services: { accounts: AccountService; carts: CartService; realtime: Realtime },
  sessions: Sessions,
): Router {
  const router = Router();
  const { accounts, carts } = services;

  const afterSignIn = async (req: Request) => {
    if (req.guestCartId && req.actor) await carts.merge(req.guestCartId, req.actor.id);
  };

  const renderForm =
    (view: 'accounts/signin' | 'accounts/signup') => (req: Request, res: Response) =>
      res.render(view, {
        title: req.t(`accounts.${view === 'accounts/signin' ? 'signIn' : 'signUp'}`),
        returnTo: safeReturnTo(req.query.returnTo),
      });

  const formFailure = (view: string, req: Request, res: Response, error: unknown) => {
    // A refused form, or a sign-in that must wait (429): the form again, with the reason.
    if (!(error instanceof Invalid || error instanceof TooManyRequests)) throw error;
    res.status(error.status).render(view, {
      title: req.t(view === 'accounts/signin' ? 'accounts.signIn' : 'accounts.signUp'),
      returnTo: safeReturnTo(req.body?.returnTo),
      ...formErrorLocals(req, error, {
        values: { login: req.body?.login, displayName: req.body?.displayName },
      }),
    });
  };

  router.get('/signin', renderForm('accounts/signin'));
  router.get('/signup', renderForm('accounts/signup'));

  router.post('/signin', async (req, res) => {
    try {
      const actor = await accounts.signIn(req.body, req.ip ?? 'unknown');
      await sessions.signIn(req, actor);
      await afterSignIn(req);
      res.redirect(303, safeReturnTo(req.body?.returnTo));
    } catch (error) {
      formFailure('accounts/signin', req, res, error);
    }
  });

  router.post('/signup', async (req, res) => {
    try {
      const actor = await accounts.signUp(req.body, req.ip ?? 'unknown');
      await sessions.signIn(req, actor);
      await afterSignIn(req);
      res.redirect(303, safeReturnTo(req.body?.returnTo));
    } catch (error) {
      formFailure('accounts/signup', req, res, error);
    }
  });

  router.post('/signout', async (req, res) => {
    const sessionId = req.sessionID;
    await sessions.signOut(req);
    // An open live console or room on this browser must not keep acting for the person.
    services.realtime.disconnectRoom(rooms.session(sessionId));
    res.redirect(303, '/');
  });

  router.post('/signout/everywhere', async (req, res) => {
    const userId = req.actor?.id;
    await sessions.signOutEverywhere(req);
    if (userId) services.realtime.disconnectRoom(rooms.user(userId));
    res.redirect(303, '/');
  });

  // JSON API for apps and the load harness: the same services, the same rules.
  router.get('/api/session', (req, res) => {
    res.json({ actor: req.actor ?? null, csrfToken: sessions.csrfToken(req) });
  });

  router.post('/api/session', async (req, res) => {
    const actor = await accounts.signIn(req.body, req.ip ?? 'unknown');
    await sessions.signIn(req, actor);
    await afterSignIn(req);
    res.json({ actor, csrfToken: sessions.csrfToken(req) });
  });

  router.post('/api/signup', async (req, res) => {
    const actor = await accounts.signUp(req.body, req.ip ?? 'unknown');
    await sessions.signIn(req, actor);
    await afterSignIn(req);
    res.status(201).json({ actor, csrfToken: sessions.csrfToken(req) });
  });

  router.delete('/api/session', async (req, res) => {
    await sessions.signOut(req);
    res.status(204).end();
  });

  return router;
}
