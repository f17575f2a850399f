// The one thing payments keeps on a buyer's account: the Stripe customer their payments belong
// to. Payments call these, never the user model (`npm run lint` checks).
import { UserModel } from './user.model.ts';

/** The buyer's name and remembered Stripe customer, or null for no such account. */
export async function stripeCustomerOf(
  userId: string,
): Promise<{ displayName: string; stripeCustomerId?: string } | null> {
  const user = await UserModel.findById(userId, { displayName: 1, stripeCustomerId: 1 }).lean();
  if (!user) return null;
  return {
    displayName: user.displayName,
    ...(user.stripeCustomerId ? { stripeCustomerId: user.stripeCustomerId } : {}),
  };
}

/** Remembers the Stripe customer made for the buyer, so every later payment reuses it. */
export async function rememberStripeCustomer(userId: string, customerId: string): Promise<void> {
  await UserModel.updateOne({ _id: userId }, { $set: { stripeCustomerId: customerId } });
}
