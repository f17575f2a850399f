import type { Types } from 'mongoose';
import { StockMovementModel, type MovementKind } from './stock-movement.model.ts';

export interface MovementInput {
  movementId: string;
  skuId: Types.ObjectId;
  hubId: Types.ObjectId;
  kind: MovementKind;
  delta: number;
  binCode?: string;
  reason?: string;
}

/** Appends a movement once; a replay with the same movementId is a no-op. Returns true if new. */
export async function recordMovement(movement: MovementInput): Promise<boolean> {
  try {
    await StockMovementModel.create(movement);
    return true;
  } catch (error) {
    if ((error as { code?: number }).code === 11000) return false;
    throw error;
  }
}

/** Sellable stock per SKU: the sum of the ledger, never a stored number. */
export async function sellableStockBySku(skuIds: Types.ObjectId[]): Promise<Map<string, number>> {
  const rows = await StockMovementModel.aggregate<{ _id: Types.ObjectId; balance: number }>([
    { $match: { skuId: { $in: skuIds } } },
    { $group: { _id: '$skuId', balance: { $sum: '$delta' } } },
  ]);
  const balances = new Map(skuIds.map((id) => [String(id), 0]));
  for (const row of rows) balances.set(String(row._id), row.balance);
  return balances;
}
