// Orders as other domains read them: the hub routes, picks and packs them, the live console sums
// a session's, payments charge and refund them. They call these, never the order model (`npm run
// lint` checks). Every state change still goes through the state table (order-states.ts); the
// few fields the hub writes on an order are in order-hub-marks.ts.
import type { Types } from 'mongoose';
import { inParallel } from '../core/in-parallel.ts';
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

// ---- the county's figures (server/county/) ----

const FIGURE_FIELDS = {
  orderNo: 1,
  buyerId: 1,
  shopId: 1,
  channel: 1,
  status: 1,
  totalFen: 1,
  lines: 1,
  'address.province': 1,
  timeline: 1,
  createdAt: 1,
} as const;

export type OrderForFigures = Pick<
  Order,
  'orderNo' | 'buyerId' | 'shopId' | 'channel' | 'status' | 'totalFen' | 'lines' | 'timeline'
> & { _id: Types.ObjectId; address?: { province: string } | null; createdAt: Date };

/** The orders by number, with what the county's figures count (absent ones left out). */
export async function ordersForFigures(orderNos: readonly string[]): Promise<OrderForFigures[]> {
  // One look-up each: FerretDB v1 serves equality on a unique key from an index, never `$in`.
  const found = await inParallel(orderNos, (orderNo) =>
    OrderModel.findOne({ orderNo }, FIGURE_FIELDS).lean<OrderForFigures>(),
  );
  return found.filter((o): o is OrderForFigures => o !== null);
}

/** Every order, read once from start to end, with what the county's figures count (a rebuild). */
export function allOrdersForFigures(): AsyncIterable<OrderForFigures> {
  return OrderModel.find({}, FIGURE_FIELDS).lean<OrderForFigures[]>().cursor({ batchSize: 1000 });
}

/** When an order was (last) paid; undefined if never. */
export function paidAt(order: Pick<Order, 'timeline'>): Date | undefined {
  return order.timeline.filter((t) => t.to === 'paid').at(-1)?.at;
}

/** When each order was (last) paid, by order number; unpaid orders are absent. */
export async function paidTimesOf(orderNos: readonly string[]): Promise<Map<string, Date>> {
  const found = await inParallel(orderNos, (orderNo) =>
    OrderModel.findOne({ orderNo }, { orderNo: 1, timeline: 1 }).lean(),
  );
  const paid = new Map<string, Date>();
  for (const o of found) {
    const at = o ? paidAt(o) : undefined;
    if (o && at) paid.set(o.orderNo, at);
  }
  return paid;
}

/** The order that has waited longest in a status (its last change is oldest), or null. */
export async function oldestOrderIn(
  status: OrderStatus,
): Promise<{ orderNo: string; updatedAt: Date } | null> {
  // Equality only (FerretDB v1 would read every order to sort): the open stages are small.
  const found = await OrderModel.find({ status }, { orderNo: 1, updatedAt: 1 }).lean<
    { orderNo: string; updatedAt: Date }[]
  >();
  let oldest: { orderNo: string; updatedAt: Date } | null = null;
  for (const o of found) if (!oldest || o.updatedAt < oldest.updatedAt) oldest = o;
  return oldest;
}
