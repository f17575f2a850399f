// An order's units once it is written: given back when it closes (each reservation round once),
// and taken again when its payment arrives after it expired.
import { Types } from 'mongoose';
import { movementIds, recordMovement, recordMovements, theHubId } from '../stock/stock-ledger.ts';
import type { StockReservations } from '../stock/stock-reservations.ts';
import type { OrderEvents } from './order-events.ts';
import { OrderModel, type Order } from './order.model.ts';
import type { OrderStateMachine, TransitionActor } from './order-states.ts';
import { note } from './timeline.ts';

/** A late payment re-reserves on behalf of the payment domain, and its timeline says so. */
const PAYMENTS: TransitionActor = { kind: 'system', id: 'payments' };

/** Gives an order's units back: ledger first, then the live counter (once per order). */
export async function releaseOrderStock(
  order: Order,
  deps: { stock: StockReservations; onLiveUnitsReturned?: (order: Order) => Promise<void> },
): Promise<void> {
  const hubId = await theHubId();
  // Each reservation round (the order, then a late payment's re-reservation) is released once.
  const round = order.stockRound && order.stockRound > 1 ? `:r${order.stockRound}` : '';
  const lines = order.lines.map((l) => ({
    skuId: String(l.skuId),
    quantity: l.quantity,
    epoch: l.stockEpoch,
  }));
  const { failed } = await recordMovements(
    lines.map((line) => ({
      movementId: movementIds.release(order.orderNo, line.skuId, round),
      skuId: new Types.ObjectId(line.skuId),
      hubId,
      kind: 'released' as const,
      delta: line.quantity,
      reason: `order ${order.orderNo} ${order.status}`,
    })),
  );
  if (failed.size > 0) throw [...failed.values()][0]!;
  await deps.stock.release(`${order.orderNo}${round}`, lines);
  if (order.live?.offerId) await deps.onLiveUnitsReturned?.(order);
}

/**
 * Takes an expired order's units again for its late payment (expired → paid, a second
 * reservation round); false if they are gone, and then nothing is kept.
 */
export async function reReserveForLatePayment(
  order: Order,
  deps: { stock: StockReservations; states: OrderStateMachine; events: OrderEvents },
): Promise<boolean> {
  const lines = order.lines.map((l) => ({ skuId: String(l.skuId), quantity: l.quantity }));
  const again = await deps.stock.reserve(`late-payment:${order.orderNo}`, order.orderNo, lines);
  if (again.kind !== 'reserved') return false;
  const hubId = await theHubId();
  const movement = (line: { skuId: string; quantity: number }, kind: 'reserved' | 'released') =>
    recordMovement({
      movementId: (kind === 'reserved' ? movementIds.reReserve : movementIds.reRelease)(
        order.orderNo,
        line.skuId,
      ),
      skuId: new Types.ObjectId(line.skuId),
      hubId,
      kind,
      delta: kind === 'reserved' ? -line.quantity : line.quantity,
      reason: `order ${order.orderNo} paid late`,
    });
  for (const line of again.lines) await movement(line, 'reserved');
  const stale = await deps.stock.settle([{ orderNo: order.orderNo, lines: again.lines }]);
  const result =
    stale.size === 0
      ? await deps.states.transition(
          order.orderNo,
          'expired',
          'paid',
          PAYMENTS,
          note('paidLateKept'),
        )
      : undefined;
  if (!result?.won) {
    // A counter rebuild in between, or another actor won: give the units back, refund instead.
    for (const line of again.lines) await movement(line, 'released');
    await deps.stock.release(`late-payment:${order.orderNo}`, again.lines);
    return false;
  }
  const epochs = Object.fromEntries(
    again.lines.map((l) => [
      `lines.${order.lines.findIndex((x) => String(x.skuId) === l.skuId)}.stockEpoch`,
      l.epoch,
    ]),
  );
  await OrderModel.updateOne({ orderNo: order.orderNo }, { $set: { ...epochs, stockRound: 2 } });
  deps.events.orderChanged(result.order);
  return true;
}
