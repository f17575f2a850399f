import type { Order } from './order.model.ts';

/** What an order looks like to its buyer's pages and sockets (no internal fields). */
export function publicOrderView(order: Order) {
  return {
    orderNo: order.orderNo,
    status: order.status,
    channel: order.channel,
    totalFen: order.totalFen,
    itemsTotalFen: order.itemsTotalFen,
    shippingFen: order.shippingFen,
    /** A coupon's discount, 0 without one: totalFen = itemsTotalFen + shippingFen − discountFen. */
    discountFen: order.discountFen ?? 0,
    couponId: order.couponId ?? null,
    payBy: order.payBy,
    lines: order.lines.map((l) => ({
      skuCode: l.skuCode,
      productSlug: l.productSlug,
      title: l.title,
      spec: l.spec,
      photo: l.photo,
      unitPriceFen: l.unitPriceFen,
      quantity: l.quantity,
      lineTotalFen: l.lineTotalFen,
    })),
    address: order.address,
    /** Something the hub needs from the buyer (an address it cannot deliver to). */
    hubNotice: order.hubNotice ?? null,
    /** `reason` is an i18n code (timeline.*) rendered with `params` in the reader's language. */
    timeline: order.timeline.map((t) => ({
      at: t.at,
      from: t.from,
      to: t.to,
      reason: t.reason,
      params: (t as { params?: Record<string, unknown> }).params ?? null,
    })),
  };
}

export type PublicOrderView = ReturnType<typeof publicOrderView>;
