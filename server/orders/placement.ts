// What a buyer asks for (a placement) and how a placement takes its units (a reservation step):
// the shapes placeOrder() works with, whichever channel the buy came from.
import { Invalid } from '../core/errors.ts';
import type { ReserveOutcome, ReservedLine, StockLine } from '../stock/stock-reservations.ts';
import type { Address } from './address.schema.ts';
import type { OrderChannel } from './order.model.ts';

/** What a buyer asks for, validated at the edge (the route or the socket dispatcher). */
export interface Placement {
  /** Made once per tap or checkout page; the same key is always the same order. */
  idempotencyKey: string;
  lines: StockLine[];
  /** Checkout names its address; a live buy leaves it to its reservation step. */
  address?: Address;
  preferredCourier?: string;
  /**
   * The phone sent this placement before and lost the answer (a reconnect). If its step refuses
   * it, MongoDB is asked whether the first copy was placed after all: Redis may have forgotten
   * the key in between (a wipe), and a placed order must never be answered "sold out".
   */
  resend?: boolean;
}

export type StepOutcome =
  /** A live step also says which epoch of its offer the units came from. */
  | { kind: 'reserved'; lines: ReservedLine[]; offerEpoch?: string }
  | Exclude<ReserveOutcome, { kind: 'reserved' }>
  | { kind: 'closed' }
  | { kind: 'limit'; left: number }
  | { kind: 'missing_offer' };

/**
 * How a placement takes its units. The step's script records its own compensation beside the
 * reservation (server/stock/abandon-placement.lua), so placeOrder has one undo path for all.
 */
export interface ReservationStep {
  channel: OrderChannel;
  reserve(placementKey: string, orderNo: string, lines: StockLine[]): Promise<StepOutcome>;
  /** The live price, where the step sells at one (0 for a lucky bag's prize). */
  unitPriceFen?: number;
  /** How long the order waits for payment (or, at ¥0, for its address), if not the usual. */
  payTimeoutMs?: number;
  live?: { sessionId: string; offerId: string };
  /**
   * Where a live buy is delivered: read once units are won. Undefined for a buyer who has no
   * address yet: the order is placed without one and the buyer gives it before paying.
   */
  deliverTo?(): Promise<Address | undefined>;
}

/** One line per SKU, at most 99 units of each. */
export function mergeLines(lines: { skuId: string; quantity: number }[]) {
  const merged = new Map<string, number>();
  for (const line of lines) merged.set(line.skuId, (merged.get(line.skuId) ?? 0) + line.quantity);
  for (const quantity of merged.values())
    if (quantity > 99)
      throw new Invalid('errors.invalid', [{ field: 'lines', code: 'validation.quantityMax' }]);
  return [...merged].map(([skuId, quantity]) => ({ skuId, quantity }));
}
