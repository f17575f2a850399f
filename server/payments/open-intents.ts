// A PaymentIntent made for an unpaid order's total, withdrawn when that total changes.
import { Conflict } from '../core/errors.ts';
import { PaymentModel } from './payment.model.ts';
import type { StripeGateway } from './stripe-gateway.ts';

/**
 * Before an unpaid order's total changes (a coupon put on or taken off): the PaymentIntent made
 * for the old total is cancelled, so it can no longer be paid. Refused once a payment is under
 * way or done: the buyer pays what they started paying.
 */
export async function withdrawOpenIntent(gateway: StripeGateway, orderNo: string): Promise<void> {
  const payment = await PaymentModel.findOne({ orderNo }, { paymentIntentId: 1, status: 1 }).lean();
  if (!payment) return;
  if (payment.status !== 'requires_payment') throw new Conflict('errors.paymentUnderway');
  const intent = await gateway.sdk.paymentIntents.retrieve(payment.paymentIntentId);
  if (intent.status === 'canceled') return;
  if (intent.status === 'succeeded' || intent.status === 'processing')
    throw new Conflict('errors.paymentUnderway');
  await gateway.sdk.paymentIntents.cancel(
    payment.paymentIntentId,
    {},
    { idempotencyKey: `pi-cancel-${payment.paymentIntentId}` },
  );
}
