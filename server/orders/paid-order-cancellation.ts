// A paid order cancelled by its buyer (or an admin) before picking: the status changes once, the
// units go back and the order is refunded in full. The refund's records are the payment domain's.
import type { Actor } from '../accounts/actor.ts';
import { Conflict } from '../core/errors.ts';
import type { OrderEvents } from './order-events.ts';
import type { Order } from './order.model.ts';
import { assertBuyerOrAdmin, orderVisibleTo } from './order-queries.ts';
import type { OrderStateMachine, TransitionActor } from './order-states.ts';
import { note } from './timeline.ts';

/** The full refund that goes with a cancellation, kept by the payment domain. */
export interface CancellationRefund {
  /** An earlier cancellation's refund that has not gone through (a retry finishes it). */
  unfinished(orderNo: string): Promise<boolean>;
  /** Records the refund's intent before the status changes, so a failure can be finished later. */
  record(order: Order): Promise<void>;
  /** The cancellation lost its race: the intent is dropped. */
  withdraw(orderNo: string): Promise<void>;
  /** Refunds the order's total, once. */
  issue(order: Order): Promise<void>;
}

export interface PaidOrderCancellationDeps {
  states: OrderStateMachine;
  events: OrderEvents;
  /** Gives a closed order's units back (OrderService.releaseStock). */
  releaseStock(order: Order): Promise<void>;
  refund: CancellationRefund;
}

export class PaidOrderCancellation {
  private readonly deps: PaidOrderCancellationDeps;

  constructor(deps: PaidOrderCancellationDeps) {
    this.deps = deps;
  }

  /** The buyer (or admin) cancels a paid order before picking: full refund, stock released. */
  async cancel(actor: Actor | undefined, orderNo: string): Promise<Order> {
    const order = await orderVisibleTo(actor, orderNo);
    assertBuyerOrAdmin(actor!, order);
    const { refund } = this.deps;
    if (order.status === 'cancelled' && (await refund.unfinished(orderNo))) {
      // A retry after the refund failed: finish it.
      await this.deps.releaseStock(order);
      await refund.issue(order);
      return order;
    }
    if (order.status !== 'paid' && order.status !== 'routed')
      throw new Conflict('errors.cannotCancel', { status: order.status });
    const who: TransitionActor = {
      kind: actor!.role === 'admin' ? 'admin' : 'buyer',
      id: actor!.id,
    };
    await refund.record(order);
    const result = await this.deps.states.transition(
      orderNo,
      order.status,
      'cancelled',
      who,
      note('cancelledBeforePicking'),
    );
    if (!result.won) {
      await refund.withdraw(orderNo);
      throw new Conflict('errors.cannotCancel', { status: result.current });
    }
    await this.deps.releaseStock(result.order);
    await refund.issue(order);
    this.deps.events.orderChanged(result.order);
    return result.order;
  }
}
