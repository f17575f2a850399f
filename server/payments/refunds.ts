// Refunds: once per refund key and never more than was received; a hub's short pick refunds
// lines, a paid order's cancellation refunds it in full; and what came back to the buyer.
import type { Actor } from '../accounts/actor.ts';
import { Conflict, Forbidden, Invalid, NotFound } from '../core/errors.ts';
import { parseInput } from '../core/validation.ts';
import { z } from 'zod';
import type { OrderEvents } from '../orders/order-events.ts';
import { orderByNo, type Order } from '../orders/order-reads.ts';
import type { OrderStateMachine, TransitionActor } from '../orders/order-states.ts';
import type { CancellationRefund } from '../orders/paid-order-cancellation.ts';
import { note } from '../orders/timeline.ts';
import { PaymentModel, RefundModel } from './payment.model.ts';
import type { StripeGateway } from './stripe-gateway.ts';

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

/**
 * What the buyer paid for goods listed at `valueFen` of an order: the list price less the
 * coupon's share of it, rounded down. Taken as a difference of cumulative shares, a series of
 * short picks refunds exactly what was paid for the goods, never a fen more.
 */
export function paidShareFen(
  order: Pick<Order, 'itemsTotalFen' | 'discountFen'>,
  valueFen: number,
): number {
  const discount = order.discountFen ?? 0;
  if (!discount) return valueFen;
  return Math.floor((valueFen * (order.itemsTotalFen - discount)) / order.itemsTotalFen);
}

/** A paid order's cancellation is refunded in full, once, under this key. */
const cancellationKey = (orderNo: string) => `cancel:${orderNo}`;
const CANCELLATION_REASON = 'cancelled before picking';

export interface RefundsDeps {
  gateway: StripeGateway;
  states: OrderStateMachine;
  events: OrderEvents;
}

export class Refunds {
  private readonly deps: RefundsDeps;

  constructor(deps: RefundsDeps) {
    this.deps = deps;
  }

  /** The refund of a paid order's cancellation, recorded before the order's status changes. */
  readonly cancellation: CancellationRefund = {
    unfinished: async (orderNo) =>
      Boolean(
        await RefundModel.exists({
          refundKey: cancellationKey(orderNo),
          status: { $ne: 'succeeded' },
        }),
      ),
    record: async (order) => {
      await RefundModel.updateOne(
        { refundKey: cancellationKey(order.orderNo) },
        {
          $setOnInsert: {
            orderNo: order.orderNo,
            amountFen: order.totalFen,
            reason: CANCELLATION_REASON,
            status: 'pending',
          },
        },
        { upsert: true },
      );
    },
    withdraw: async (orderNo) => {
      await RefundModel.deleteOne({ refundKey: cancellationKey(orderNo), status: 'pending' });
    },
    issue: (order) =>
      this.issue(
        order.orderNo,
        order.totalFen,
        cancellationKey(order.orderNo),
        CANCELLATION_REASON,
      ),
  };

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

  /** Partial refund for lines the hub could not pick (used by the hub's short-pick exception). */
  async refundShortPick(
    actor: Actor | undefined,
    orderNo: string,
    rawLines: unknown,
    exceptionId?: string,
  ): Promise<Order> {
    if (!actor || (actor.role !== 'hub_staff' && actor.role !== 'admin')) throw new Forbidden();
    const lines = parseInput(shortPickLines, rawLines);
    const order = await orderByNo(orderNo);
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
    let valueFen = 0;
    for (const [skuCode, quantity] of merged) {
      const orderLine = order.lines.find((l) => l.skuCode === skuCode);
      if (!orderLine || quantity + (done.get(skuCode) ?? 0) > orderLine.quantity) {
        throw new Invalid('errors.invalid', [{ field: 'lines', code: 'validation.refundLines' }]);
      }
      valueFen += orderLine.unitPriceFen * quantity;
    }
    const doneValueFen = order.lines.reduce(
      (sum, l) => sum + l.unitPriceFen * (done.get(l.skuCode) ?? 0),
      0,
    );
    const amountFen =
      paidShareFen(order, doneValueFen + valueFen) - paidShareFen(order, doneValueFen);
    const refundLines = [...merged].map(([skuCode, quantity]) => ({ skuCode, quantity }));
    // The hub's exception id makes each short pick its own refund; without one, the same lines
    // again are taken as a retry of the same refund.
    const linesKey = refundLines
      .map((l) => `${l.skuCode}x${l.quantity}`)
      .sort()
      .join(',');
    const key = `short-pick:${order.orderNo}:${exceptionId ?? linesKey}`;
    await this.issue(order.orderNo, amountFen, key, 'short pick', refundLines);
    const who: TransitionActor = { kind: actor.role === 'admin' ? 'admin' : 'hub', id: actor.id };
    if (order.status === 'partially_refunded') {
      // A further short pick: its refund goes on the timeline too (the order page and the
      // county's figures read refunds there), the status staying as it is.
      const noted = await this.deps.states.note(
        order.orderNo,
        'partially_refunded',
        who,
        note('shortPickRefund', { amountFen }),
        key,
      );
      if (noted) this.deps.events.orderChanged(noted);
    }
    if (order.status === 'picking') {
      const result = await this.deps.states.transition(
        order.orderNo,
        'picking',
        'partially_refunded',
        who,
        note('shortPickRefund', { amountFen }),
      );
      if (result.won) this.deps.events.orderChanged(result.order);
    }
    return (await orderByNo(order.orderNo))!;
  }

  /**
   * Refunds once per `refundKey`, never more than was received. Stripe gets the same key as its
   * idempotency key, so a retry after a timeout cannot refund twice.
   */
  async issue(
    orderNo: string,
    amountFen: number,
    refundKey: string,
    reason: string,
    lines?: { skuCode: string; quantity: number }[],
  ): Promise<void> {
    if (!Number.isSafeInteger(amountFen) || amountFen < 0)
      throw new Invalid('errors.invalid', [
        { field: 'amountFen', code: 'validation.refundAmount' },
      ]);
    // Nothing to give back (goods given at ¥0, a lucky bag's prize): recorded as done, so the
    // same lines cannot be reported short twice, and Stripe is not asked.
    if (amountFen === 0) {
      await RefundModel.updateOne(
        { refundKey },
        {
          $setOnInsert: { orderNo, amountFen: 0, reason, ...(lines ? { lines } : {}) },
          $set: { status: 'succeeded' },
        },
        { upsert: true },
      );
      return;
    }
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
}
