// An order's statuses, readable by other domains without the order model (see order-states.ts
// for which may follow which).
export const ORDER_STATUSES = [
  'pending_payment',
  'paid',
  'routed',
  'picking',
  'packed',
  'shipped',
  'delivered',
  'expired',
  'cancelled',
  'refunded',
  'partially_refunded',
] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];
