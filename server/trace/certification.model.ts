import { Schema, model, type InferSchemaType } from 'mongoose';
import { DOCUMENT_MIMES } from './uploads.ts';

export const CERTIFICATION_KINDS = [
  'geographical_indication',
  'green_food',
  'organic',
  'pollution_free',
  'other',
] as const;
export type CertificationKind = (typeof CERTIFICATION_KINDS)[number];
export const CERTIFICATION_STATUSES = ['pending', 'verified', 'rejected'] as const;

/** The uploaded certificate, stored by `storeDocument` (path is relative to DATA_DIR/uploads). */
const certificateFileSchema = new Schema(
  {
    path: { type: String, required: true },
    mime: { type: String, enum: DOCUMENT_MIMES, required: true },
    bytes: { type: Number, required: true, min: 1 },
    originalName: { type: String, required: true, maxlength: 200 },
  },
  { _id: false },
);

/**
 * A shop's claim to a certification (地理标志, 绿色食品, 有机…) for some of its products. It shows as a
 * badge only once the county admin has verified it, and only between validFrom and validTo.
 */
const certificationSchema = new Schema(
  {
    shopId: { type: Schema.Types.ObjectId, ref: 'Shop', required: true },
    kind: { type: String, enum: CERTIFICATION_KINDS, required: true },
    number: { type: String, required: true, trim: true, maxlength: 60 },
    issuer: { type: String, required: true, trim: true, maxlength: 80 },
    /** The scope: products of this shop the certificate covers. */
    productIds: { type: [Schema.Types.ObjectId], ref: 'Product', required: true },
    /** Start of the first valid day and end of the last one, China time. */
    validFrom: { type: Date, required: true },
    validTo: { type: Date, required: true },
    certificate: { type: certificateFileSchema, required: true },
    status: { type: String, enum: CERTIFICATION_STATUSES, required: true, default: 'pending' },
    review: {
      by: { type: Schema.Types.ObjectId, ref: 'User' },
      at: { type: Date },
      reason: { type: String, maxlength: 500 },
    },
    submittedBy: { type: Schema.Types.ObjectId, ref: 'User', required: true },
  },
  { timestamps: true },
);
// Badges on a product page (one query per page), the shop's list, the admin's queue, documents.
certificationSchema.index({ productIds: 1, status: 1 });
certificationSchema.index({ shopId: 1, createdAt: -1 });
certificationSchema.index({ status: 1, createdAt: 1 });
certificationSchema.index({ 'certificate.path': 1 }, { unique: true });

export type Certification = InferSchemaType<typeof certificationSchema>;
export const CertificationModel = model('Certification', certificationSchema);
