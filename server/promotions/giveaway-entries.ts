// A lucky bag's entries in Redis, where every tap and every keyword comment is counted: one per
// buyer, however often they tap (giveaway-enter.lua). Read once, when the bag is drawn.
import type { Redis } from 'ioredis';
import { loadLuaScripts } from '../core/lua-scripts.ts';
import type { RedisKeys } from '../core/redis.ts';

type EntriesRedis = Redis & {
  giveawayEnter(numKeys: number, ...args: string[]): Promise<[string, number?]>;
};

/** Kept a day past the end: the draw reads them (a late draw after a restart included). */
const KEEP_AFTER_END_S = 24 * 3600;

export type EnterOutcome =
  | { kind: 'ok'; entries: number }
  | { kind: 'already'; entries: number }
  | { kind: 'closed' }
  | { kind: 'missing' };

export class GiveawayEntries {
  private readonly redis: EntriesRedis;
  private readonly keys: RedisKeys;

  constructor(redis: Redis, keys: RedisKeys) {
    loadLuaScripts(redis, new URL('.', import.meta.url), { giveawayEnter: 'giveaway-enter.lua' });
    this.redis = redis as EntriesRedis;
    this.keys = keys;
  }

  private keysOf(giveawayId: string): [state: string, entries: string, names: string] {
    const tag = `{giveaway:${giveawayId}}`;
    return [
      this.keys.key(tag, 'state'),
      this.keys.key(tag, 'entries'),
      this.keys.key(tag, 'names'),
    ];
  }

  /** Opens the giveaway for entries until `endsAt` (also after a Redis wipe, from MongoDB). */
  async open(giveawayId: string, endsAt: Date) {
    const [state] = this.keysOf(giveawayId);
    const ttl = Math.max(60, Math.ceil((endsAt.getTime() - Date.now()) / 1000) + KEEP_AFTER_END_S);
    await this.redis
      .multi()
      .hset(state, 'state', 'open', 'endsAt', String(endsAt.getTime()))
      .expire(state, ttl)
      .exec();
  }

  async enter(giveawayId: string, buyerId: string, name: string): Promise<EnterOutcome> {
    const [outcome, entries] = await this.redis.giveawayEnter(
      3,
      ...this.keysOf(giveawayId),
      buyerId,
      name,
    );
    if (outcome === 'ok' || outcome === 'already') return { kind: outcome, entries: entries ?? 0 };
    return { kind: outcome === 'closed' ? 'closed' : 'missing' };
  }

  /** No more entries, whatever the clock says. */
  async close(giveawayId: string) {
    const [state] = this.keysOf(giveawayId);
    await this.redis.hset(state, 'state', 'closed');
    if ((await this.redis.ttl(state)) < 0) await this.redis.expire(state, KEEP_AFTER_END_S);
  }

  async count(giveawayId: string): Promise<number> {
    return this.redis.scard(this.keysOf(giveawayId)[1]);
  }

  async hasEntered(giveawayId: string, buyerId: string): Promise<boolean> {
    return (await this.redis.sismember(this.keysOf(giveawayId)[1], buyerId)) === 1;
  }

  /** Every entrant, read once the giveaway is closed. */
  entrants(giveawayId: string): Promise<string[]> {
    return this.redis.smembers(this.keysOf(giveawayId)[1]);
  }

  async names(giveawayId: string, buyerIds: string[]): Promise<(string | null)[]> {
    if (buyerIds.length === 0) return [];
    return this.redis.hmget(this.keysOf(giveawayId)[2], ...buyerIds);
  }
}
