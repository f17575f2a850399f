// A lucky bag's prize (福袋): one unit of a SKU on a ¥0 order, placed through placeOrder like any
// order (its stock reserved in Redis and recorded in the ledger, never oversold), then sent to
// the hub without payment once it has an address. A winner without one gives it on the order
// page within a day; the order is sent then (UnpaidOrders.setAddress).
import type { Actor } from '../accounts/actor.ts';
import type { Address } from './address.schema.ts';
import type { OrderService } from './order-service.ts';
import type { ReservationStep } from './placement.ts';

/** A winner has a day to give an address before the prize goes back on sale. */
const ADDRESS_WAIT_MS = 24 * 3600_000;

export class PrizeOrders {
  private readonly orders: OrderService;
  private readonly defaultAddress: (buyerId: string) => Promise<Address | undefined>;

  constructor(
    orders: OrderService,
    defaultAddress: (buyerId: string) => Promise<Address | undefined>,
  ) {
    this.orders = orders;
    this.defaultAddress = defaultAddress;
  }

  /** The same `key` for the same winner is always the same order (a draw run twice). */
  async placePrizeOrder(winner: Actor, key: string, skuId: string) {
    const step: ReservationStep = {
      channel: 'giveaway',
      unitPriceFen: 0,
      payTimeoutMs: ADDRESS_WAIT_MS,
      reserve: (placementKey, orderNo, lines) =>
        this.orders.checkout.reserve(placementKey, orderNo, lines),
      deliverTo: () => this.defaultAddress(winner.id),
    };
    const order = await this.orders.placeOrder(
      winner,
      { idempotencyKey: key, lines: [{ skuId, quantity: 1 }] },
      step,
    );
    return this.orders.unpaid.sendFree(order);
  }
}
