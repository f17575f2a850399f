// Sign-up and sign-in. Transport-free: the HTTP routes adapt forms and JSON to these calls.
import { RateLimiterRedis } from 'rate-limiter-flexible';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import { Invalid, TooManyRequests } from '../core/errors.ts';
import type { RedisKeys } from '../core/redis.ts';
import { parseInput, plainText } from '../core/validation.ts';
import type { Actor } from './actor.ts';
import type { AddressBook } from './address-book.ts';
import { hashPassword, verifyPassword } from './passwords.ts';
import { UserModel, type User } from './user.model.ts';

const loginSchema = z
  .string({ error: 'validation.login' })
  .trim()
  .toLowerCase()
  .refine((v) => /^1[3-9][0-9]{9}$/.test(v) || z.email().safeParse(v).success, 'validation.login');

export const signUpInput = z.object({
  login: loginSchema,
  displayName: plainText('validation.displayName', { min: 1, max: 40 }),
  password: z
    .string({ error: 'validation.passwordLength' })
    .min(8, 'validation.passwordLength')
    .max(200, 'validation.passwordLength'),
});

export const signInInput = z.object({
  login: loginSchema,
  password: z
    .string({ error: 'validation.password' })
    .min(1, 'validation.password')
    .max(200, 'validation.password'),
});

// Failed sign-ins allowed before a pause: per account, and per IP address.
const FAILS_PER_ACCOUNT = 5;
const FAILS_PER_IP = 30;
const WINDOW_S = 15 * 60;

export class AccountService {
  private readonly byAccount: RateLimiterRedis;
  private readonly byIp: RateLimiterRedis;
  private readonly addresses: AddressBook | undefined;

  constructor(redis: Redis, keys: RedisKeys, addresses?: AddressBook) {
    this.addresses = addresses;
    const common = {
      storeClient: redis,
      duration: WINDOW_S,
      blockDuration: WINDOW_S,
      useRedisPackage: false,
    };
    this.byAccount = new RateLimiterRedis({
      ...common,
      keyPrefix: keys.key('rl', 'signin-account'),
      points: FAILS_PER_ACCOUNT,
    });
    this.byIp = new RateLimiterRedis({
      ...common,
      keyPrefix: keys.key('rl', 'signin-ip'),
      points: FAILS_PER_IP,
    });
  }

  async signUp(raw: unknown): Promise<Actor> {
    const input = parseInput(signUpInput, raw);
    const field = input.login.includes('@') ? 'email' : 'phone';
    if (await UserModel.exists({ [field]: input.login })) {
      throw new Invalid('errors.invalid', [{ field: 'login', code: 'validation.loginTaken' }]);
    }
    try {
      const user = await UserModel.create({
        [field]: input.login,
        displayName: input.displayName,
        passwordHash: await hashPassword(input.password),
        role: 'buyer',
      });
      return toActor(user);
    } catch (error) {
      if ((error as { code?: number }).code === 11000) {
        throw new Invalid('errors.invalid', [{ field: 'login', code: 'validation.loginTaken' }]);
      }
      throw error;
    }
  }

  async signIn(raw: unknown, ip: string): Promise<Actor> {
    const input = parseInput(signInInput, raw);
    const accountKey = input.login;
    const [accountState, ipState] = await Promise.all([
      this.byAccount.get(accountKey),
      this.byIp.get(ip),
    ]);
    const blocked = [accountState, ipState].find(
      (s, i) => s && s.consumedPoints >= (i === 0 ? FAILS_PER_ACCOUNT : FAILS_PER_IP),
    );
    if (blocked)
      throw new TooManyRequests('errors.signInLocked', {
        minutes: Math.ceil(blocked.msBeforeNext / 60000),
      });

    const field = input.login.includes('@') ? 'email' : 'phone';
    const user = await UserModel.findOne({ [field]: input.login });
    const ok = user ? await verifyPassword(user.passwordHash, input.password) : false;
    if (!user || !ok) {
      await Promise.all([this.byAccount.penalty(accountKey, 1), this.byIp.penalty(ip, 1)]);
      throw new Invalid('errors.signInFailed', [
        { field: 'password', code: 'validation.signInFailed' },
      ]);
    }
    await this.byAccount.delete(accountKey);
    // The user's record is in hand: a live buy will not have to read it for the address.
    await this.addresses?.prime(String(user._id), user.addresses[0]);
    return toActor(user);
  }

  async findActor(userId: string): Promise<Actor | undefined> {
    const user = await UserModel.findById(userId);
    return user ? toActor(user) : undefined;
  }
}

export function toActor(user: User & { _id: unknown }): Actor {
  return {
    id: String(user._id),
    role: user.role,
    displayName: user.displayName,
    ...(user.shopId ? { shopId: String(user.shopId) } : {}),
    ...(user.hubId ? { hubId: String(user.hubId) } : {}),
  };
}
