// Orders as other domains read them: the hub routes, picks and packs them, the live console sums
// a session's, payments charge and refund them. They call these, never the order model (`npm run
// lint` checks). Every state change still goes through the state table (order-states.ts); the
// few fields the hub writes on an order are in order-hub-marks.ts.
import type { Types } from 'mongoose';
import { OrderModel, type Order } from './order.model.ts';
import type { OrderStatus } from './order-status.ts';

export type { Order, OrderLine } from './order.model.ts';
export type { OrderStatus } from './order-status.ts';
export { PAID_STATUSES, STOCK_HOLDING_STATUSES } from './order.model.ts';

/** The fields of an order a caller asks for; `_id` comes with every read. */
type Fields = readonly (keyof Order)[];
type Picked<F extends Fields> = Pick<Order, F[number]> & { _id: Types.ObjectId };

function projection(fields: Fields): Record<string, 1> {
  return Object.fromEntries(fields.map((f) => [f, 1]));
}

/** The whole order by its number, or null. */
export function orderByNo(orderNo: string) {
  return OrderModel.findOne({ orderNo: String(orderNo) }).lean();
}

/** Some fields of an order by its number (the hub's hot path reads only what it needs). */
export async function orderFieldsByNo<F extends Fields>(
  orderNo: string,
  fields: F,
): Promise<Picked<F> | null> {
  return OrderModel.findOne({ orderNo: String(orderNo) }, projection(fields)).lean<Picked<F>>();
}

/** Whole orders by their numbers, in no particular order. */
export function ordersByNos(orderNos: readonly string[]) {
  return OrderModel.find({ orderNo: { $in: [...orderNos] } }).lean();
}

/** Paid orders untouched since `before`: the hub's sweep routes any the queue dropped. */
export function paidOrdersUntouchedSince(before: Date) {
  return OrderModel.find(
    { status: 'paid', updatedAt: { $lt: before } },
    { orderNo: 1, parcelNo: 1 },
  ).lean<{ _id: Types.ObjectId; orderNo: string; parcelNo?: string | null }[]>();
}

/** A live session's orders, optionally of one offer and in some states, with the fields asked. */
export function liveSessionOrders<F extends Fields>(
  sessionId: Types.ObjectId,
  fields: F,
  filter: { offerId?: string; statuses?: readonly OrderStatus[] } = {},
): Promise<Picked<F>[]> {
  return OrderModel.find(
    {
      'live.sessionId': sessionId,
      ...(filter.offerId !== undefined ? { 'live.offerId': filter.offerId } : {}),
      ...(filter.statuses ? { status: { $in: [...filter.statuses] } } : {}),
    },
    projection(fields),
  ).lean<Picked<F>[]>();
}
