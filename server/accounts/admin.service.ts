// The county admin: approving shops before their products go public.
import { Types } from 'mongoose';
import { ShopModel } from '../catalogue/shop.model.ts';
import { UserModel } from './user.model.ts';
import { PaymentModel } from '../payments/payment.model.ts';
import { VillageModel } from '../catalogue/village.model.ts';
import { Forbidden, NotFound } from '../core/errors.ts';
import { pickLocalized } from '../core/localized-text.ts';
import type { Actor } from './actor.ts';

export class AdminService {
  private assertAdmin(actor: Actor | undefined) {
    if (actor?.role !== 'admin') throw new Forbidden();
  }

  async shops(actor: Actor | undefined, locale: string) {
    this.assertAdmin(actor);
    const shops = await ShopModel.find().sort({ status: -1, createdAt: 1 }).lean();
    const [owners, villages] = await Promise.all([
      UserModel.find(
        { _id: { $in: shops.map((s) => s.ownerId) } },
        { displayName: 1, phone: 1 },
      ).lean(),
      VillageModel.find({ _id: { $in: shops.map((s) => s.villageId) } }).lean(),
    ]);
    return shops.map((s) => ({
      id: String(s._id),
      slug: s.slug,
      name: pickLocalized(s.name, locale),
      status: s.status,
      owner: owners.find((o) => String(o._id) === String(s.ownerId))?.displayName,
      village: pickLocalized(
        villages.find((v) => String(v._id) === String(s.villageId))?.name,
        locale,
      ),
    }));
  }

  async setShopStatus(actor: Actor | undefined, shopId: string, status: 'approved' | 'suspended') {
    this.assertAdmin(actor);
    if (!Types.ObjectId.isValid(shopId)) throw new NotFound('errors.shopNotFound');
    const shop = await ShopModel.findById(shopId);
    if (!shop) throw new NotFound('errors.shopNotFound');
    shop.status = status;
    if (status === 'approved') shop.approvedAt = new Date();
    await shop.save();
  }

  /** Payments Stripe reported that do not match their order (never marked paid), newest first. */
  async paymentProblems(actor: Actor | undefined) {
    this.assertAdmin(actor);
    return PaymentModel.find({
      $or: [{ status: 'amount_mismatch' }, { problem: { $exists: true } }],
    })
      .sort({ updatedAt: -1 })
      .limit(100)
      .lean();
  }
}
