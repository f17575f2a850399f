// How the order domain says that an order changed; the app wires it to the buyer's open pages
// and the shop's console.
import type { Order } from './order.model.ts';

export interface OrderEvents {
  /** Tell the buyer's open pages (and the shop's console) that the order changed. */
  orderChanged(order: Order): void;
}
