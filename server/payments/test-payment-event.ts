// Development and CI only (stripe-mock has no checkout): the event Stripe would send for a
// successful payment, signed with the local webhook secret, so a test payment takes the real path.
import { randomBytes } from 'node:crypto';
import type { Actor } from '../accounts/actor.ts';
import { Invalid, NotFound } from '../core/errors.ts';
import { PAYMENT_METHODS, type StripeGateway } from './stripe-gateway.ts';

/** What the event needs of the payment service: the buyer's PaymentIntent for the order. */
export interface PaymentStarter {
  startPayment(
    actor: Actor | undefined,
    orderNo: string,
  ): Promise<{ paymentIntentId: string; amountFen: number }>;
}

/**
 * Builds the `payment_intent.succeeded` event for the buyer's order and signs it. The caller
 * posts it to /webhooks/stripe, so it takes exactly the production path. Not found unless the
 * gateway is stripe-mock.
 */
export async function buildTestPaymentEvent(
  gateway: StripeGateway,
  payments: PaymentStarter,
  actor: Actor | undefined,
  orderNo: string,
  method: string,
): Promise<{ payload: string; signature: string }> {
  if (gateway.mode !== 'stripe-mock') throw new NotFound();
  if (!(PAYMENT_METHODS as readonly string[]).includes(method))
    throw new Invalid('errors.invalid', [{ field: 'method', code: 'validation.paymentMethod' }]);
  const started = await payments.startPayment(actor, orderNo);
  const event = {
    id: `evt_local_${randomBytes(12).toString('hex')}`,
    object: 'event',
    api_version: '2025-01-01',
    created: Math.floor(Date.now() / 1000),
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    type: 'payment_intent.succeeded',
    data: {
      object: {
        id: started.paymentIntentId,
        object: 'payment_intent',
        amount: started.amountFen,
        amount_received: started.amountFen,
        currency: 'cny',
        status: 'succeeded',
        payment_method_types: [method],
        metadata: { orderNo },
      },
    },
  };
  const payload = JSON.stringify(event);
  return { payload, signature: gateway.signForLocalDelivery(payload) };
}
