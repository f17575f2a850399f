// An order waiting for payment: its buyer gives or corrects its address, or cancels it; unpaid
// past its pay-by time, it expires (by its own job, or by the sweep when that job was lost).
import type { Actor } from '../accounts/actor.ts';
import { Conflict, Invalid, NotFound } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';
import type { Address } from './address.schema.ts';
import type { OrderEvents } from './order-events.ts';
import { OrderModel, type Order, type OrderStatus } from './order.model.ts';
import { assertBuyerOrAdmin, orderVisibleTo } from './order-queries.ts';
import type { OrderStateMachine, TransitionActor } from './order-states.ts';
import { note } from './timeline.ts';

export interface UnpaidOrdersDeps {
  states: OrderStateMachine;
  events: OrderEvents;
  logger: Logger;
  /** Gives a closed order's units back (OrderService.releaseStock). */
  releaseStock(order: Order): Promise<void>;
}

export class UnpaidOrders {
  private readonly deps: UnpaidOrdersDeps;

  constructor(deps: UnpaidOrdersDeps) {
    this.deps = deps;
  }

  /**
   * Gives an unpaid order its delivery address: a first-time buyer's live buy is placed without
   * one (the units are held as for any unpaid order), and the buyer adds it before paying. It
   * can be corrected until the order is paid.
   */
  async setAddress(actor: Actor | undefined, orderNo: string, address: Address): Promise<Order> {
    const order = await orderVisibleTo(actor, orderNo);
    if (String(order.buyerId) !== actor!.id) throw new NotFound('errors.orderNotFound');
    if (order.status !== 'pending_payment')
      throw new Conflict('errors.addressTooLate', { status: order.status });
    let updated: Order | null;
    try {
      updated = await OrderModel.findOneAndUpdate(
        { orderNo: order.orderNo, status: 'pending_payment' },
        { $set: { address } },
        { returnDocument: 'after', runValidators: true },
      ).lean();
    } catch (error) {
      const fields = Object.keys((error as { errors?: object }).errors ?? { address: 1 });
      throw new Invalid(
        'errors.invalid',
        fields.map((field) => ({
          field: field.replace(/^address\./, ''),
          code: 'validation.invalid',
        })),
      );
    }
    if (!updated) throw new Conflict('errors.addressTooLate', { status: 'closed' });
    this.deps.events.orderChanged(updated);
    return this.sendFree(updated);
  }

  /**
   * An order that owes nothing (a lucky bag's prize, ¥0) is sent without payment as soon as it
   * knows where to go: pending → paid, decided once like any payment.
   */
  async sendFree(order: Order): Promise<Order> {
    if (order.totalFen !== 0 || !order.address || order.status !== 'pending_payment') return order;
    const result = await this.deps.states.transition(
      order.orderNo,
      'pending_payment',
      'paid',
      { kind: 'system', id: 'giveaway' },
      note('prizeNoPayment'),
    );
    if (!result.won) return order;
    this.deps.events.orderChanged(result.order);
    return result.order;
  }

  /**
   * Puts a coupon's discount on the buyer's unpaid order, or takes it off (`change` null).
   * `beforeChange` runs once the order is known to be payable and before its total changes (the
   * payment side withdraws a PaymentIntent made for the old total). The caller holds the order's
   * coupon lock, so two changes never interleave.
   */
  async setDiscount(
    actor: Actor | undefined,
    orderNo: string,
    change: { couponId: string; discountFen: number } | null,
    beforeChange: (order: Order) => Promise<void>,
  ): Promise<Order> {
    const order = await this.payableBy(actor, orderNo, 'errors.couponTooLate');
    const discountFen = change?.discountFen ?? 0;
    if (!Number.isSafeInteger(discountFen) || discountFen < 0 || discountFen >= order.itemsTotalFen)
      throw new Invalid('errors.invalid', [{ field: 'couponId', code: 'validation.coupon' }]);
    await beforeChange(order);
    const priced = {
      totalFen: order.itemsTotalFen + order.shippingFen - discountFen,
      priceVersion: (order.priceVersion ?? 0) + 1,
    };
    const updated = await OrderModel.findOneAndUpdate(
      { orderNo: order.orderNo, status: 'pending_payment' },
      change
        ? { $set: { ...priced, discountFen, couponId: change.couponId } }
        : { $set: priced, $unset: { discountFen: 1, couponId: 1 } },
      { returnDocument: 'after' },
    ).lean();
    if (!updated) throw new Conflict('errors.couponTooLate', { status: 'closed' });
    this.deps.events.orderChanged(updated);
    return updated;
  }

  /** The buyer's own order, still waiting for payment and within its pay-by time. */
  async payableBy(actor: Actor | undefined, orderNo: string, tooLate: string): Promise<Order> {
    const order = await orderVisibleTo(actor, orderNo);
    if (String(order.buyerId) !== actor!.id) throw new NotFound('errors.orderNotFound');
    if (order.status !== 'pending_payment' || order.payBy.getTime() <= Date.now())
      throw new Conflict(tooLate, { status: order.status });
    return order;
  }

  /** The buyer (or an admin) cancels an unpaid order. */
  async cancel(actor: Actor | undefined, orderNo: string): Promise<Order> {
    const order = await orderVisibleTo(actor, orderNo);
    assertBuyerOrAdmin(actor!, order);
    if (order.status !== 'pending_payment')
      throw new Conflict('errors.cannotCancel', { status: order.status });
    const who: TransitionActor = {
      kind: actor!.role === 'admin' ? 'admin' : 'buyer',
      id: actor!.id,
    };
    const result = await this.deps.states.transition(
      orderNo,
      'pending_payment',
      'cancelled',
      who,
      note('cancelledByBuyer'),
    );
    if (!result.won) throw new Conflict('errors.cannotCancel', { status: result.current });
    await this.deps.releaseStock(result.order);
    this.deps.events.orderChanged(result.order);
    return result.order;
  }

  /** Expires an unpaid order whose pay-by time has passed and gives its stock back. */
  async expire(orderNo: string, now: Date): Promise<'expired' | 'not_due' | OrderStatus> {
    const order = await OrderModel.findOne({ orderNo }).lean();
    if (!order) return 'not_due';
    if (order.status === 'expired') {
      // A retry after a failure between the status change and the release: finish the release
      // (it counts once however often it runs).
      await this.deps.releaseStock(order);
      return 'expired';
    }
    if (order.status !== 'pending_payment') return order.status;
    if (order.payBy > now) return 'not_due';
    const result = await this.deps.states.transition(
      orderNo,
      'pending_payment',
      'expired',
      { kind: 'system', id: 'order-expiry' },
      note('notPaidInTime'),
    );
    if (!result.won) return result.current;
    await this.deps.releaseStock(result.order);
    this.deps.events.orderChanged(result.order);
    return 'expired';
  }

  /** Orders past their pay-by time that were never expired (a lost job, a Redis wipe). */
  async sweepOverdue(now: Date): Promise<number> {
    const overdue = await OrderModel.find(
      { status: 'pending_payment', payBy: { $lt: now } },
      { orderNo: 1 },
    )
      .limit(500)
      .lean();
    let expired = 0;
    for (const { orderNo } of overdue)
      if ((await this.expire(orderNo, now)) === 'expired') expired++;
    return expired;
  }
}
