// Opening a village shop (it waits for the county admin) and inviting an assistant to run it.
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { Actor } from '../accounts/actor.ts';
import { toActor } from '../accounts/account-service.ts';
import { UserModel } from '../accounts/user.model.ts';
import { Forbidden, Invalid } from '../core/errors.ts';
import { parseInput, plainText } from '../core/validation.ts';
import type { ActorStamps } from '../accounts/actor-stamps.ts';
import { ShopModel } from './shop.model.ts';
import { VillageModel } from './village.model.ts';

export const openShopInput = z.object({
  name_zh: plainText('validation.shopNameZh', { min: 2, max: 40 }),
  name_en: plainText('validation.shopNameEn', { max: 80 }).default(''),
  story_zh: plainText('validation.storyZh', { min: 10, max: 1000, multiline: true }),
  story_en: plainText('validation.storyEn', { max: 2000, multiline: true }).default(''),
  village_code: z
    .string({ error: 'validation.village' })
    .trim()
    .regex(/^PS-[A-Z]+$/, 'validation.village'),
});

const inviteInput = z.object({
  login: plainText('validation.login', { min: 3, max: 120 }).transform((v) => v.toLowerCase()),
});

export class ShopService {
  private readonly stamps: ActorStamps | undefined;

  constructor(stamps?: ActorStamps) {
    this.stamps = stamps;
  }

  /** A buyer opens a shop: it starts pending, and they become its streamer. */
  async openShop(actor: Actor | undefined, raw: unknown): Promise<Actor> {
    if (!actor) throw new Forbidden();
    if (actor.role !== 'buyer')
      throw new Invalid('errors.invalid', [
        { field: 'name_zh', code: 'validation.alreadyHasShop' },
      ]);
    const input = parseInput(openShopInput, raw);
    const village = await VillageModel.findOne({ code: input.village_code }).lean();
    if (!village)
      throw new Invalid('errors.invalid', [{ field: 'village_code', code: 'validation.village' }]);
    const shop = await ShopModel.create({
      slug: `shop-${randomBytes(4).toString('hex')}`,
      name: { zh: input.name_zh, en: input.name_en || input.name_zh },
      story: { zh: input.story_zh, en: input.story_en || input.story_zh },
      villageId: village._id,
      ownerId: actor.id,
      status: 'pending',
    });
    const user = await UserModel.findByIdAndUpdate(
      actor.id,
      { $set: { role: 'streamer', shopId: shop._id, shopRole: 'owner' } },
      { returnDocument: 'after' },
    );
    return toActor(user!);
  }

  /** The owner makes another signed-up person an assistant (场控) of the shop. */
  async inviteAssistant(actor: Actor | undefined, raw: unknown): Promise<void> {
    if (!actor || actor.role !== 'streamer' || !actor.shopId) throw new Forbidden();
    const owner = await UserModel.findById(actor.id).lean();
    if (owner?.shopRole !== 'owner') throw new Forbidden();
    const { login } = parseInput(inviteInput, raw);
    const user = await UserModel.findOne(login.includes('@') ? { email: login } : { phone: login });
    if (!user)
      throw new Invalid('errors.invalid', [{ field: 'login', code: 'validation.noSuchUser' }]);
    if (user.role !== 'buyer')
      throw new Invalid('errors.invalid', [{ field: 'login', code: 'validation.cannotInvite' }]);
    user.set({ role: 'streamer', shopId: actor.shopId, shopRole: 'assistant' });
    await user.save();
    // Their open sessions pick the new role up on their next click.
    await this.stamps?.changed(String(user._id));
  }
}
