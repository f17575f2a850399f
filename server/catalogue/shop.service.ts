// Opening a village shop (it waits for the county admin), the admin's review of shops, and
// inviting an assistant to run one.
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { Actor } from '../accounts/actor.ts';
import type { AccountService } from '../accounts/account-service.ts';
import { Types } from 'mongoose';
import { Forbidden, Invalid, NotFound } from '../core/errors.ts';
import { pickLocalized } from '../core/localized-text.ts';
import { parseInput, plainText } from '../core/validation.ts';
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
  /** Whoever a shop makes a streamer is an account: the accounts domain changes their role. */
  private readonly accounts: AccountService;

  constructor(accounts: AccountService) {
    this.accounts = accounts;
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
    return this.accounts.makeShopOwner(actor.id, String(shop._id));
  }

  // ---- the county admin's review ----

  /** Every shop for the county admin: pending first, with owner and village. */
  async forReview(actor: Actor | undefined, locale: string) {
    if (actor?.role !== 'admin') throw new Forbidden();
    const shops = await ShopModel.find().sort({ status: -1, createdAt: 1 }).lean();
    const [owners, villages] = await Promise.all([
      this.accounts.displayNames(shops.map((s) => String(s.ownerId))),
      VillageModel.find({ _id: { $in: shops.map((s) => s.villageId) } }).lean(),
    ]);
    return shops.map((s) => ({
      id: String(s._id),
      slug: s.slug,
      name: pickLocalized(s.name, locale),
      status: s.status,
      owner: owners.get(String(s.ownerId)),
      village: pickLocalized(
        villages.find((v) => String(v._id) === String(s.villageId))?.name,
        locale,
      ),
    }));
  }

  /** The county admin approves a shop (its products go public) or suspends it. */
  async setStatus(actor: Actor | undefined, shopId: string, status: 'approved' | 'suspended') {
    if (actor?.role !== 'admin') throw new Forbidden();
    if (!Types.ObjectId.isValid(shopId)) throw new NotFound('errors.shopNotFound');
    const shop = await ShopModel.findById(shopId);
    if (!shop) throw new NotFound('errors.shopNotFound');
    shop.status = status;
    if (status === 'approved') shop.approvedAt = new Date();
    await shop.save();
  }

  /** The owner makes another signed-up person an assistant (场控) of the shop. */
  async inviteAssistant(actor: Actor | undefined, raw: unknown): Promise<void> {
    if (!actor || actor.role !== 'streamer' || !actor.shopId) throw new Forbidden();
    if (!(await this.accounts.ownsShop(actor.id))) throw new Forbidden();
    const { login } = parseInput(inviteInput, raw);
    await this.accounts.makeAssistant(login, actor.shopId);
  }
}
