// Sign-up and sign-in. Transport-free: the HTTP routes adapt forms and JSON to these calls.
import { randomBytes } from 'node:crypto';
import { RateLimiterRedis } from 'rate-limiter-flexible';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import { Invalid, TooManyRequests } from '../core/errors.ts';
import type { RedisKeys } from '../core/redis.ts';
import { parseInput, plainText } from '../core/validation.ts';
import type { Actor } from './actor.ts';
import { ActorStamps } from './actor-stamps.ts';
import type { AddressBook } from './address-book.ts';
import { hashPassword, verifyPassword } from './passwords.ts';
import { SignInGuard } from './sign-in-guard.ts';
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

export class AccountService {
  private readonly guard: SignInGuard;
  private readonly signUps: RateLimiterRedis;
  /** Accounts made from one IP address in an hour, before sign-up asks it to wait. */
  private readonly signUpsPerIpHour: number;
  private readonly addresses: AddressBook | undefined;
  private readonly stamps: ActorStamps;
  /** A hash of no one's password: an unknown login is checked against it, taking as long. */
  private dummyHash: Promise<string> | undefined;

  constructor(
    redis: Redis,
    keys: RedisKeys,
    options: { addresses?: AddressBook; signUpsPerIpHour?: number } = {},
  ) {
    this.addresses = options.addresses;
    this.stamps = new ActorStamps(redis, keys);
    this.signUpsPerIpHour = options.signUpsPerIpHour ?? 10;
    this.guard = new SignInGuard(redis, keys);
    this.signUps = new RateLimiterRedis({
      storeClient: redis,
      useRedisPackage: false,
      keyPrefix: keys.key('rl', 'signup-ip'),
      points: this.signUpsPerIpHour,
      duration: 3600,
    });
  }

  async signUp(raw: unknown, ip: string): Promise<Actor> {
    const input = parseInput(signUpInput, raw);
    const made = await this.signUps.get(ip);
    if (made && made.consumedPoints >= this.signUpsPerIpHour)
      throw new TooManyRequests('errors.signUpWait', {
        minutes: Math.ceil(made.msBeforeNext / 60000),
      });
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
      await this.signUps.penalty(ip, 1);
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
    await this.guard.check(input.login, ip);
    const field = input.login.includes('@') ? 'email' : 'phone';
    const user = await UserModel.findOne({ [field]: input.login });
    // An unknown login costs a hash too, so the answer's time does not tell who has an account.
    this.dummyHash ??= hashPassword(randomBytes(24).toString('base64url'));
    const ok = await verifyPassword(user?.passwordHash ?? (await this.dummyHash), input.password);
    if (!user || !ok) {
      await this.guard.failed(input.login, ip);
      throw new Invalid('errors.signInFailed', [
        { field: 'password', code: 'validation.signInFailed' },
      ]);
    }
    await this.guard.succeeded(input.login, ip);
    // The user's record is in hand: a live buy will not have to read it for the address.
    await this.addresses?.prime(String(user._id), user.addresses[0]);
    return toActor(user);
  }

  async findActor(userId: string): Promise<Actor | undefined> {
    const user = await UserModel.findById(userId);
    return user ? toActor(user) : undefined;
  }

  /** Display names by user id (a list of shops shows its owners). */
  async displayNames(userIds: string[]): Promise<Map<string, string>> {
    const users = await UserModel.find({ _id: { $in: userIds } }, { displayName: 1 }).lean();
    return new Map(users.map((u) => [String(u._id), u.displayName]));
  }

  // ---- roles a shop gives (the catalogue's shop service asks for them) ----

  /** A buyer who opened a shop becomes its streamer and owner. */
  async makeShopOwner(userId: string, shopId: string): Promise<Actor> {
    const user = await UserModel.findByIdAndUpdate(
      userId,
      { $set: { role: 'streamer', shopId, shopRole: 'owner' } },
      { returnDocument: 'after' },
    );
    return toActor(user!);
  }

  /** Whether this person owns the shop they work in (only an owner invites). */
  async ownsShop(userId: string): Promise<boolean> {
    return (await UserModel.findById(userId, { shopRole: 1 }).lean())?.shopRole === 'owner';
  }

  /**
   * Makes the signed-up buyer with this phone or email an assistant (场控) of the shop; their
   * open sessions pick the new role up on their next click.
   */
  async makeAssistant(login: string, shopId: string): Promise<void> {
    const user = await UserModel.findOne(login.includes('@') ? { email: login } : { phone: login });
    if (!user)
      throw new Invalid('errors.invalid', [{ field: 'login', code: 'validation.noSuchUser' }]);
    if (user.role !== 'buyer')
      throw new Invalid('errors.invalid', [{ field: 'login', code: 'validation.cannotInvite' }]);
    user.set({ role: 'streamer', shopId, shopRole: 'assistant' });
    await user.save();
    await this.stamps.changed(String(user._id));
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
