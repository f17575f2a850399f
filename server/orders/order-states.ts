// The order state table (from → to → who may → effect) and the one transition() through
// which every status change goes. Nothing else writes `order.status`.
import { loadLuaScripts } from '../core/lua-scripts.ts';
import type { Redis } from 'ioredis';
import { Conflict } from '../core/errors.ts';
import type { RedisKeys } from '../core/redis.ts';
import { OrderModel, type Order, type OrderStatus } from './order.model.ts';
import type { TimelineNote } from './timeline.ts';

export type ActorKind = 'buyer' | 'streamer' | 'hub' | 'admin' | 'system';

export interface TransitionActor {
  kind: ActorKind;
  /** User id, or the job/subsystem name for `system`. */
  id: string;
}

export interface TransitionRule {
  from: OrderStatus;
  to: OrderStatus;
  by: readonly ActorKind[];
}

export const ORDER_TRANSITIONS: readonly TransitionRule[] = [
  { from: 'pending_payment', to: 'paid', by: ['system'] },
  { from: 'pending_payment', to: 'expired', by: ['system'] },
  { from: 'pending_payment', to: 'cancelled', by: ['buyer', 'admin', 'system'] },
  // Money that arrives after the order closed: the order stands if the stock is still there,
  // otherwise it is refunded automatically.
  { from: 'expired', to: 'paid', by: ['system'] },
  { from: 'expired', to: 'refunded', by: ['system'] },
  { from: 'cancelled', to: 'refunded', by: ['system'] },
  { from: 'paid', to: 'routed', by: ['system'] },
  { from: 'paid', to: 'cancelled', by: ['buyer', 'admin', 'system'] },
  { from: 'paid', to: 'refunded', by: ['admin', 'system'] },
  { from: 'routed', to: 'picking', by: ['hub', 'system'] },
  { from: 'routed', to: 'cancelled', by: ['buyer', 'admin', 'system'] },
  { from: 'picking', to: 'packed', by: ['hub'] },
  { from: 'picking', to: 'partially_refunded', by: ['hub', 'admin', 'system'] },
  // A short-picked order still ships what was found.
  { from: 'partially_refunded', to: 'packed', by: ['hub'] },
  { from: 'packed', to: 'shipped', by: ['hub', 'system'] },
  { from: 'shipped', to: 'delivered', by: ['system'] },
  { from: 'delivered', to: 'refunded', by: ['admin'] },
  { from: 'delivered', to: 'partially_refunded', by: ['admin'] },
];

export function findRule(from: OrderStatus, to: OrderStatus): TransitionRule | undefined {
  return ORDER_TRANSITIONS.find((r) => r.from === from && r.to === to);
}

const STATE_KEY_TTL_S = 90 * 24 * 3600;
/**
 * How long a winner's claim on its transition lasts: longer than writing it to MongoDB takes, so
 * a racer that finds the target already in Redis loses to a winner still writing, and only a
 * retry after a crashed winner finishes the transition for it.
 */
const CLAIM_MS = 15_000;

type ArbiterRedis = Redis & {
  decideOrderState(
    numKeys: number,
    key: string,
    claimKey: string,
    from: string,
    to: string,
    stored: string,
    ttl: number,
    claimMs: number,
  ): Promise<string>;
};

export type TransitionResult = { won: true; order: Order } | { won: false; current: OrderStatus };

export class OrderStateMachine {
  private readonly redis: ArbiterRedis;
  private readonly keys: RedisKeys;

  constructor(redis: Redis, keys: RedisKeys) {
    loadLuaScripts(redis, new URL('.', import.meta.url), { decideOrderState: 'order-state.lua' });
    this.redis = redis as ArbiterRedis;
    this.keys = keys;
  }

  /**
   * Tells Redis that a new order is waiting for payment (unless a transition got there first), so
   * its first transition need not read MongoDB. Only a hint: without it, the state is read.
   */
  async begin(orderNo: string): Promise<void> {
    await this.redis.set(
      this.keys.key('order-state', orderNo),
      'pending_payment',
      'EX',
      STATE_KEY_TTL_S,
      'NX',
    );
  }

  /**
   * Moves an order from `from` to `to` if the table allows it for this actor. The race is
   * decided in Redis (a conditional update is no arbiter on FerretDB); the winner writes the
   * status and the timeline entry. The loser learns the state that won.
   */
  async transition(
    orderNo: string,
    from: OrderStatus,
    to: OrderStatus,
    actor: TransitionActor,
    reason: TimelineNote,
  ): Promise<TransitionResult> {
    const rule = findRule(from, to);
    if (!rule) throw new Conflict('errors.illegalTransition', { from, to });
    if (!rule.by.includes(actor.kind)) throw new Conflict('errors.illegalTransition', { from, to });

    const key = this.keys.key('order-state', orderNo);
    const claim = this.keys.key('order-state-claim', orderNo);
    const decide = (stored: string) =>
      this.redis.decideOrderState(2, key, claim, from, to, stored, STATE_KEY_TTL_S, CLAIM_MS);
    // Redis usually knows the current state; MongoDB is read only when it does not.
    let verdict = await decide('');
    if (verdict === '?') {
      const stored = await OrderModel.findOne({ orderNo }, { status: 1 }).lean();
      if (!stored) throw new Conflict('errors.orderNotFound', { orderNo });
      verdict = await decide(stored.status);
    }
    if (verdict !== 'won') return { won: false, current: verdict as OrderStatus };

    const entry = {
      at: new Date(),
      from,
      to,
      actor: `${actor.kind}:${actor.id}`,
      reason: reason.code,
      ...(reason.params ? { params: reason.params } : {}),
    };
    // The status filter keeps a completed retry from writing the timeline entry twice.
    const order = await OrderModel.findOneAndUpdate(
      { orderNo, status: from },
      { $set: { status: to }, $push: { timeline: entry } },
      { returnDocument: 'after' },
    ).lean();
    const current = order ?? (await OrderModel.findOne({ orderNo }).lean());
    if (!current) throw new Conflict('errors.orderNotFound', { orderNo });
    return { won: true, order: current };
  }

  /**
   * A step on the order's timeline that leaves its status as it is (a second short-pick refund
   * of an order already partly refunded), written only while the order is still in `status`,
   * and once per `onceKey` (kept in the entry's params). Returns the order after, or null if its
   * status had moved on or the step is there already.
   */
  async note(
    orderNo: string,
    status: OrderStatus,
    actor: TransitionActor,
    reason: TimelineNote,
    onceKey: string,
  ) {
    const entry = {
      at: new Date(),
      from: status,
      to: status,
      actor: `${actor.kind}:${actor.id}`,
      reason: reason.code,
      params: { ...reason.params, onceKey },
    };
    return OrderModel.findOneAndUpdate(
      { orderNo, status, 'timeline.params.onceKey': { $ne: onceKey } },
      { $push: { timeline: entry } },
      { returnDocument: 'after' },
    ).lean();
  }
}
