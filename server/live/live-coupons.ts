// Coupons in a live room: the console drops them, buyers claim them. The coupons themselves
// (counting, claiming, using on an order) belong to server/promotions/; this part knows which
// session is live and who may steer it.
import type { Actor } from '../accounts/actor.ts';
import { Conflict } from '../core/errors.ts';
import type { ClaimCouponInput, DropCouponInput } from '../promotions/coupon-terms.ts';
import {
  asPromotionSession,
  controlledSession,
  findSession,
  type LiveDeps,
  type SessionCache,
} from './live-sessions.ts';

export class LiveCoupons {
  private readonly deps: LiveDeps;
  private readonly sessions: SessionCache;

  constructor(deps: LiveDeps, sessions: SessionCache) {
    this.deps = deps;
    this.sessions = sessions;
  }

  async drop(actor: Actor | undefined, input: DropCouponInput) {
    const session = await controlledSession(actor, input.sessionId);
    // A rehearsal never touches money: no coupons there.
    if (session.rehearsalOf) throw new Conflict('errors.notInRehearsal');
    return this.deps.coupons.drop(actor!, asPromotionSession(session), input);
  }

  /** A claim in a rush reads the session through the one-second cache, as a buy does. */
  async claim(actor: Actor | undefined, input: ClaimCouponInput) {
    const session = await this.sessions.get(input.sessionId, () => findSession(input.sessionId));
    return this.deps.coupons.claim(actor, asPromotionSession(session), input.couponId);
  }

  /** The room's coupons, with the ones this buyer holds. */
  roomCoupons(sessionId: string, buyerId?: string) {
    return this.deps.coupons.sessionCoupons(sessionId, buyerId);
  }

  sessionEnded(sessionId: string, endedAt: Date) {
    return this.deps.coupons.sessionEnded(sessionId, endedAt);
  }
}
