// Shipping labels: a packed parcel's label is printed (every reprint counted), and a spoiled or
// lost one is voided with the courier and replaced by a new waybill.
import type { Actor } from '../accounts/actor.ts';
import { Conflict } from '../core/errors.ts';
import { pickLocalized } from '../core/localized-text.ts';
import { CourierModel } from './courier.model.ts';
import { HubFloor } from './hub-floor.ts';
import { renderShippingLabel } from './labels/shipping-label.ts';
import { ParcelModel } from './parcel.model.ts';
import { shopsByIds } from '../catalogue/catalogue-reads.ts';

/** Statuses in which a parcel's label may be printed or reprinted. */
const LABELLED: readonly string[] = ['packed', 'handed_over', 'in_transit', 'at_station'];

export class LabelPrinting extends HubFloor {
  /** The 100×150 mm label. The first print and every reprint are counted (补打 #n). */
  async label(actor: Actor | undefined, parcelNo: string): Promise<Buffer> {
    const { hub, parcel } = await this.parcelOf(actor, parcelNo);
    // Printed once packed (and reprinted while travelling); never for a held or cancelled one.
    if (parcel.status === 'open' || parcel.status === 'routed' || parcel.status === 'picking')
      throw new Conflict('errors.notAllScanned', { missing: '' });
    if (!LABELLED.includes(parcel.status) || !parcel.traceCode)
      throw new Conflict('errors.cannotPrint', { status: parcel.status });
    if (!parcel.waybillNo) throw new Conflict('errors.noWaybill');
    await ParcelModel.updateOne({ parcelNo }, { $inc: { labelPrints: 1 } });
    const courier = await CourierModel.findOne({ code: parcel.courierCode }).lean();
    const a = parcel.address;
    const shops = await shopsByIds([...new Set(parcel.lines.map((l) => String(l.shopId)))]);
    return renderShippingLabel({
      waybillNo: parcel.waybillNo,
      courier: {
        code: parcel.courierCode!,
        name: courier ? pickLocalized(courier.name, 'zh-CN') : parcel.courierCode!,
      },
      sortingLine: `${a.province.replace(/省|市$/, '')}-${a.city} | ${a.county}`,
      sender: {
        name: `${pickLocalized(hub.name, 'zh-CN')}（${shops.map((s) => pickLocalized(s.name, 'zh-CN')).join('、')}）`,
        phone: hub.phone,
        address: hub.address,
      },
      recipient: {
        name: a.recipient,
        phone: a.phone,
        address: `${a.province}${a.city}${a.county}${a.township ?? ''}${a.village ?? ''}${a.detail}`,
      },
      parcelNo,
      weightGrams: parcel.weightGrams ?? parcel.estimatedWeightGrams ?? 0,
      itemCount: parcel.lines.reduce((s, l) => s + l.quantity - l.short, 0),
      contents: parcel.lines.map((l) => `${l.title} ${l.spec}×${l.quantity - l.short}`).join(', '),
      traceUrl: `${this.deps.publicUrl}/t/${parcel.traceCode}`,
      printedAt: new Date(),
      copy: parcel.labelPrints + 1,
    });
  }

  /** A spoiled or lost label: the courier is told its waybill is void, and a new one is issued. */
  async voidLabel(actor: Actor | undefined, parcelNo: string) {
    return this.deps.locks.withParcel(String(parcelNo), async () => {
      const { hub, parcel } = await this.parcelOf(actor, parcelNo);
      if (parcel.status !== 'packed')
        throw new Conflict('errors.cannotVoid', { status: parcel.status });
      const adapter = this.deps.adapterFor(parcel.courierCode!);
      await adapter.voidWaybill(parcel.courierCode!, parcel.waybillNo!);
      const waybillNo = await adapter.issueWaybill({
        parcelNo,
        courierCode: parcel.courierCode!,
        weightGrams: parcel.weightGrams!,
        address: parcel.address,
      });
      await ParcelModel.updateOne(
        { parcelNo },
        { $set: { waybillNo, labelPrints: 0 }, $push: { voidedWaybills: parcel.waybillNo } },
      );
      this.changed(hub._id);
      return { waybillNo, voided: parcel.waybillNo };
    });
  }
}
