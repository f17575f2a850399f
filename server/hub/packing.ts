// Packing: each item is scanned into its parcel's box, then the closed box is weighed. A packed
// parcel gets its trace codes and moves its orders on; the last one packed closes its wave.
import { z } from 'zod';
import type { Actor } from '../accounts/actor.ts';
import { Conflict } from '../core/errors.ts';
import { parseInput, wholeNumber } from '../core/validation.ts';
import { orderFieldsByNo } from '../orders/order-reads.ts';
import { note } from '../orders/timeline.ts';
import { issueTraceCodes } from '../trace/trace-codes.ts';
import { barcodeInput, HubFloor } from './hub-floor.ts';
import { invalidField } from './hub-staff.ts';
import { ParcelModel } from './parcel.model.ts';
import { finishWaveIfDone } from './pick-waves.ts';

/** Heavier than any courier takes, or lighter than the box itself: a typing slip. */
export const MAX_PARCEL_GRAMS = 70_000;
export const MIN_PARCEL_GRAMS = 20;

const weightInput = z.object({
  weight_grams: wholeNumber('validation.parcelWeight', {
    min: MIN_PARCEL_GRAMS,
    max: MAX_PARCEL_GRAMS,
  }),
});

export class ParcelPacking extends HubFloor {
  async parcel(actor: Actor | undefined, parcelNo: string) {
    const { parcel } = await this.parcelOf(actor, parcelNo);
    return parcel;
  }

  /** One item scanned into the box. Only what this parcel holds, and never more than was ordered. */
  async scanPack(actor: Actor | undefined, parcelNo: string, raw: unknown) {
    return this.deps.locks.withParcel(String(parcelNo), async () => {
      const { barcode } = parseInput(z.object({ barcode: barcodeInput }), raw);
      const { hub, parcel } = await this.parcelOf(actor, parcelNo);
      if (parcel.status !== 'picking')
        throw new Conflict('errors.parcelNotPacking', { status: parcel.status });
      await this.knownBarcode(barcode);
      const index = parcel.lines.findIndex(
        (l) => l.barcode === barcode && l.packed < l.quantity - l.short,
      );
      if (index < 0) {
        if (parcel.lines.some((l) => l.barcode === barcode))
          throw new Conflict('errors.alreadyPacked', { barcode });
        throw invalidField('barcode', 'errors.wrongItem', { barcode, parcelNo });
      }
      const line = parcel.lines[index]!;
      await ParcelModel.updateOne(
        { parcelNo },
        { $set: { [`lines.${index}.packed`]: line.packed + 1 } },
      );
      this.changed(hub._id);
      const after = parcel.lines.map((l, i) => (i === index ? { ...l, packed: l.packed + 1 } : l));
      return {
        title: line.title,
        packed: line.packed + 1,
        quantity: line.quantity - line.short,
        complete: after.every((l) => l.packed >= l.quantity - l.short),
      };
    });
  }

  /** Weighs the closed box. Every item must have been scanned; the weight must be believable. */
  async finishPacking(actor: Actor | undefined, parcelNo: string, raw: unknown) {
    return this.deps.locks.withParcel(String(parcelNo), async () => {
      const { hub, parcel } = await this.parcelOf(actor, parcelNo);
      if (parcel.status !== 'picking')
        throw new Conflict('errors.parcelNotPacking', { status: parcel.status });
      const { weight_grams: weightGrams } = parseInput(weightInput, raw);
      const missing = parcel.lines.filter((l) => l.packed < l.quantity - l.short);
      if (missing.length > 0)
        throw new Conflict('errors.notAllScanned', {
          missing: missing.map((l) => l.title).join('、'),
        });
      const contents = parcel.lines.reduce((s, l) => s + l.weightGrams * (l.quantity - l.short), 0);
      // A scale slip (an extra zero, grams typed as kilograms) is caught here, before the label.
      if (weightGrams < contents * 0.5 || weightGrams > contents * 3 + 2000)
        throw invalidField('weight_grams', 'errors.weightAbsurd', { expected: contents });
      // Trace codes: the parcel's goes on the label as a QR code, each line has its own.
      const { parcelCode, lineCodes } = await issueTraceCodes(parcelNo, parcel.lines.length);
      await ParcelModel.updateOne(
        { parcelNo },
        {
          $set: {
            status: 'packed',
            weightGrams,
            packedAt: new Date(),
            traceCode: parcelCode,
            ...Object.fromEntries(lineCodes.map((code, i) => [`lines.${i}.traceCode`, code])),
          },
        },
      );
      for (const orderNo of parcel.orderNos) {
        const order = await orderFieldsByNo(orderNo, ['status']);
        if (order?.status === 'picking' || order?.status === 'partially_refunded')
          await this.moveOrder(
            orderNo,
            order.status,
            'packed',
            actor!,
            note('packed', { parcel: parcelNo }),
          );
      }
      await finishWaveIfDone(parcel.waveNo);
      this.changed(hub._id);
      return { parcelNo, weightGrams };
    });
  }
}
