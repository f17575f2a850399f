// Payments with Stripe: starting a PaymentIntent for an order, applying webhook events once,
// and the late-payment race (DESIGN invariant 5). Refunds, the webhook inbox and the local test
// event are in the modules beside this one; paid-order cancellation is the order domain's.
import type { Queue } from 'bullmq';
import type { Actor } from '../accounts/actor.ts';
import { rememberStripeCustomer, stripeCustomerOf } from '../accounts/stripe-customer.ts';
import { Conflict, Forbidden, NotFound } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';
import { orderByNo, type Order, type OrderStatus } from '../orders/order-reads.ts';
import type { OrderEvents } from '../orders/order-events.ts';
import type { OrderService } from '../orders/order-service.ts';
import { reReserveForLatePayment } from '../orders/order-stock.ts';
import type { OrderStateMachine, TransitionActor } from '../orders/order-states.ts';
import { PaidOrderCancellation } from '../orders/paid-order-cancellation.ts';
import { note } from '../orders/timeline.ts';
import type { StockReservations } from '../stock/stock-reservations.ts';
import { withdrawOpenIntent } from './open-intents.ts';
import { PaymentModel, StripeEventModel } from './payment.model.ts';
import { Refunds } from './refunds.ts';
import {
  PAYMENT_METHODS,
  type PaymentIntent,
  type StripeEvent,
  type StripeGateway,
} from './stripe-gateway.ts';
import { STRIPE_EVENT_JOB, StripeEventInbox } from './stripe-event-inbox.ts';
import { buildTestPaymentEvent } from './test-payment-event.ts';

export { PAYMENT_METHODS, STRIPE_EVENT_JOB };
export const RECONCILE_JOB = 'reconcile-pending';

const SYSTEM: TransitionActor = { kind: 'system', id: 'payments' };

export interface PaymentServiceDeps {
  gateway: StripeGateway;
  orders: OrderService;
  states: OrderStateMachine;
  stock: StockReservations;
  events: OrderEvents;
  queue: Queue;
  logger: Logger;
}

export interface StartedPayment {
  orderNo: string;
  amountFen: number;
  clientSecret: string;
  paymentIntentId: string;
}

export class PaymentService {
  private readonly deps: PaymentServiceDeps;
  private readonly inbox: StripeEventInbox;
  private readonly refunds: Refunds;
  private readonly paidCancellation: PaidOrderCancellation;
  constructor(deps: PaymentServiceDeps) {
    this.deps = deps;
    this.inbox = new StripeEventInbox(deps.queue);
    this.refunds = new Refunds(deps);
    this.paidCancellation = new PaidOrderCancellation({
      states: deps.states,
      events: deps.events,
      releaseStock: (order) => deps.orders.releaseStock(order),
      refund: this.refunds.cancellation,
    });
  }

  get mode() {
    return this.deps.gateway.mode;
  }

  /** Creates (or reuses) the PaymentIntent for the buyer's unpaid order; the amount comes from the order. */
  async startPayment(actor: Actor | undefined, orderNo: string): Promise<StartedPayment> {
    const order = await this.deps.orders.getOrder(actor, orderNo);
    if (String(order.buyerId) !== actor!.id) throw new NotFound('errors.orderNotFound');
    if (order.status !== 'pending_payment')
      throw new Conflict('errors.notPayable', { status: order.status });
    if (order.payBy.getTime() <= Date.now()) throw new Conflict('errors.payByPassed');
    if (!order.address) throw new Conflict('errors.addressFirst');
    // A lucky bag's prize owes nothing: it is sent (if that was missed), never charged.
    if (order.totalFen === 0) await this.deps.orders.unpaid.sendFree(order);
    if (order.totalFen === 0) throw new Conflict('errors.nothingToPay');

    const customer = await this.customerFor(actor!.id);
    const intent = await this.deps.gateway.sdk.paymentIntents.create(
      {
        amount: order.totalFen,
        currency: 'cny',
        customer,
        allowed_payment_method_types: [...PAYMENT_METHODS],
        metadata: { orderNo: order.orderNo },
        description: `村播 ${order.orderNo}`,
      },
      // Same order and amount → the same PaymentIntent, however often the buyer taps "pay". A
      // coupon put on or taken off changes the price's version: a new total, a new intent.
      {
        idempotencyKey: `pi-${order.orderNo}-${order.totalFen}${order.priceVersion ? `-v${order.priceVersion}` : ''}`,
      },
    );
    await PaymentModel.updateOne(
      { orderNo: order.orderNo },
      {
        $set: { paymentIntentId: intent.id, amountFen: order.totalFen },
        $setOnInsert: { buyerId: order.buyerId, currency: 'cny', status: 'requires_payment' },
      },
      { upsert: true },
    );
    // A coupon put on or taken off meanwhile (another tab) withdrew intents before this one
    // existed: this one, for the old total, is withdrawn too, and the buyer asked to try again.
    const now = await this.deps.orders.getOrder(actor, orderNo);
    if (now.totalFen !== order.totalFen || now.priceVersion !== order.priceVersion) {
      await this.withdrawOpenIntent(orderNo);
      throw new Conflict('errors.orderBusy');
    }
    return {
      orderNo: order.orderNo,
      amountFen: order.totalFen,
      clientSecret: intent.client_secret ?? '',
      paymentIntentId: intent.id,
    };
  }

  /** Cancels the PaymentIntent made for an unpaid order's old total; see open-intents.ts. */
  withdrawOpenIntent(orderNo: string): Promise<void> {
    return withdrawOpenIntent(this.deps.gateway, orderNo);
  }

  private async customerFor(userId: string): Promise<string> {
    const user = await stripeCustomerOf(userId);
    if (!user) throw new Forbidden();
    if (user.stripeCustomerId) return user.stripeCustomerId;
    const customer = await this.deps.gateway.sdk.customers.create(
      { name: user.displayName, metadata: { userId } },
      { idempotencyKey: `customer-${userId}` },
    );
    await rememberStripeCustomer(userId, customer.id);
    return customer.id;
  }

  /**
   * The webhook endpoint's whole job: verify, remember the event id, hand it to a worker.
   * Throws on a bad signature (the route answers 400); a redelivery is acknowledged and ignored.
   * Answers once the event is durable and its job queued (see StripeEventInbox).
   */
  async acceptWebhook(
    rawBody: Buffer,
    signature: string | undefined,
  ): Promise<'queued' | 'duplicate'> {
    const event = this.deps.gateway.verifyWebhook(rawBody, signature);
    return this.inbox.accept(event, rawBody.toString('utf8'));
  }

  /**
   * Applies one accepted event (run by the stripe-events worker). Safe to run twice. A job's first
   * run passes the verified payload the web process stored with it, which spares a read; without
   * it (a rerun, a direct call) the stored event is read, and an event already applied is not
   * applied again.
   */
  async applyEvent(eventId: string, payload?: string): Promise<string> {
    let event: StripeEvent;
    if (payload) {
      event = JSON.parse(payload) as StripeEvent;
      if (event.id !== eventId) throw new Error(`job for ${eventId} carries event ${event.id}`);
    } else {
      const stored = await StripeEventModel.findOne(
        { eventId },
        { payload: 1, processedAt: 1, outcome: 1 },
      ).lean();
      if (!stored) return 'unknown event';
      if (stored.processedAt) return stored.outcome ?? 'done';
      event = JSON.parse(stored.payload) as StripeEvent;
    }
    let outcome: string;
    switch (event.type) {
      case 'payment_intent.succeeded':
        outcome = await this.applyPaymentSucceeded(event.data.object);
        break;
      case 'payment_intent.payment_failed':
        outcome = await this.notePaymentFailed(event.data.object);
        break;
      default:
        outcome = `ignored ${event.type}`;
    }
    await StripeEventModel.updateOne({ eventId }, { $set: { processedAt: new Date(), outcome } });
    return outcome;
  }

  /** Money arrived. Normally: pending → paid. After the unpaid timeout: re-reserve or refund. */
  async applyPaymentSucceeded(intent: PaymentIntent): Promise<string> {
    const orderNo = intent.metadata?.orderNo;
    const method = intent.payment_method_types?.[0];
    // The usual case in one write: the payment the pay page recorded, still waiting, for exactly
    // this amount (the order's total, set when the PaymentIntent was made). Anything else takes
    // the careful path below, which reads the order first.
    if (orderNo && intent.currency === 'cny' && Number.isSafeInteger(intent.amount)) {
      const recorded = await PaymentModel.findOneAndUpdate(
        { orderNo, status: 'requires_payment', amountFen: intent.amount },
        {
          $set: {
            status: 'succeeded',
            receivedFen: intent.amount,
            paymentIntentId: intent.id,
            ...(method ? { paymentMethod: method } : {}),
          },
        },
      ).lean();
      if (recorded) return this.markPaid(orderNo, method);
    }
    const order = orderNo ? await orderByNo(orderNo) : null;
    if (!order) {
      this.deps.logger.warn({ paymentIntent: intent.id }, 'payment for an unknown order');
      return 'no such order';
    }
    const payment = (await PaymentModel.findOneAndUpdate(
      { orderNo: order.orderNo },
      {
        $setOnInsert: {
          buyerId: order.buyerId,
          currency: 'cny',
          amountFen: order.totalFen,
          status: 'requires_payment',
        },
        $set: { paymentIntentId: intent.id, ...(method ? { paymentMethod: method } : {}) },
      },
      { upsert: true, returnDocument: 'after' },
    ))!;
    if (payment.status === 'amount_mismatch') return 'amount mismatch: flagged, not marked paid';
    if (payment.status === 'requires_payment') {
      if (intent.amount !== order.totalFen || intent.currency !== 'cny') {
        payment.status = 'amount_mismatch';
        payment.problem = `Stripe reported ${intent.amount} ${intent.currency}, the order is ${order.totalFen} cny`;
        await payment.save();
        this.deps.logger.error(
          { orderNo: order.orderNo, intent: intent.id },
          'payment amount does not match the order',
        );
        return 'amount mismatch: flagged, not marked paid';
      }
      payment.status = 'succeeded';
      payment.receivedFen = intent.amount;
      await payment.save();
    }
    // Reached again when a retry follows a failure after the payment was recorded: the
    // transition is decided once, so running it twice is safe.
    return this.markPaid(order.orderNo, method, order);
  }

  /** pending → paid, decided once; if the order closed first, the late payment is settled. */
  private async markPaid(orderNo: string, method: string | undefined, order?: Order) {
    const result = await this.deps.states.transition(
      orderNo,
      'pending_payment',
      'paid',
      SYSTEM,
      note('paidWith', { method: method ?? 'stripe' }),
    );
    if (result.won) {
      this.deps.events.orderChanged(result.order);
      return 'paid';
    }
    const closed = order ?? (await orderByNo(orderNo));
    if (!closed) return 'no such order';
    return this.settleLatePayment(closed, result.current);
  }

  /** The unpaid timeout (or the buyer) closed the order before the money arrived. */
  private async settleLatePayment(order: Order, current: OrderStatus): Promise<string> {
    const refundKey = `late-payment:${order.orderNo}`;
    if (current === 'refunded') {
      // A retry after the automatic refund was decided: make sure it was issued (once).
      await this.issueRefund(order.orderNo, order.totalFen, refundKey, 'late payment');
      return 'paid late; refunded';
    }
    if (current !== 'expired' && current !== 'cancelled') return `already ${current}`;
    if (current === 'expired' && (await reReserveForLatePayment(order, this.deps)))
      return 'paid late; stock re-reserved';

    const result = await this.deps.states.transition(
      order.orderNo,
      current,
      'refunded',
      SYSTEM,
      note(current === 'expired' ? 'paidLateRefunded' : 'paidAfterCancelRefunded'),
    );
    if (!result.won && result.current !== 'refunded')
      return `late payment: order is ${result.current}`;
    await this.issueRefund(order.orderNo, order.totalFen, refundKey, 'late payment');
    if (result.won) this.deps.events.orderChanged(result.order);
    return 'paid late; refunded';
  }

  private async notePaymentFailed(intent: PaymentIntent): Promise<string> {
    const orderNo = intent.metadata?.orderNo;
    if (!orderNo) return 'no order';
    const message = intent.last_payment_error?.message ?? 'payment failed';
    // A failure reported after a success (events out of order) changes nothing.
    await PaymentModel.updateOne(
      { orderNo, status: 'requires_payment' },
      { $set: { problem: message.slice(0, 300) } },
    );
    return 'payment failed noted';
  }

  /**
   * What the buyer paid for an order, what came back and what they paid in the end, once
   * anything came back; undefined before that (the order's total says it all).
   */
  moneyBack(
    orderNo: string,
  ): Promise<{ paidFen: number; refundedFen: number; netFen: number } | undefined> {
    return this.refunds.moneyBack(orderNo);
  }

  /** The buyer (or admin) cancels a paid order before picking: full refund, stock released. */
  cancelPaidOrder(actor: Actor | undefined, orderNo: string): Promise<Order> {
    return this.paidCancellation.cancel(actor, orderNo);
  }

  /** Payments Stripe reported that do not match their order (never marked paid), newest first. */
  async problems(actor: Actor | undefined) {
    if (actor?.role !== 'admin') throw new Forbidden();
    return PaymentModel.find({
      $or: [{ status: 'amount_mismatch' }, { problem: { $exists: true } }],
    })
      .sort({ updatedAt: -1 })
      .limit(100)
      .lean();
  }

  /** Partial refund for lines the hub could not pick (used by the hub's short-pick exception). */
  refundShortPick(
    actor: Actor | undefined,
    orderNo: string,
    rawLines: unknown,
    exceptionId?: string,
  ): Promise<Order> {
    return this.refunds.refundShortPick(actor, orderNo, rawLines, exceptionId);
  }

  /**
   * Refunds once per `refundKey`, never more than was received. Stripe gets the same key as its
   * idempotency key, so a retry after a timeout cannot refund twice.
   */
  issueRefund(
    orderNo: string,
    amountFen: number,
    refundKey: string,
    reason: string,
    lines?: { skuCode: string; quantity: number }[],
  ): Promise<void> {
    return this.refunds.issue(orderNo, amountFen, refundKey, reason, lines);
  }

  /**
   * Payments still pending, checked against Stripe (least recently checked first, within two
   * days of their creation): applies what a lost webhook missed. One failure skips one payment.
   */
  async reconcilePending(olderThanMs = 60_000): Promise<number> {
    const now = Date.now();
    const stale = await PaymentModel.find({
      status: 'requires_payment',
      updatedAt: { $lt: new Date(now - olderThanMs) },
      createdAt: { $gt: new Date(now - 2 * 24 * 3600 * 1000) },
    })
      .sort({ checkedAt: 1 })
      .limit(200)
      .lean();
    let applied = 0;
    for (const payment of stale) {
      try {
        await PaymentModel.updateOne(
          { _id: payment._id },
          { $set: { checkedAt: new Date() } },
          { timestamps: false },
        );
        const intent = await this.deps.gateway.sdk.paymentIntents.retrieve(payment.paymentIntentId);
        if (intent.status === 'succeeded' && intent.metadata?.orderNo === payment.orderNo) {
          await this.applyPaymentSucceeded(intent);
          applied++;
        }
      } catch (error) {
        this.deps.logger.warn(
          { err: error, orderNo: payment.orderNo },
          'reconciliation could not check a payment',
        );
      }
    }
    return applied;
  }

  /** Development and CI only: the signed event a successful payment would send. */
  buildLocalPaymentEvent(
    actor: Actor | undefined,
    orderNo: string,
    method: string,
  ): Promise<{ payload: string; signature: string }> {
    return buildTestPaymentEvent(this.deps.gateway, this, actor, orderNo, method);
  }
}
