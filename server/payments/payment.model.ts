import { Schema, model, type InferSchemaType } from 'mongoose';

export const PAYMENT_STATUSES = [
  'requires_payment',
  'succeeded',
  'refunded',
  'partially_refunded',
  'amount_mismatch',
] as const;

const integerFen = { type: Number, required: true, min: 0, validate: Number.isSafeInteger };

/** One payment per order: the Stripe PaymentIntent, what was received and what was refunded. */
const paymentSchema = new Schema(
  {
    orderNo: { type: String, required: true, unique: true },
    buyerId: { type: Schema.Types.ObjectId, ref: 'User', required: true, index: true },
    paymentIntentId: { type: String, required: true, index: true },
    amountFen: integerFen,
    currency: { type: String, required: true, enum: ['cny'] },
    status: { type: String, enum: PAYMENT_STATUSES, required: true, index: true },
    receivedFen: { ...integerFen, default: 0 },
    refundedFen: { ...integerFen, default: 0 },
    paymentMethod: { type: String },
    checkedAt: { type: Date },
    /** Set when Stripe reported something that does not match the order: for the admin to look at. */
    problem: { type: String, maxlength: 300 },
  },
  { timestamps: true },
);

/** Each refund once: the key is the business reason (cancel, short pick of a line …). */
const refundSchema = new Schema(
  {
    refundKey: { type: String, required: true, unique: true },
    orderNo: { type: String, required: true, index: true },
    amountFen: integerFen,
    reason: { type: String, required: true, maxlength: 200 },
    stripeRefundId: { type: String },
    /** For short-pick refunds: which units were refunded. */
    lines: {
      type: [
        new Schema(
          { skuCode: { type: String, required: true }, quantity: { type: Number, required: true } },
          { _id: false },
        ),
      ],
      default: undefined,
    },
    status: { type: String, enum: ['pending', 'succeeded', 'failed'], required: true },
  },
  { timestamps: true },
);

/** Every Stripe event id we accepted: a redelivery of the same event is applied once. */
const stripeEventSchema = new Schema(
  {
    eventId: { type: String, required: true, unique: true },
    type: { type: String, required: true },
    payload: { type: String, required: true },
    created: { type: Date, required: true },
    processedAt: { type: Date },
    outcome: { type: String, maxlength: 200 },
  },
  { timestamps: true },
);

export type Payment = InferSchemaType<typeof paymentSchema>;
export type Refund = InferSchemaType<typeof refundSchema>;
export const PaymentModel = model('Payment', paymentSchema);
export const RefundModel = model('Refund', refundSchema);
export const StripeEventModel = model('StripeEvent', stripeEventSchema);
