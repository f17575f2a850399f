import type { Role } from './user.model.ts';

/** Who is asking. Services take `(actor, input)` and decide access from this alone. */
export interface Actor {
  id: string;
  role: Role;
  displayName: string;
  shopId?: string;
  hubId?: string;
}
