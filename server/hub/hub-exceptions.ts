// Exceptions on the hub floor: a short pick is refunded, a damaged unit written off and picked
// again, an unreachable address holds the parcel until its buyer corrects it.
import { z } from 'zod';
import type { Actor } from '../accounts/actor.ts';
import { Conflict, NotFound, Unauthenticated } from '../core/errors.ts';
import { parseInput, plainText, wholeNumber } from '../core/validation.ts';
import { addressInput } from '../orders/order-input.ts';
import { noteHubNotice, readdressForHub } from '../orders/order-hub-marks.ts';
import { orderByNo } from '../orders/order-reads.ts';
import { recordMovement } from '../stock/stock-ledger.ts';
import { barcodeInput, HubFloor } from './hub-floor.ts';
import { invalidField } from './hub-staff.ts';
import { ParcelModel, type Parcel } from './parcel.model.ts';

const exceptionInput = z.discriminatedUnion(
  'code',
  [
    z.object({
      code: z.literal('short_pick'),
      barcode: barcodeInput,
      quantity: wholeNumber('validation.quantity', { min: 1, max: 99 }),
      note: plainText('validation.note', { max: 200, multiline: true }).optional().default(''),
    }),
    z.object({
      code: z.literal('damaged'),
      barcode: barcodeInput,
      quantity: wholeNumber('validation.quantity', { min: 1, max: 99 }),
      note: plainText('validation.note', { max: 200, multiline: true }).optional().default(''),
    }),
    z.object({
      code: z.literal('address_unreachable'),
      note: plainText('validation.note', { min: 2, max: 200, multiline: true }),
    }),
  ],
  { error: 'validation.exceptionCode' },
);

export class HubExceptions extends HubFloor {
  /**
   * Short pick: the units are refunded through payments and the buyer sees it at once.
   * Damaged: the unit is set aside and must be picked again. Address unreachable: the parcel is
   * held until the buyer fixes the address.
   */
  async reportException(actor: Actor | undefined, parcelNo: string, raw: unknown) {
    return this.deps.locks.withParcel(String(parcelNo), async () => {
      const { hub, parcel } = await this.parcelOf(actor, parcelNo);
      const input = parseInput(exceptionInput, raw);
      const at = new Date();
      const entry = { code: input.code, note: input.note, by: actor!.id, at };
      if (input.code === 'address_unreachable') {
        if (['handed_over', 'in_transit', 'at_station', 'delivered'].includes(parcel.status))
          throw new Conflict('errors.parcelGone', { status: parcel.status });
        await ParcelModel.updateOne(
          { parcelNo },
          { $set: { status: 'held', heldFrom: parcel.status }, $push: { exceptions: entry } },
        );
        for (const orderNo of parcel.orderNos)
          await this.noteOnOrder(orderNo, 'address_unreachable');
        this.changed(hub._id, [parcelNo]);
        return { status: 'held' };
      }
      if (parcel.status !== 'picking')
        throw new Conflict('errors.parcelNotPacking', { status: parcel.status });
      const index = parcel.lines.findIndex((l) => l.barcode === input.barcode);
      if (index < 0)
        throw invalidField('barcode', 'errors.wrongItem', { barcode: input.barcode, parcelNo });
      const line = parcel.lines[index]!;
      if (input.code === 'damaged') {
        const back = Math.min(input.quantity, line.picked);
        if (back === 0) throw invalidField('quantity', 'errors.nothingPicked');
        await ParcelModel.updateOne(
          { parcelNo },
          { $set: { [`lines.${index}.picked`]: line.picked - back }, $push: { exceptions: entry } },
        );
        // The broken units leave the stock for good; a replacement is picked from the shelf.
        await recordMovement({
          movementId: `damaged:${parcelNo}:${parcel.exceptions.length}`,
          skuId: line.skuId,
          hubId: hub._id,
          kind: 'adjusted',
          delta: -back,
          reason: `damaged while packing ${parcelNo}`,
        });
        await this.deps.stock.resync(String(line.skuId));
        this.changed(hub._id, [parcelNo]);
        return { status: 'repick', quantity: back };
      }
      // Short pick: only units not yet in the box can be missing.
      const open = line.quantity - line.short - line.packed;
      if (input.quantity > open)
        throw invalidField('quantity', 'errors.shortTooMany', { left: open });
      await this.deps.payments.refundShortPick(
        actor,
        line.orderNo,
        [{ skuCode: line.skuCode, quantity: input.quantity }],
        `${parcelNo}:${index}:${line.short + input.quantity}`,
      );
      await ParcelModel.updateOne(
        { parcelNo },
        {
          $inc: { [`lines.${index}.short`]: input.quantity },
          $set: {
            [`lines.${index}.picked`]: Math.min(
              line.picked,
              line.quantity - line.short - input.quantity,
            ),
          },
          $push: { exceptions: entry },
        },
      );
      this.changed(hub._id, [parcelNo]);
      return { status: 'refunded', quantity: input.quantity };
    });
  }

  // ---------- the buyer's side of a held parcel ----------

  /**
   * The buyer corrects the address the hub could not deliver to. Every order in the parcel takes
   * the new address, the parcel resumes where it was stopped, and a label already printed for the
   * old address is voided (the hub prints the new one).
   */
  async fixHeldAddress(actor: Actor | undefined, orderNo: string, raw: unknown) {
    if (!actor) throw new Unauthenticated();
    const order = await orderByNo(orderNo);
    if (!order || String(order.buyerId) !== actor.id) throw new NotFound('errors.orderNotFound');
    if (order.hubNotice !== 'address_unreachable' || !order.parcelNo)
      throw new Conflict('errors.nothingToFix');
    const address = parseInput(addressInput, raw);
    return this.deps.locks.withParcel(order.parcelNo, async () => {
      const parcel = (await ParcelModel.findOne({ parcelNo: order.parcelNo }).lean())!;
      if (parcel.status !== 'held') throw new Conflict('errors.nothingToFix');
      const resume = (parcel.heldFrom ?? 'routed') as Parcel['status'];
      let waybillNo = parcel.waybillNo;
      if (resume === 'packed' && parcel.waybillNo && parcel.courierCode) {
        const adapter = this.deps.adapterFor(parcel.courierCode);
        await adapter.voidWaybill(parcel.courierCode, parcel.waybillNo);
        waybillNo = await adapter.issueWaybill({
          parcelNo: parcel.parcelNo,
          courierCode: parcel.courierCode,
          weightGrams: parcel.weightGrams ?? parcel.estimatedWeightGrams ?? 1000,
          address,
        });
      }
      const now = new Date();
      await ParcelModel.updateOne(
        { parcelNo: parcel.parcelNo },
        {
          $set: {
            address,
            status: resume,
            waybillNo,
            ...(waybillNo !== parcel.waybillNo
              ? { labelPrints: 0, voidedWaybills: [...parcel.voidedWaybills, parcel.waybillNo] }
              : {}),
            exceptions: parcel.exceptions.map((e) =>
              e.code === 'address_unreachable' && !e.resolvedAt ? { ...e, resolvedAt: now } : e,
            ),
          },
          $unset: { heldFrom: 1 },
        },
      );
      for (const no of parcel.orderNos) {
        const changed = await readdressForHub(no, address);
        if (changed) this.deps.events.orderChanged(changed);
      }
      this.changed(parcel.hubId);
      return { parcelNo: parcel.parcelNo, status: resume };
    });
  }

  private async noteOnOrder(orderNo: string, code: string) {
    const order = await noteHubNotice(orderNo, code);
    if (order) this.deps.events.orderChanged(order);
  }
}
