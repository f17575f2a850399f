// Sessions in Redis, signed http-only cookies, CSRF tokens, and "sign out everywhere".
import RedisStore from 'connect-redis';
import { csrfSync } from 'csrf-sync';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import session from 'express-session';
import type { Redis } from 'ioredis';
import type { RedisKeys } from '../core/redis.ts';
import type { Actor } from './actor.ts';
import { ActorStamps } from './actor-stamps.ts';

declare module 'express-session' {
  interface SessionData {
    actor?: Actor;
    /** When `actor` was loaded (ms): reloaded once the person's role changes after it. */
    actorAt?: number;
  }
}

declare module 'express-serve-static-core' {
  interface Request {
    actor?: Actor;
  }
}

const SESSION_TTL_S = 30 * 24 * 3600;

export interface Sessions {
  middleware: RequestHandler[];
  csrfProtection: RequestHandler;
  csrfToken(req: Request): string;
  signIn(req: Request, actor: Actor): Promise<void>;
  signOut(req: Request): Promise<void>;
  signOutEverywhere(req: Request): Promise<number>;
}

export function createSessions(opts: {
  redis: Redis;
  keys: RedisKeys;
  secret: string;
  secureCookies: boolean;
  /** Reads a person again when their role changed since their session loaded them. */
  findActor: (userId: string) => Promise<Actor | undefined>;
}): Sessions {
  const { redis, keys } = opts;
  const stamps = new ActorStamps(redis, keys);
  const store = new RedisStore({
    client: redis,
    prefix: `${keys.key('sess')}:`,
    ttl: SESSION_TTL_S,
  });
  const userSessionsKey = (userId: string) => keys.key('user-sessions', userId);

  const sessionMiddleware = session({
    name: 'cb_sid',
    store,
    secret: opts.secret,
    resave: false,
    saveUninitialized: false,
    rolling: true,
    cookie: {
      httpOnly: true,
      sameSite: 'lax',
      secure: opts.secureCookies,
      maxAge: SESSION_TTL_S * 1000,
    },
  });

  const { csrfSynchronisedProtection, generateToken } = csrfSync({
    getTokenFromRequest: (req) => {
      const fromBody = (req.body as { _csrf?: unknown } | undefined)?._csrf;
      const fromQuery = req.query._csrf;
      const fromHeader = req.headers['x-csrf-token'];
      const token = [fromBody, fromQuery, fromHeader].find((t) => typeof t === 'string');
      return token as string | undefined;
    },
  });

  const loadActor = async (req: Request, res: Response, next: NextFunction) => {
    try {
      const current = req.session?.actor;
      if (current && (await stamps.changedAt(current.id)) > (req.session.actorAt ?? 0)) {
        const fresh = await opts.findActor(current.id);
        if (fresh) req.session.actor = fresh;
        else delete req.session.actor; // the account is gone
        req.session.actorAt = Date.now();
      }
      req.actor = req.session?.actor;
      if (res.locals) res.locals.actor = req.actor; // absent on socket.io's raw responses
      next();
    } catch (error) {
      next(error);
    }
  };

  return {
    middleware: [sessionMiddleware, loadActor],
    csrfProtection: csrfSynchronisedProtection,
    csrfToken: (req) => generateToken(req),
    async signIn(req, actor) {
      // A new session id at sign-in, so a planted cookie cannot ride along (session fixation).
      await new Promise<void>((resolve, reject) =>
        req.session.regenerate((e) => (e ? reject(e) : resolve())),
      );
      req.session.actor = actor;
      req.session.actorAt = Date.now();
      req.actor = actor;
      await new Promise<void>((resolve, reject) =>
        req.session.save((e) => (e ? reject(e) : resolve())),
      );
      await redis.sadd(userSessionsKey(actor.id), req.sessionID);
      await redis.expire(userSessionsKey(actor.id), SESSION_TTL_S);
    },
    async signOut(req) {
      const userId = req.session.actor?.id;
      if (userId) await redis.srem(userSessionsKey(userId), req.sessionID);
      await new Promise<void>((resolve, reject) =>
        req.session.destroy((e) => (e ? reject(e) : resolve())),
      );
    },
    async signOutEverywhere(req) {
      const userId = req.session.actor?.id;
      if (!userId) return 0;
      const ids = await redis.smembers(userSessionsKey(userId));
      await Promise.all(
        ids.map((id) => new Promise<void>((resolve) => store.destroy(id, () => resolve()))),
      );
      await redis.del(userSessionsKey(userId));
      await new Promise<void>((resolve) => req.session.destroy(() => resolve()));
      return ids.length;
    },
  };
}
