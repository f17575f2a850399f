// Failed sign-ins slow the guesser down without letting a stranger lock the owner out:
// - per account and IP address: after 5 failures, each next try waits twice as long as the
//   last (30 s, 1 min, 2 min … at most 15 min), so one guesser is stopped;
// - per IP address, over all accounts: the same from 30 failures (one machine trying many);
// - per account, over all addresses: from 10 failures every answer for it is slowed by a second
//   (a spread-out attack), but it never locks: the owner, from their own phone, still gets in.
// Failures are forgotten 15 minutes after the last one, or when the account signs in.
import type { Redis } from 'ioredis';
import { TooManyRequests } from '../core/errors.ts';
import type { RedisKeys } from '../core/redis.ts';

const PAIR_FREE_FAILS = 5;
const IP_FREE_FAILS = 30;
const ACCOUNT_SLOW_FAILS = 10;
const FIRST_WAIT_S = 30;
const LONGEST_WAIT_S = 15 * 60;
const FORGET_AFTER_S = 15 * 60;
const SLOWED_MS = 1000;

/** Seconds to wait after `fails` failures, with `free` of them allowed before any wait. */
export function backOffSeconds(fails: number, free: number): number {
  if (fails < free) return 0;
  return Math.min(LONGEST_WAIT_S, FIRST_WAIT_S * 2 ** (fails - free));
}

export class SignInGuard {
  private readonly redis: Redis;
  private readonly keys: RedisKeys;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(
    redis: Redis,
    keys: RedisKeys,
    sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms)),
  ) {
    this.redis = redis;
    this.keys = keys;
    this.sleep = sleep;
  }

  private keysFor(login: string, ip: string) {
    return {
      pair: this.keys.key('signin-fails', 'pair', login, ip),
      ip: this.keys.key('signin-fails', 'ip', ip),
      account: this.keys.key('signin-fails', 'account', login),
    };
  }

  /** Throws TooManyRequests while this account and address must wait; slows a much-tried account. */
  async check(login: string, ip: string, now = Date.now()): Promise<void> {
    const keys = this.keysFor(login, ip);
    const answers = await this.redis
      .multi()
      .hmget(keys.pair, 'fails', 'last')
      .hmget(keys.ip, 'fails', 'last')
      .hget(keys.account, 'fails')
      .exec();
    const [pair, byIp, account] = (answers ?? []).map(([, value]) => value) as [
      (string | null)[],
      (string | null)[],
      string | null,
    ];
    const waits = [
      this.remaining(pair, PAIR_FREE_FAILS, now),
      this.remaining(byIp, IP_FREE_FAILS, now),
    ];
    const wait = Math.max(...waits);
    if (wait > 0) throw new TooManyRequests('errors.signInWait', { seconds: wait });
    if (Number(account ?? 0) >= ACCOUNT_SLOW_FAILS) await this.sleep(SLOWED_MS);
  }

  private remaining(state: (string | null)[] | undefined, free: number, now: number): number {
    const fails = Number(state?.[0] ?? 0);
    const last = Number(state?.[1] ?? 0);
    const until = last + backOffSeconds(fails, free) * 1000;
    return until > now ? Math.ceil((until - now) / 1000) : 0;
  }

  async failed(login: string, ip: string, now = Date.now()): Promise<void> {
    const keys = this.keysFor(login, ip);
    const multi = this.redis.multi();
    for (const key of [keys.pair, keys.ip, keys.account]) {
      multi.hincrby(key, 'fails', 1).hset(key, 'last', now).expire(key, FORGET_AFTER_S);
    }
    await multi.exec();
  }

  /** The owner got in: what their own address and the account had failed is forgotten. */
  async succeeded(login: string, ip: string): Promise<void> {
    const keys = this.keysFor(login, ip);
    await this.redis.del(keys.pair, keys.account);
  }
}
