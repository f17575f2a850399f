import type { NextFunction, Request, Response } from 'express';
import { Forbidden, Unauthenticated } from '../core/errors.ts';
import type { Role } from './user.model.ts';

/** Route guard: signed in, with one of these roles (the county admin passes every guard). */
export function requireRole(...roles: Role[]) {
  return (req: Request, _res: Response, next: NextFunction) => {
    if (!req.actor) return next(new Unauthenticated());
    if (req.actor.role !== 'admin' && !roles.includes(req.actor.role)) return next(new Forbidden());
    next();
  };
}
