// What every part of the live service shares: its dependencies, reading a session and one of its
// offers, and who may steer a session.
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { Types } from 'mongoose';
import type { Actor } from '../accounts/actor.ts';
import type { AddressBook } from '../accounts/address-book.ts';
import { Forbidden, NotFound, Unauthenticated } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';
import type { Realtime } from '../core/realtime.ts';
import type { RedisKeys } from '../core/redis.ts';
import type { TtlCache } from '../core/ttl-cache.ts';
import type { OrderService } from '../orders/order-service.ts';
import type { Coupons } from '../promotions/coupons.ts';
import type { Giveaways } from '../promotions/giveaways.ts';
import type { PromotionSession } from '../promotions/promotion-session.ts';
import { LiveSessionModel, type LiveOffer, type LiveSession } from './live-session.model.ts';
import type { LiveStock } from './live-stock.ts';

export interface LiveDeps {
  redis: Redis;
  keys: RedisKeys;
  stock: LiveStock;
  orders: OrderService;
  addresses: AddressBook;
  realtime: Realtime;
  holdQueue: Queue;
  coupons: Coupons;
  giveaways: Giveaways;
  logger: Logger;
}

export type SessionDoc = LiveSession & { _id: Types.ObjectId };

/** One per process, shared by every part: a rush reads the same session thousands of times. */
export type SessionCache = TtlCache<SessionDoc>;

export async function findSession(sessionId: string): Promise<SessionDoc> {
  if (!Types.ObjectId.isValid(sessionId)) throw new NotFound('errors.sessionNotFound');
  const session = await LiveSessionModel.findById(sessionId).lean();
  if (!session) throw new NotFound('errors.sessionNotFound');
  return session as SessionDoc;
}

/** The session as the promotions (coupons, lucky bags) know it. */
export const asPromotionSession = (session: SessionDoc): PromotionSession => ({
  id: String(session._id),
  shopId: String(session.shopId),
  live: session.status === 'live',
});

export function offerOf(session: SessionDoc, offerId: string): LiveOffer {
  const offer = session.offers.find((o) => o.offerId === offerId);
  if (!offer) throw new NotFound('errors.offerNotFound');
  return offer;
}

export function ownShopId(actor: Actor | undefined): string {
  if (!actor) throw new Unauthenticated();
  if (actor.role !== 'streamer' || !actor.shopId) throw new Forbidden();
  return actor.shopId;
}

/** The session, if the actor may steer it: its shop's streamer, or an admin. */
export async function controlledSession(
  actor: Actor | undefined,
  sessionId: string,
): Promise<SessionDoc> {
  if (!actor) throw new Unauthenticated();
  const session = await findSession(sessionId);
  const mine =
    actor.role === 'admin' ||
    (actor.role === 'streamer' && actor.shopId === String(session.shopId));
  if (!mine) throw new Forbidden('errors.notYourSession');
  return session;
}
