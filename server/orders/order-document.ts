// The order document a placement becomes: its SKUs, products and shop from the catalogue, and the
// document itself, built by hand rather than through Mongoose so a rush does not pay for casting.
import { Types } from 'mongoose';
import type { Actor } from '../accounts/actor.ts';
import { Invalid, NotFound } from '../core/errors.ts';
import type { ReservedLine } from '../stock/stock-reservations.ts';
import type { Address } from './address.schema.ts';
import { OrderModel } from './order.model.ts';
import type { PendingWrite } from './order-writer.ts';
import type { Placement, ReservationStep } from './placement.ts';
import { approvedShop, productsByIds, skusByIds } from '../catalogue/catalogue-reads.ts';

export type PlacementCatalogue = Awaited<ReturnType<typeof loadCatalogue>>;

/** What the placement learnt on its way: its number, key, hub, units and address. */
export interface PlacedFacts {
  orderNo: string;
  idempotencyKey: string;
  hubId: Types.ObjectId;
  reserved: ReservedLine[];
  address: Address | undefined;
  offerEpoch: string | undefined;
}

/** The SKUs, products and shop of an order's lines; all of one approved shop, all on sale. */
export async function loadCatalogue(skuIds: string[]) {
  const skus = await skusByIds(skuIds, { onSale: true });
  if (skus.length !== skuIds.length) throw new NotFound('errors.skuNotFound');
  const products = await productsByIds(
    skus.map((s) => s.productId),
    { active: true },
  );
  const shopIds = new Set(skus.map((s) => String(s.shopId)));
  if (shopIds.size !== 1) throw new Invalid('errors.oneShopPerOrder');
  const shop = await approvedShop([...shopIds][0]!);
  if (!shop || products.length !== new Set(skus.map((s) => String(s.productId))).size) {
    throw new NotFound('errors.productUnavailable');
  }
  return { skus, products, shop };
}

/** The order document and its ledger movements, validated before it joins a write batch. */
export async function buildOrderDocument(
  actor: Actor,
  placement: Placement,
  step: ReservationStep,
  { skus, products, shop }: PlacementCatalogue,
  w: PlacedFacts,
  payTimeoutMs: number,
): Promise<PendingWrite> {
  const now = new Date();
  const payBy = new Date(now.getTime() + payTimeoutMs);
  const orderLines = w.reserved.map((line) => {
    const sku = skus.find((s) => String(s._id) === line.skuId)!;
    const product = products.find((p) => String(p._id) === String(sku.productId))!;
    const unitPriceFen = step.unitPriceFen ?? sku.priceFen;
    return {
      skuId: sku._id,
      skuCode: sku.code,
      productId: product._id,
      productSlug: product.slug,
      title: product.title,
      spec: sku.spec,
      photo: product.photos[0],
      unitPriceFen,
      quantity: line.quantity,
      lineTotalFen: unitPriceFen * line.quantity,
      weightGrams: sku.weightGrams,
      stockEpoch: line.epoch,
    };
  });
  const itemsTotalFen = orderLines.reduce((sum, l) => sum + l.lineTotalFen, 0);
  // The document as Mongoose would cast it (test/orders/order-document.test.ts holds the two
  // together), built by hand: casting and validating through a Mongoose document costs about
  // 0.3 ms of the event loop per order, which a rush of thousands pays in its tail latency.
  const order = {
    _id: new Types.ObjectId(),
    orderNo: w.orderNo,
    idempotencyKey: w.idempotencyKey,
    buyerId: new Types.ObjectId(actor.id),
    shopId: shop._id,
    channel: step.channel,
    ...(step.live
      ? {
          live: {
            sessionId: new Types.ObjectId(step.live.sessionId),
            offerId: step.live.offerId,
            epoch: w.offerEpoch ?? '',
          },
        }
      : {}),
    lines: orderLines,
    itemsTotalFen,
    shippingFen: 0,
    totalFen: itemsTotalFen,
    currency: 'CNY',
    ...(w.address
      ? {
          address: {
            ...w.address,
            township: w.address.township ?? '',
            village: w.address.village ?? '',
          },
        }
      : {}),
    ...(placement.preferredCourier ? { preferredCourier: placement.preferredCourier } : {}),
    status: 'pending_payment',
    payBy,
    stockRound: 1,
    timeline: [
      {
        at: now,
        from: null,
        to: 'pending_payment',
        actor: `buyer:${actor.id}`,
        reason: 'timeline.placed',
        params: { channel: step.channel },
      },
    ],
    createdAt: now,
    updatedAt: now,
  };
  // Everything in it was checked before (the edge's schemas, the catalogue, the address book,
  // which saves through Mongoose) except an address typed at checkout, which Mongoose checks
  // here against the stored schema's own limits.
  if (placement.address) {
    try {
      await OrderModel.validate(order, ['address']);
    } catch (error) {
      const fields = Object.keys((error as { errors?: object }).errors ?? { address: 1 });
      throw new Invalid(
        'errors.invalid',
        fields.map((field) => ({ field, code: 'validation.invalid' })),
      );
    }
  }
  return {
    orderNo: w.orderNo,
    idempotencyKey: w.idempotencyKey,
    payBy,
    hubId: w.hubId,
    order,
    reserved: w.reserved,
  };
}
