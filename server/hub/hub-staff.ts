import type { Actor } from '../accounts/actor.ts';
import { Forbidden, Invalid, Unauthenticated } from '../core/errors.ts';
import { HubModel } from './hub.model.ts';

/** The hub a staff member works at (the admin acts for the county's hub); Forbidden otherwise. */
export async function hubOfStaff(actor: Actor | undefined) {
  if (!actor) throw new Unauthenticated();
  if (actor.role !== 'hub_staff' && actor.role !== 'admin') throw new Forbidden();
  const hub = actor.hubId
    ? await HubModel.findById(actor.hubId).lean()
    : actor.role === 'admin'
      ? await HubModel.findOne().lean()
      : null;
  if (!hub) throw new Forbidden('errors.noHub');
  return hub;
}

/** A bad value in one named field of a hub form or scan. */
export function invalidField(field: string, code: string, params: Record<string, unknown> = {}) {
  return new Invalid(code, [{ field, code }], params);
}
