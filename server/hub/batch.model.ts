import { Schema, model, type InferSchemaType } from 'mongoose';

export const QC_RESULTS = ['passed', 'failed'] as const;

/**
 * One producer's delivery of one SKU, received into a bin. Stock is allocated to parcels batch
 * by batch, first expiry first out; an allocation is a document of its own (BatchAllocation), so
 * a batch's remaining quantity is its quantity minus its allocations, never a stored counter.
 */
const batchSchema = new Schema(
  {
    batchNo: { type: String, required: true, unique: true },
    hubId: { type: Schema.Types.ObjectId, ref: 'Hub', required: true },
    skuId: { type: Schema.Types.ObjectId, ref: 'Sku', required: true, index: true },
    producer: { type: String, required: true, maxlength: 60 },
    villageId: { type: Schema.Types.ObjectId, ref: 'Village' },
    harvestDate: { type: Date, required: true },
    expiresAt: { type: Date, required: true },
    quantity: { type: Number, required: true, min: 1, validate: Number.isSafeInteger },
    binCode: { type: String, required: true },
    qc: {
      result: { type: String, enum: QC_RESULTS, required: true },
      note: { type: String, default: '', maxlength: 200 },
    },
    receivedBy: { type: String, required: true },
    receivedAt: { type: Date, required: true },
  },
  { timestamps: true },
);

export type Batch = InferSchemaType<typeof batchSchema>;
export const BatchModel = model('Batch', batchSchema);

/** Units of a batch promised to one parcel line. The id makes a retried allocation a no-op. */
const batchAllocationSchema = new Schema(
  {
    allocationId: { type: String, required: true, unique: true }, // <parcelNo>:<orderNo>:<skuId>:<batchNo>
    batchId: { type: Schema.Types.ObjectId, ref: 'Batch', required: true, index: true },
    batchNo: { type: String, required: true },
    parcelNo: { type: String, required: true, index: true },
    orderNo: { type: String, required: true },
    skuId: { type: Schema.Types.ObjectId, ref: 'Sku', required: true },
    quantity: { type: Number, required: true, min: 1, validate: Number.isSafeInteger },
  },
  { timestamps: true },
);

export const BatchAllocationModel = model('BatchAllocation', batchAllocationSchema);
