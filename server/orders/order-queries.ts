// Reading orders: one order for whoever may see it, a shop's recent orders, a buyer's own list;
// and who may cancel an order.
import type { Actor } from '../accounts/actor.ts';
import { Forbidden, NotFound, Unauthenticated } from '../core/errors.ts';
import { OrderModel, PAID_STATUSES, type Order, type OrderStatus } from './order.model.ts';

const PAID = new Set<OrderStatus>(PAID_STATUSES);

/** The order, for its buyer, its shop's streamer or an admin; anyone else finds none. */
export async function orderVisibleTo(actor: Actor | undefined, orderNo: string): Promise<Order> {
  if (!actor) throw new Unauthenticated();
  if (typeof orderNo !== 'string' || !/^CB[0-9]{14}$/.test(orderNo))
    throw new NotFound('errors.orderNotFound');
  const order = await OrderModel.findOne({ orderNo }).lean();
  if (!order) throw new NotFound('errors.orderNotFound');
  const mine =
    actor.role === 'admin' ||
    String(order.buyerId) === actor.id ||
    (actor.role === 'streamer' && actor.shopId === String(order.shopId));
  // Someone else's order looks exactly like a missing one.
  if (!mine) throw new NotFound('errors.orderNotFound');
  return order;
}

/** A shop's recent orders with the paid/unpaid split, for the streamer and their assistant. */
export async function recentShopOrders(actor: Actor | undefined) {
  if (!actor) throw new Unauthenticated();
  if (actor.role !== 'streamer' || !actor.shopId) throw new Forbidden();
  const orders = await OrderModel.find({ shopId: actor.shopId })
    .sort({ createdAt: -1 })
    .limit(200)
    .lean();
  const unpaid = orders.filter((o) => o.status === 'pending_payment');
  const paid = orders.filter((o) => PAID.has(o.status));
  return {
    orders,
    unpaid: { count: unpaid.length, fen: unpaid.reduce((s, o) => s + o.totalFen, 0) },
    paid: { count: paid.length, fen: paid.reduce((s, o) => s + o.totalFen, 0) },
  };
}

/** The buyer's own orders, newest first. */
export async function buyerOrders(actor: Actor | undefined): Promise<Order[]> {
  if (!actor) throw new Unauthenticated();
  return OrderModel.find({ buyerId: actor.id }).sort({ createdAt: -1 }).limit(100).lean();
}

/** Cancelling (and refunding) is the buyer's decision, or the county admin's; not the shop's. */
export function assertBuyerOrAdmin(actor: Actor, order: Pick<Order, 'buyerId'>): void {
  if (actor.role !== 'admin' && String(order.buyerId) !== actor.id)
    throw new Forbidden('errors.notYourOrder');
}
