// One parcel that has already made the whole journey, so the buyer's order page, the hub's lists
// and the public trace page can be tried at once: 陈晓 ordered two bags of Xigou Dahongpao pepper
// in October; it was packed from the cooperative's inspected batch and delivered in Beijing.
import { UserModel } from '../accounts/user.model.ts';
import { ProductModel } from '../catalogue/product.model.ts';
import { SkuModel } from '../catalogue/sku.model.ts';
import { BatchAllocationModel, BatchModel } from '../hub/batch.model.ts';
import { HubModel } from '../hub/hub.model.ts';
import { ParcelModel } from '../hub/parcel.model.ts';
import { recordMovement } from '../stock/stock-ledger.ts';
import { OrderModel } from '../orders/order.model.ts';
import { note, type TimelineNote } from '../orders/timeline.ts';
import { TraceCodeModel } from '../trace/trace-code.model.ts';
import { newTraceCode } from '../trace/trace-codes.ts';

export const DEMO_ORDER_NO = 'CB26101500000001';
const PARCEL_NO = 'P26101500000001';
const SKU_CODE = 'HJ-DHP-TJ-250';
const QUANTITY = 2;

/** Creates the delivered demo parcel once; returns its trace code (the label's QR). */
export async function seedDeliveredParcel(): Promise<{ code: string; created: boolean }> {
  const existing = await TraceCodeModel.findOne({
    parcelNo: PARCEL_NO,
    lineIndex: { $exists: false },
  }).lean();
  if (existing) return { code: existing.code, created: false };

  const buyer = (await UserModel.findOne({ phone: '13800000001' }).lean())!;
  const sku = (await SkuModel.findOne({ code: SKU_CODE }).lean())!;
  const product = (await ProductModel.findById(sku.productId).lean())!;
  const hub = (await HubModel.findOne().lean())!;
  const batch = (await BatchModel.findOne({ batchNo: `SEED-${SKU_CODE}` }).lean())!;
  const address = {
    recipient: '陈晓',
    phone: '13800000001',
    province: '北京市',
    city: '北京市',
    county: '朝阳区',
    township: '望京街道',
    village: '',
    detail: '望京西路 8 号院 3 号楼 1201',
  };
  const at = (iso: string) => new Date(`${iso}+08:00`);
  const totalFen = sku.priceFen * QUANTITY;

  await recordMovement({
    movementId: `reserve:${DEMO_ORDER_NO}:${String(sku._id)}`,
    skuId: sku._id,
    hubId: hub._id,
    kind: 'reserved',
    delta: -QUANTITY,
    reason: `order ${DEMO_ORDER_NO}`,
  });
  const chinaPost = { zh: '中国邮政快递包裹', en: 'China Post Parcel' };
  const waybill = 'CP700000000019';
  const steps: [string, string | null, string, TimelineNote][] = [
    ['2026-10-15T20:31:00', null, 'pending_payment', note('placed', { channel: 'storefront' })],
    ['2026-10-15T20:32:10', 'pending_payment', 'paid', note('paidWith', { method: 'alipay' })],
    [
      '2026-10-15T20:42:10',
      'paid',
      'routed',
      note('routed', { parcel: PARCEL_NO, courier: chinaPost, waybill }),
    ],
    ['2026-10-16T09:05:00', 'routed', 'picking', note('picking', { wave: 'W20261016-1730' })],
    ['2026-10-16T09:21:00', 'picking', 'packed', note('packed', { parcel: PARCEL_NO })],
    [
      '2026-10-16T17:40:00',
      'packed',
      'shipped',
      note('collected', { courier: chinaPost, waybill }),
    ],
    [
      '2026-10-19T11:02:00',
      'shipped',
      'delivered',
      note('delivered', { courier: chinaPost, waybill }),
    ],
  ];
  // Each step is skipped if an interrupted earlier run already made it.
  if (!(await OrderModel.exists({ orderNo: DEMO_ORDER_NO })))
    await OrderModel.create({
      orderNo: DEMO_ORDER_NO,
      idempotencyKey: `${String(buyer._id)}:demo-delivered-parcel`,
      buyerId: buyer._id,
      shopId: sku.shopId,
      channel: 'storefront',
      lines: [
        {
          skuId: sku._id,
          skuCode: sku.code,
          productId: product._id,
          productSlug: product.slug,
          title: product.title,
          spec: sku.spec,
          photo: product.photos[0],
          unitPriceFen: sku.priceFen,
          quantity: QUANTITY,
          lineTotalFen: totalFen,
          weightGrams: sku.weightGrams,
          stockEpoch: 'seed',
        },
      ],
      itemsTotalFen: totalFen,
      shippingFen: 0,
      totalFen,
      address,
      status: 'delivered',
      payBy: at('2026-10-15T20:46:00'),
      parcelNo: PARCEL_NO,
      timeline: steps.map(([when, from, to, reason]) => ({
        at: at(when),
        from,
        to,
        actor: 'system:demo',
        reason: reason.code,
        params: reason.params,
      })),
    });

  const parcelCode = newTraceCode();
  const lineCode = newTraceCode();
  await BatchAllocationModel.deleteMany({ parcelNo: PARCEL_NO });
  await ParcelModel.deleteMany({ parcelNo: PARCEL_NO });
  await BatchAllocationModel.create({
    allocationId: `${PARCEL_NO}:${DEMO_ORDER_NO}:${String(sku._id)}:${batch.batchNo}`,
    batchId: batch._id,
    batchNo: batch.batchNo,
    parcelNo: PARCEL_NO,
    orderNo: DEMO_ORDER_NO,
    skuId: sku._id,
    quantity: QUANTITY,
  });
  await ParcelModel.create({
    parcelNo: PARCEL_NO,
    hubId: hub._id,
    buyerId: buyer._id,
    addressKey: 'demo',
    address,
    orderNos: [DEMO_ORDER_NO],
    lines: [
      {
        orderNo: DEMO_ORDER_NO,
        shopId: sku.shopId,
        skuId: sku._id,
        skuCode: sku.code,
        barcode: sku.barcode,
        title: product.title.zh,
        spec: sku.spec.zh,
        quantity: QUANTITY,
        weightGrams: sku.weightGrams,
        allocations: [
          { batchNo: batch.batchNo, binCode: batch.binCode, walkOrder: 1, quantity: QUANTITY },
        ],
        picked: QUANTITY,
        packed: QUANTITY,
        traceCode: lineCode,
      },
    ],
    status: 'delivered',
    openUntil: at('2026-10-15T20:42:10'),
    courierCode: 'chinapost',
    waybillNo: 'CP700000000019',
    shipDate: '2026-10-16',
    waveNo: 'W20261016-1730',
    estimatedWeightGrams: 750,
    weightGrams: 760,
    labelPrints: 1,
    packedAt: at('2026-10-16T09:21:00'),
    traceCode: parcelCode,
    manifestNo: 'M20261016-CHINAPOST',
    handedOverAt: at('2026-10-16T17:30:00'),
    handedOverBy: '邮政 王师傅',
    firstScanAt: at('2026-10-16T17:40:00'),
    tracking: [
      ['collected', '2026-10-16T17:40:00', '山西长治平顺'],
      ['in_transit', '2026-10-17T06:12:00', '山西太原转运中心'],
      ['at_station', '2026-10-19T08:30:00', '北京朝阳望京营业部'],
      ['delivered', '2026-10-19T11:02:00', '北京朝阳望京营业部'],
    ].map(([kind, when, location]) => ({
      eventId: `demo-${kind}`,
      kind,
      at: at(when!),
      location,
      note: '',
    })),
  });
  await TraceCodeModel.create([
    { code: parcelCode, parcelNo: PARCEL_NO },
    { code: lineCode, parcelNo: PARCEL_NO, lineIndex: 0 },
  ]);
  return { code: parcelCode, created: true };
}
