// The hub's part in an order's life, as a listener of order changes: a paid order is routed into a
// parcel, and one cancelled or refunded after routing is taken back out. Both are queued jobs
// (the job id is the order number, so repeats are harmless); a lost one is found by the sweep.
import type { Logger } from '../core/logger.ts';
import type { OrderListener } from '../orders/order-events.ts';
import type { HubRouting } from './routing-service.ts';

export function routeOrdersAsTheyChange(routing: HubRouting, logger: Logger): OrderListener {
  return (order) => {
    if (order.status === 'paid')
      routing.requestRouting(order.orderNo).catch((error: unknown) => {
        logger.warn({ err: error, orderNo: order.orderNo }, 'routing not queued; the sweep will');
      });
    if ((order.status === 'cancelled' || order.status === 'refunded') && order.parcelNo)
      routing.requestUnrouting(order.orderNo).catch((error: unknown) => {
        logger.error({ err: error, orderNo: order.orderNo }, 'could not take order out of parcel');
      });
  };
}
