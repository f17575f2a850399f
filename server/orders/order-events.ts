// How the order domain says that an order changed. Other parts subscribe: the buyer's open pages
// and the shop's console (wired by the app), the hub's routing (hub/order-routing-listener.ts).
import type { Logger } from '../core/logger.ts';
import type { Order } from './order.model.ts';

export type { Order };

export interface OrderEvents {
  /** Tell every listener that the order changed (its status, its timeline, its parcel). */
  orderChanged(order: Order): void;
}

/** A listener of order changes; it must not wait or throw (queue work, do not do it here). */
export type OrderListener = (order: Order) => void;

/** Tells each listener in turn; one that throws is logged and does not stop the others. */
export class OrderEventBus implements OrderEvents {
  private readonly listeners: OrderListener[] = [];
  private readonly logger: Logger;

  constructor(logger: Logger) {
    this.logger = logger;
  }

  subscribe(listener: OrderListener): void {
    this.listeners.push(listener);
  }

  orderChanged(order: Order): void {
    for (const listener of this.listeners) {
      try {
        listener(order);
      } catch (error) {
        this.logger.error({ err: error, orderNo: order.orderNo }, 'order listener failed');
      }
    }
  }
}
