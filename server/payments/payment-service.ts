// Payments with Stripe: starting a PaymentIntent for an order, applying webhook events once,
// refunds, and the late-payment race (DESIGN invariant 5).
import { randomBytes } from 'node:crypto';
import type { Queue } from 'bullmq';
import { Types } from 'mongoose';
import type { Actor } from '../accounts/actor.ts';
import { UserModel } from '../accounts/user.model.ts';
import { Conflict, Forbidden, Invalid, NotFound } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';
import { bulkWriteErrors, movementIds, recordMovement, theHubId } from '../stock/stock-ledger.ts';
import { OrderModel, type Order, type OrderStatus } from '../orders/order.model.ts';
import { assertBuyerOrAdmin } from '../orders/order-service.ts';
import { parseInput } from '../core/validation.ts';
import { z } from 'zod';
import type { OrderEvents, OrderService } from '../orders/order-service.ts';
import type { OrderStateMachine, TransitionActor } from '../orders/order-states.ts';
import type { StockReservations } from '../stock/stock-reservations.ts';
import { PaymentModel, RefundModel, StripeEventModel } from './payment.model.ts';
import type { PaymentIntent, StripeEvent, StripeGateway } from './stripe-gateway.ts';
import { note } from '../orders/timeline.ts';

export const PAYMENT_METHODS = ['card', 'alipay', 'wechat_pay'] as const;
export const STRIPE_EVENT_JOB = 'apply-stripe-event';
export const RECONCILE_JOB = 'reconcile-pending';

const shortPickLines = z
  .array(
    z.object({
      skuCode: z.string().regex(/^[A-Z0-9-]{3,40}$/, 'validation.refundLines'),
      quantity: z
        .number()
        .int('validation.refundLines')
        .min(1, 'validation.refundLines')
        .max(99, 'validation.refundLines'),
    }),
    { error: 'validation.refundLines' },
  )
  .min(1, 'validation.refundLines')
  .max(20, 'validation.refundLines');

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
  constructor(deps: PaymentServiceDeps) {
    this.deps = deps;
    this.inbox = new StripeEventInbox(deps.queue);
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
      // Same order and amount → the same PaymentIntent, however often the buyer taps "pay".
      { idempotencyKey: `pi-${order.orderNo}-${order.totalFen}` },
    );
    await PaymentModel.updateOne(
      { orderNo: order.orderNo },
      {
        $set: { paymentIntentId: intent.id, amountFen: order.totalFen },
        $setOnInsert: { buyerId: order.buyerId, currency: 'cny', status: 'requires_payment' },
      },
      { upsert: true },
    );
    return {
      orderNo: order.orderNo,
      amountFen: order.totalFen,
      clientSecret: intent.client_secret ?? '',
      paymentIntentId: intent.id,
    };
  }

  private async customerFor(userId: string): Promise<string> {
    const user = await UserModel.findById(userId);
    if (!user) throw new Forbidden();
    if (user.stripeCustomerId) return user.stripeCustomerId;
    const customer = await this.deps.gateway.sdk.customers.create(
      { name: user.displayName, metadata: { userId } },
      { idempotencyKey: `customer-${userId}` },
    );
    user.stripeCustomerId = customer.id;
    await user.save();
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
    const order = orderNo ? await OrderModel.findOne({ orderNo }).lean() : null;
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
    const closed = order ?? (await OrderModel.findOne({ orderNo }).lean());
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
    if (current === 'expired' && (await this.retakeStock(order)))
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

  /** Takes an expired order's units again for its late payment; false if they are gone. */
  private async retakeStock(order: Order): Promise<boolean> {
    const lines = order.lines.map((l) => ({ skuId: String(l.skuId), quantity: l.quantity }));
    const again = await this.deps.stock.reserve(
      `late-payment:${order.orderNo}`,
      order.orderNo,
      lines,
    );
    if (again.kind !== 'reserved') return false;
    const hubId = await theHubId();
    const movement = (line: { skuId: string; quantity: number }, kind: 'reserved' | 'released') =>
      recordMovement({
        movementId: (kind === 'reserved' ? movementIds.reReserve : movementIds.reRelease)(
          order.orderNo,
          line.skuId,
        ),
        skuId: new Types.ObjectId(line.skuId),
        hubId,
        kind,
        delta: kind === 'reserved' ? -line.quantity : line.quantity,
        reason: `order ${order.orderNo} paid late`,
      });
    for (const line of again.lines) await movement(line, 'reserved');
    const stale = await this.deps.stock.settle([{ orderNo: order.orderNo, lines: again.lines }]);
    const result =
      stale.size === 0
        ? await this.deps.states.transition(
            order.orderNo,
            'expired',
            'paid',
            SYSTEM,
            note('paidLateKept'),
          )
        : undefined;
    if (!result?.won) {
      // A counter rebuild in between, or another actor won: give the units back, refund instead.
      for (const line of again.lines) await movement(line, 'released');
      await this.deps.stock.release(`late-payment:${order.orderNo}`, again.lines);
      return false;
    }
    const epochs = Object.fromEntries(
      again.lines.map((l) => [
        `lines.${order.lines.findIndex((x) => String(x.skuId) === l.skuId)}.stockEpoch`,
        l.epoch,
      ]),
    );
    await OrderModel.updateOne({ orderNo: order.orderNo }, { $set: { ...epochs, stockRound: 2 } });
    this.deps.events.orderChanged(result.order);
    return true;
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

  /** The buyer (or admin) cancels a paid order before picking: full refund, stock released. */
  /**
   * What the buyer paid for an order, what came back and what they paid in the end, once
   * anything came back; undefined before that (the order's total says it all).
   */
  async moneyBack(
    orderNo: string,
  ): Promise<{ paidFen: number; refundedFen: number; netFen: number } | undefined> {
    const payment = await PaymentModel.findOne(
      { orderNo },
      { receivedFen: 1, refundedFen: 1 },
    ).lean();
    if (!payment || !payment.refundedFen) return undefined;
    return {
      paidFen: payment.receivedFen,
      refundedFen: payment.refundedFen,
      netFen: payment.receivedFen - payment.refundedFen,
    };
  }

  async cancelPaidOrder(actor: Actor | undefined, orderNo: string): Promise<Order> {
    const order = await this.deps.orders.getOrder(actor, orderNo);
    assertBuyerOrAdmin(actor!, order);
    const refundKey = `cancel:${orderNo}`;
    if (
      order.status === 'cancelled' &&
      (await RefundModel.exists({ refundKey, status: { $ne: 'succeeded' } }))
    ) {
      // A retry after the refund failed: finish it.
      await this.deps.orders.releaseStock(order);
      await this.issueRefund(orderNo, order.totalFen, refundKey, 'cancelled before picking');
      return order;
    }
    if (order.status !== 'paid' && order.status !== 'routed')
      throw new Conflict('errors.cannotCancel', { status: order.status });
    const who: TransitionActor = {
      kind: actor!.role === 'admin' ? 'admin' : 'buyer',
      id: actor!.id,
    };
    // Record the refund's intent before the status changes, so a failure can be finished later.
    await RefundModel.updateOne(
      { refundKey },
      {
        $setOnInsert: {
          orderNo,
          amountFen: order.totalFen,
          reason: 'cancelled before picking',
          status: 'pending',
        },
      },
      { upsert: true },
    );
    const result = await this.deps.states.transition(
      orderNo,
      order.status,
      'cancelled',
      who,
      note('cancelledBeforePicking'),
    );
    if (!result.won) {
      await RefundModel.deleteOne({ refundKey, status: 'pending' });
      throw new Conflict('errors.cannotCancel', { status: result.current });
    }
    await this.deps.orders.releaseStock(result.order);
    await this.issueRefund(orderNo, order.totalFen, refundKey, 'cancelled before picking');
    this.deps.events.orderChanged(result.order);
    return result.order;
  }

  /** Partial refund for lines the hub could not pick (used by the hub's short-pick exception). */
  async refundShortPick(
    actor: Actor | undefined,
    orderNo: string,
    rawLines: unknown,
    exceptionId?: string,
  ): Promise<Order> {
    if (!actor || (actor.role !== 'hub_staff' && actor.role !== 'admin')) throw new Forbidden();
    const lines = parseInput(shortPickLines, rawLines);
    const order = await OrderModel.findOne({ orderNo: String(orderNo) }).lean();
    if (!order) throw new NotFound('errors.orderNotFound');
    if (order.status !== 'picking' && order.status !== 'partially_refunded') {
      throw new Conflict('errors.notPicking', { status: order.status });
    }
    // Units already refunded per SKU, by earlier short picks of this order.
    const earlier = await RefundModel.find({
      orderNo: order.orderNo,
      refundKey: { $regex: '^short-pick:' },
    }).lean();
    const done = new Map<string, number>();
    for (const r of earlier)
      for (const l of r.lines ?? []) done.set(l.skuCode, (done.get(l.skuCode) ?? 0) + l.quantity);
    const merged = new Map<string, number>();
    for (const l of lines) merged.set(l.skuCode, (merged.get(l.skuCode) ?? 0) + l.quantity);
    let amountFen = 0;
    for (const [skuCode, quantity] of merged) {
      const orderLine = order.lines.find((l) => l.skuCode === skuCode);
      if (!orderLine || quantity + (done.get(skuCode) ?? 0) > orderLine.quantity) {
        throw new Invalid('errors.invalid', [{ field: 'lines', code: 'validation.refundLines' }]);
      }
      amountFen += orderLine.unitPriceFen * quantity;
    }
    const refundLines = [...merged].map(([skuCode, quantity]) => ({ skuCode, quantity }));
    // The hub's exception id makes each short pick its own refund; without one, the same lines
    // again are taken as a retry of the same refund.
    const linesKey = refundLines
      .map((l) => `${l.skuCode}x${l.quantity}`)
      .sort()
      .join(',');
    const key = `short-pick:${order.orderNo}:${exceptionId ?? linesKey}`;
    await this.issueRefund(order.orderNo, amountFen, key, 'short pick', refundLines);
    if (order.status === 'picking') {
      const who: TransitionActor = { kind: actor.role === 'admin' ? 'admin' : 'hub', id: actor.id };
      const result = await this.deps.states.transition(
        order.orderNo,
        'picking',
        'partially_refunded',
        who,
        note('shortPickRefund', { amountFen }),
      );
      if (result.won) this.deps.events.orderChanged(result.order);
    }
    return (await OrderModel.findOne({ orderNo: order.orderNo }).lean())!;
  }

  /**
   * Refunds once per `refundKey`, never more than was received. Stripe gets the same key as its
   * idempotency key, so a retry after a timeout cannot refund twice.
   */
  async issueRefund(
    orderNo: string,
    amountFen: number,
    refundKey: string,
    reason: string,
    lines?: { skuCode: string; quantity: number }[],
  ): Promise<void> {
    if (!Number.isSafeInteger(amountFen) || amountFen < 1)
      throw new Invalid('errors.invalid', [
        { field: 'amountFen', code: 'validation.refundAmount' },
      ]);
    const payment = await PaymentModel.findOne({ orderNo });
    if (!payment || payment.receivedFen === 0) throw new Conflict('errors.nothingPaid');
    const earlier = await RefundModel.findOne({ refundKey }).lean();
    if (earlier?.status === 'succeeded') return;
    // Every other refund of the order counts, pending ones too: the total never exceeds what came in.
    const others = (
      await RefundModel.find({
        orderNo,
        refundKey: { $ne: refundKey },
        status: { $ne: 'failed' },
      }).lean()
    ).reduce((s, r) => s + r.amountFen, 0);
    if (others + amountFen > payment.receivedFen) {
      throw new Invalid(
        'errors.refundTooLarge',
        [{ field: 'amountFen', code: 'validation.refundAmount' }],
        { left: payment.receivedFen - others },
      );
    }
    if (!earlier) {
      try {
        await RefundModel.create({
          refundKey,
          orderNo,
          amountFen,
          reason,
          status: 'pending',
          ...(lines ? { lines } : {}),
        });
      } catch (error) {
        if ((error as { code?: number }).code !== 11000) throw error;
      }
    }
    const refund = await this.deps.gateway.sdk.refunds.create(
      {
        payment_intent: payment.paymentIntentId,
        amount: amountFen,
        metadata: { orderNo, refundKey },
      },
      { idempotencyKey: `refund-${refundKey}` },
    );
    await RefundModel.updateOne(
      { refundKey },
      { $set: { status: 'succeeded', stripeRefundId: refund.id } },
    );
    const total = (await RefundModel.find({ orderNo, status: 'succeeded' }).lean()).reduce(
      (s, r) => s + r.amountFen,
      0,
    );
    payment.refundedFen = total;
    payment.status = total >= payment.receivedFen ? 'refunded' : 'partially_refunded';
    await payment.save();
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

  /**
   * Development and CI only (stripe-mock has no checkout): builds the event Stripe would send
   * for a successful payment and signs it with the local webhook secret. The caller posts it to
   * /webhooks/stripe, so it takes exactly the production path.
   */
  async buildLocalPaymentEvent(
    actor: Actor | undefined,
    orderNo: string,
    method: string,
  ): Promise<{ payload: string; signature: string }> {
    if (this.deps.gateway.mode !== 'stripe-mock') throw new NotFound();
    if (!(PAYMENT_METHODS as readonly string[]).includes(method))
      throw new Invalid('errors.invalid', [{ field: 'method', code: 'validation.paymentMethod' }]);
    const started = await this.startPayment(actor, orderNo);
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
    return { payload, signature: this.deps.gateway.signForLocalDelivery(payload) };
  }
}

interface WaitingEvent {
  event: StripeEvent;
  payload: string;
  resolve(outcome: 'queued' | 'duplicate'): void;
  reject(error: unknown): void;
}

/**
 * Group commit for webhooks. A rush's payments arrive as hundreds of webhooks a second, and the
 * document store's cost is the round trip (DESIGN, "Writing under a rush"): events this process
 * accepted wait a few milliseconds for each other, one unordered insertMany stores them and one
 * addBulk queues their jobs. Each webhook is answered once its own event is stored and queued;
 * a failure answers only the webhooks it touched, with an error, so Stripe delivers them again.
 */
export class StripeEventInbox {
  private readonly queue: Queue;
  private readonly options: { maxBatch: number; maxWaitMs: number; maxFlushes: number };
  private waiting: WaitingEvent[] = [];
  private timer: NodeJS.Timeout | undefined;
  private flushing = 0;

  constructor(queue: Queue, options = { maxBatch: 100, maxWaitMs: 5, maxFlushes: 2 }) {
    this.queue = queue;
    this.options = options;
  }

  accept(event: StripeEvent, payload: string): Promise<'queued' | 'duplicate'> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ event, payload, resolve, reject });
      if (this.waiting.length >= this.options.maxBatch) this.flushNow();
      else this.timer ??= setTimeout(() => this.flushNow(), this.options.maxWaitMs);
    });
  }

  private flushNow(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    // While every flush is busy, events keep gathering: the next batch is bigger.
    if (this.flushing >= this.options.maxFlushes || this.waiting.length === 0) return;
    const batch = this.waiting.splice(0, this.options.maxBatch);
    this.flushing++;
    void this.flush(batch)
      .catch((error: unknown) => batch.forEach((w) => w.reject(error)))
      .finally(() => {
        this.flushing--;
        if (this.waiting.length > 0) this.flushNow();
      });
  }

  private async flush(batch: WaitingEvent[]): Promise<void> {
    const now = new Date();
    const docs = batch.map((w) => ({
      _id: new Types.ObjectId(),
      eventId: w.event.id,
      type: w.event.type,
      payload: w.payload,
      created: new Date(w.event.created * 1000),
      createdAt: now,
      updatedAt: now,
    }));
    const failed = new Map<number, unknown>();
    const storedBefore: number[] = [];
    try {
      await StripeEventModel.collection.insertMany(docs, { ordered: false });
    } catch (error) {
      const writeErrors = bulkWriteErrors(error);
      // Not a per-event failure (a lost connection): nothing is known, every webhook fails.
      if (!writeErrors) throw error;
      for (const e of writeErrors)
        if (e.code === 11000) storedBefore.push(e.index);
        else failed.set(e.index, new Error(e.errmsg ?? 'event not stored'));
    }
    // A redelivery: acknowledged as a duplicate once applied; queued again if not yet (the
    // enqueue after its first delivery may have failed). The job id keeps it one job.
    const applied = new Set<number>();
    await Promise.all(
      storedBefore.map(async (i) => {
        const seen = await StripeEventModel.findOne(
          { eventId: docs[i]!.eventId },
          { processedAt: 1 },
        ).lean();
        if (seen?.processedAt) applied.add(i);
      }),
    );
    const toQueue = batch.flatMap((_, i) => (failed.has(i) || applied.has(i) ? [] : [i]));
    if (toQueue.length > 0)
      await this.queue
        .addBulk(
          toQueue.map((i) => ({
            name: STRIPE_EVENT_JOB,
            data: { eventId: docs[i]!.eventId, payload: docs[i]!.payload },
            opts: {
              jobId: `stripe-${docs[i]!.eventId}`,
              attempts: 8,
              backoff: { type: 'exponential', delay: 1000 },
              // The stored event's processedAt answers later redeliveries; a day is plenty.
              removeOnComplete: { age: 24 * 3600 },
            },
          })),
        )
        .catch((error: unknown) => toQueue.forEach((i) => failed.set(i, error)));
    batch.forEach((w, i) => {
      if (failed.has(i)) w.reject(failed.get(i));
      else w.resolve(applied.has(i) ? 'duplicate' : 'queued');
    });
  }
}
