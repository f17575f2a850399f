// Pick waves: the routed parcels whose couriers collect at one cut-off are picked together. A wave
// is started, walked along its pick list bin by bin, and each item scanned at the shelf counts
// towards the first parcel still missing it.
import { chinaDay } from '../core/china-time.ts';
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { Actor } from '../accounts/actor.ts';
import { Conflict, NotFound } from '../core/errors.ts';
import { parseInput } from '../core/validation.ts';
import { note } from '../orders/timeline.ts';
import { CourierModel } from './courier.model.ts';
import { barcodeInput, HubFloor, type ParcelDoc } from './hub-floor.ts';
import { invalidField } from './hub-staff.ts';
import { ParcelModel } from './parcel.model.ts';
import { WaveModel } from './wave.model.ts';

export class PickWaves extends HubFloor {
  /** Starts a wave with every routed parcel whose courier collects at this cut-off. */
  async startWave(actor: Actor | undefined, raw: unknown) {
    const hub = await this.hubOf(actor);
    const { cutoff } = parseInput(
      z.object({
        cutoff: z
          .string({ error: 'validation.cutoff' })
          .regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'validation.cutoff'),
      }),
      raw,
    );
    const couriers = await CourierModel.find({ pickupCutoff: cutoff }, { code: 1 }).lean();
    const parcels = await ParcelModel.find(
      { hubId: hub._id, status: 'routed', courierCode: { $in: couriers.map((c) => c.code) } },
      { parcelNo: 1, orderNos: 1, courierCode: 1 },
    ).lean();
    if (parcels.length === 0) throw new Conflict('errors.nothingToPick', { cutoff });
    const waveNo = `W${chinaDay(new Date()).replaceAll('-', '')}-${cutoff.replace(':', '')}-${randomBytes(2).toString('hex').toUpperCase()}`;
    // Only the parcels this wave actually takes (a second tap finds them picking already).
    const taken: { parcelNo: string; courierCode: string }[] = [];
    for (const { parcelNo } of parcels) {
      await this.deps.locks.withParcel(parcelNo, async () => {
        const parcel = await ParcelModel.findOne(
          { parcelNo },
          { status: 1, orderNos: 1, courierCode: 1 },
        ).lean();
        if (parcel?.status !== 'routed') return; // cancelled, held or in another wave
        await ParcelModel.updateOne({ parcelNo }, { $set: { status: 'picking', waveNo } });
        for (const orderNo of parcel.orderNos)
          await this.moveOrder(
            orderNo,
            'routed',
            'picking',
            actor!,
            note('picking', { wave: waveNo }),
          );
        taken.push({ parcelNo, courierCode: parcel.courierCode! });
      });
    }
    if (taken.length === 0) throw new Conflict('errors.nothingToPick', { cutoff });
    await WaveModel.create({
      waveNo,
      hubId: hub._id,
      pickupCutoff: cutoff,
      courierCodes: [...new Set(taken.map((p) => p.courierCode))],
      parcelNos: taken.map((p) => p.parcelNo),
      status: 'picking',
      createdBy: actor!.id,
    });
    this.changed(hub._id);
    return { waveNo, parcels: taken.length };
  }

  /** The pick list: one row per bin, batch and SKU, in the order the picker walks. */
  async pickList(actor: Actor | undefined, waveNo: string) {
    const { wave, parcels } = await this.waveOf(actor, waveNo);
    const rows = new Map<
      string,
      {
        walkOrder: number;
        binCode: string;
        batchNo: string;
        barcode: string;
        skuCode: string;
        title: string;
        spec: string;
        quantity: number;
      }
    >();
    const unallocated: { skuCode: string; title: string; quantity: number }[] = [];
    for (const parcel of parcels) {
      for (const line of parcel.lines) {
        let covered = 0;
        for (const a of line.allocations) {
          const key = `${a.binCode}|${a.batchNo}|${line.skuCode}`;
          const row = rows.get(key) ?? {
            walkOrder: a.walkOrder,
            binCode: a.binCode,
            batchNo: a.batchNo,
            barcode: line.barcode,
            skuCode: line.skuCode,
            title: line.title,
            spec: line.spec ?? '',
            quantity: 0,
          };
          row.quantity += a.quantity;
          covered += a.quantity;
          rows.set(key, row);
        }
        if (covered < line.quantity)
          unallocated.push({
            skuCode: line.skuCode,
            title: line.title,
            quantity: line.quantity - covered,
          });
      }
    }
    const progress = waveProgress(parcels);
    return {
      waveNo: wave.waveNo,
      cutoff: wave.pickupCutoff,
      status: wave.status,
      rows: [...rows.values()].sort(
        (a, b) => a.walkOrder - b.walkOrder || a.skuCode.localeCompare(b.skuCode),
      ),
      unallocated,
      parcels: parcels.map((p) => ({
        parcelNo: p.parcelNo,
        status: p.status,
        courierCode: p.courierCode,
        recipient: p.address.recipient,
        items: p.lines.reduce((s, l) => s + l.quantity, 0),
        picked: p.lines.reduce((s, l) => s + l.picked, 0),
        packed: p.lines.reduce((s, l) => s + l.packed, 0),
      })),
      ...progress,
    };
  }

  /** One scanned item at the shelf: counts towards the first parcel in the wave still missing it. */
  async scanPick(actor: Actor | undefined, waveNo: string, raw: unknown) {
    const { barcode } = parseInput(z.object({ barcode: barcodeInput }), raw);
    const { hub, parcels } = await this.waveOf(actor, waveNo);
    await this.knownBarcode(barcode);
    const lines = parcels.flatMap((p) =>
      p.lines.map((line, index) => ({ parcel: p, line, index })),
    );
    const wanted = lines.filter((x) => x.line.barcode === barcode);
    if (wanted.length === 0) throw invalidField('barcode', 'errors.notInWave', { barcode });
    const next = wanted.find((x) => x.line.picked + x.line.short < x.line.quantity);
    if (!next) throw new Conflict('errors.alreadyPicked', { barcode });
    await this.deps.locks.withParcel(next.parcel.parcelNo, async () => {
      const fresh = (await ParcelModel.findOne({ parcelNo: next.parcel.parcelNo }).lean())!;
      const line = fresh.lines[next.index]!;
      if (line.picked + line.short >= line.quantity)
        throw new Conflict('errors.alreadyPicked', { barcode });
      await ParcelModel.updateOne(
        { parcelNo: next.parcel.parcelNo },
        { $set: { [`lines.${next.index}.picked`]: line.picked + 1 } },
      );
    });
    this.changed(hub._id);
    return {
      parcelNo: next.parcel.parcelNo,
      title: next.line.title,
      picked: next.line.picked + 1,
      quantity: next.line.quantity - next.line.short,
    };
  }

  private async waveOf(actor: Actor | undefined, waveNo: string) {
    const hub = await this.hubOf(actor);
    const wave = await WaveModel.findOne({ waveNo: String(waveNo), hubId: hub._id }).lean();
    if (!wave) throw new NotFound('errors.waveNotFound', { waveNo: String(waveNo) });
    const parcels = (await ParcelModel.find({
      parcelNo: { $in: wave.parcelNos },
    }).lean()) as ParcelDoc[];
    parcels.sort((a, b) => a.parcelNo.localeCompare(b.parcelNo));
    return { hub, wave, parcels };
  }
}

/** Closes the wave once none of its parcels is still being picked. */
export async function finishWaveIfDone(waveNo: string | null | undefined) {
  if (!waveNo) return;
  const wave = await WaveModel.findOne({ waveNo }).lean();
  if (!wave) return;
  const left = await ParcelModel.countDocuments({
    parcelNo: { $in: wave.parcelNos },
    status: 'picking',
  });
  if (left === 0) await WaveModel.updateOne({ waveNo }, { $set: { status: 'done' } });
}

function waveProgress(parcels: ParcelDoc[]) {
  const units = parcels.flatMap((p) => p.lines);
  return {
    units: units.reduce((s, l) => s + l.quantity - l.short, 0),
    picked: units.reduce((s, l) => s + Math.min(l.picked, l.quantity - l.short), 0),
  };
}
