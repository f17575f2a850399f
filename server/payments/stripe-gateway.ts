// The Stripe SDK, pointed at Stripe (test or live keys) or at stripe-mock. Webhooks are always
// verified with the SDK's own signature code, whichever it is.
import Stripe from 'stripe';
import { Invalid } from '../core/errors.ts';
import type { StripeService } from '../core/local-services/stripe.ts';

/** The ways a buyer may pay a PaymentIntent: card, Alipay and WeChat Pay. */
export const PAYMENT_METHODS = ['card', 'alipay', 'wechat_pay'] as const;

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

  /**
   * The verified event. Invalid (400) if the signature is missing, wrong or too old (replay
   * window: 5 minutes), or if a correctly signed body is not an event (not JSON, no id or type).
   */
  verifyWebhook(rawBody: Buffer, signature: string | undefined): StripeEvent {
    if (!signature) throw new Invalid('errors.badSignature');
    let event: unknown;
    try {
      event = this.sdk.webhooks.constructEvent(rawBody, signature, this.webhookSecret, 300);
    } catch (error) {
      if (error instanceof Stripe.errors.StripeSignatureVerificationError)
        throw new Invalid('errors.badSignature');
      throw new Invalid('errors.badEvent');
    }
    const { id, type, data } = (event ?? {}) as Partial<StripeEvent>;
    if (
      typeof id !== 'string' ||
      !/^evt_[A-Za-z0-9_]{1,200}$/.test(id) ||
      typeof type !== 'string' ||
      typeof data?.object !== 'object'
    )
      throw new Invalid('errors.badEvent');
    return event as StripeEvent;
  }

  /** A correctly signed header for a payload: used by the local test-payment page only. */
  signForLocalDelivery(payload: string): string {
    return this.sdk.webhooks.generateTestHeaderString({ payload, secret: this.webhookSecret });
  }
}
