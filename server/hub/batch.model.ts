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
    /** The producer's name as received (kept even if the producer record changes later). */
    producer: { type: String, required: true, maxlength: 60 },
    producerId: { type: Schema.Types.ObjectId, ref: 'Producer' },
    villageId: { type: Schema.Types.ObjectId, ref: 'Village' },
    plot: { type: String, default: '', maxlength: 60 },
    /** e.g. dried, sorted, packed: what was done between the field and the hub. */
    processing: { type: [String], default: [] },
    harvestDate: { type: Date, required: true },
    expiresAt: { type: Date, required: true },
    quantity: { type: Number, required: true, min: 1, validate: Number.isSafeInteger },
    binCode: { type: String, required: true },
    /** The quality inspection: a failed result keeps the batch out of sellable stock. */
    qc: {
      result: { type: String, enum: QC_RESULTS, required: true },
      note: { type: String, default: '', maxlength: 200 },
      station: { type: String, default: '', maxlength: 60 },
      reportNo: { type: String, default: '', maxlength: 40 },
      inspectedAt: { type: Date },
      items: {
        type: [
          new Schema(
            {
              name: { type: String, required: true, maxlength: 30 },
              value: { type: String, required: true, maxlength: 40 },
              passed: { type: Boolean, required: true },
            },
            { _id: false },
          ),
        ],
        default: [],
      },
      /** The uploaded report: its document id (served at /documents/:id) and the file's facts. */
      reportDocumentId: { type: String, index: true },
      report: {
        path: { type: String },
        mime: { type: String },
        bytes: { type: Number },
        originalName: { type: String },
      },
    },
    /** The receiving form's one-time id: the same form sent twice makes one batch. */
    receiptId: { type: String, unique: true, sparse: true },
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
