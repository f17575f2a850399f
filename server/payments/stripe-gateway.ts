// The Stripe SDK, pointed at Stripe (test or live keys) or at stripe-mock. Webhooks are always
// verified with the SDK's own signature code, whichever it is.
import Stripe from 'stripe';
import type { StripeService } from '../core/local-services/stripe.ts';

export type StripeEvent = Stripe.Event;
export type PaymentIntent = Stripe.PaymentIntent;

export class StripeGateway {
  readonly sdk: Stripe;
  readonly mode: StripeService['mode'];
  private readonly webhookSecret: string;

  constructor(service: StripeService) {
    this.mode = service.mode;
    this.webhookSecret = service.webhookSecret;
    this.sdk = new Stripe(service.secretKey, {
      maxNetworkRetries: 2,
      timeout: 10_000,
      ...(service.api
        ? { host: service.api.host, port: service.api.port, protocol: service.api.protocol }
        : {}),
    });
  }

  /** Throws if the signature is missing, wrong, or too old (replay window: 5 minutes). */
  verifyWebhook(rawBody: Buffer, signature: string | undefined): StripeEvent {
    if (!signature) throw new Error('missing Stripe-Signature header');
    return this.sdk.webhooks.constructEvent(rawBody, signature, this.webhookSecret, 300);
  }

  /** A correctly signed header for a payload: used by the local test-payment page only. */
  signForLocalDelivery(payload: string): string {
    return this.sdk.webhooks.generateTestHeaderString({ payload, secret: this.webhookSecret });
  }
}
