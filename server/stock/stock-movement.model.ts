import { Schema, model, type InferSchemaType } from 'mongoose';

export const MOVEMENT_KINDS = ['received', 'reserved', 'released', 'shipped', 'adjusted'] as const;
export type MovementKind = (typeof MOVEMENT_KINDS)[number];

/**
 * The stock ledger (DESIGN invariant 6): append-only; a balance is the sum of `delta`.
 * `movementId` is the business key, so replaying a movement never counts it twice.
 */
const stockMovementSchema = new Schema(
  {
    movementId: { type: String, required: true, unique: true },
    skuId: { type: Schema.Types.ObjectId, ref: 'Sku', required: true, index: true },
    hubId: { type: Schema.Types.ObjectId, ref: 'Hub', required: true },
    kind: { type: String, enum: MOVEMENT_KINDS, required: true },
    /** Signed change to sellable stock: received +, reserved −, released +, adjusted ±. */
    delta: { type: Number, required: true, validate: Number.isSafeInteger },
    binCode: { type: String },
    /**
     * The orders a group-committed reservation covers (one movement per write batch and SKU,
     * `delta` the sum of theirs); each order's own give-backs are movements of their own.
     */
    orderNos: { type: [String], default: undefined, index: true },
    reason: { type: String, maxlength: 200 },
    at: { type: Date, required: true, default: () => new Date() },
  },
  { versionKey: false },
);

export type StockMovement = InferSchemaType<typeof stockMovementSchema>;
export const StockMovementModel = model('StockMovement', stockMovementSchema);
