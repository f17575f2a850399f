// A person's role or shop can change while they are signed in (an owner invites them as the
// shop's assistant). The change is stamped in Redis; each of their sessions compares the stamp
// with the moment it last loaded the person and reloads them when it is older, so the new role
// works on their next click, with no signing out and in.
import type { Redis } from 'ioredis';
import type { RedisKeys } from '../core/redis.ts';

/** Longer than any session lives: a stamp must not vanish before the sessions that need it. */
const STAMP_TTL_S = 31 * 24 * 3600;

export class ActorStamps {
  private readonly redis: Redis;
  private readonly keys: RedisKeys;

  constructor(redis: Redis, keys: RedisKeys) {
    this.redis = redis;
    this.keys = keys;
  }

  private key(userId: string): string {
    return this.keys.key('actor-changed', userId);
  }

  /** The person's role or shop changed now. */
  async changed(userId: string, at = Date.now()): Promise<void> {
    await this.redis.set(this.key(userId), String(at), 'EX', STAMP_TTL_S);
  }

  /** When the person last changed (ms), or 0 if not within a session's life. */
  async changedAt(userId: string): Promise<number> {
    return Number((await this.redis.get(this.key(userId))) ?? 0);
  }
}
