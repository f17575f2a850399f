// What hub staff do on the tablets: receive batches, start pick waves, pick and pack by scanning,
// print labels, hand parcels to couriers, and report exceptions. Every action is checked against
// the staff member's hub; bad scans block with a message and change nothing.
import { randomBytes } from 'node:crypto';
import { Types } from 'mongoose';
import { z } from 'zod';
import type { Actor } from '../accounts/actor.ts';
import { ShopModel } from '../catalogue/shop.model.ts';
import { SkuModel } from '../catalogue/sku.model.ts';
import { Conflict, Invalid, NotFound, Unauthenticated } from '../core/errors.ts';
import { addressInput } from '../orders/order-input.ts';
import { pickLocalized } from '../core/localized-text.ts';
import type { Realtime } from '../core/realtime.ts';
import { parseInput, plainText, wholeNumber } from '../core/validation.ts';
import type { OrderEvents } from '../orders/order-service.ts';
import type { OrderStateMachine, TransitionActor } from '../orders/order-states.ts';
import { OrderModel, type OrderStatus } from '../orders/order.model.ts';
import type { StockReservations } from '../stock/stock-reservations.ts';
import type { PaymentService } from '../payments/payment-service.ts';
import { CourierModel } from './courier.model.ts';
import type { CourierAdapter } from './couriers/courier-adapter.ts';
import { hubOfStaff, invalidField } from './hub-staff.ts';
import {
  renderManifestCsv,
  renderManifestPdf,
  type HandoverManifest,
} from './labels/handover-manifest.ts';
import { renderShippingLabel } from './labels/shipping-label.ts';
import type { ParcelLocks } from './parcel-lock.ts';
import { ParcelModel, type Parcel } from './parcel.model.ts';
import { issueTraceCodes } from '../trace/trace-codes.ts';
import { recordMovement } from '../stock/stock-ledger.ts';
import { WaveModel } from './wave.model.ts';
import { note, type TimelineNote } from '../orders/timeline.ts';

/** Statuses in which a parcel's label may be printed or reprinted. */
const LABELLED: readonly string[] = ['packed', 'handed_over', 'in_transit', 'at_station'];

/** Heavier than any courier takes, or lighter than the box itself: a typing slip. */
export const MAX_PARCEL_GRAMS = 70_000;
export const MIN_PARCEL_GRAMS = 20;

const barcodeInput = z
  .string({ error: 'validation.scanBarcode' })
  .trim()
  .regex(/^[0-9A-Za-z-]{4,40}$/, 'validation.scanBarcode');

const weightInput = z.object({
  weight_grams: wholeNumber('validation.parcelWeight', {
    min: MIN_PARCEL_GRAMS,
    max: MAX_PARCEL_GRAMS,
  }),
});

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

export interface HubServiceDeps {
  states: OrderStateMachine;
  events: OrderEvents;
  stock: StockReservations;
  payments: PaymentService;
  realtime: Realtime;
  adapterFor: (courierCode: string) => CourierAdapter;
  /** One writer per parcel (tracking events write parcels too). */
  locks: ParcelLocks;
  /** Parcels handed over a day ago with no scan from the courier yet (an alert on the screen). */
  firstScanOverdue: (
    hubId: Types.ObjectId,
  ) => Promise<{ parcelNo: string; waybillNo?: string | null; courierCode?: string | null }[]>;
  publicUrl: string;
}

type ParcelDoc = Parcel & { _id: Types.ObjectId };

export class HubService {
  private readonly deps: HubServiceDeps;

  constructor(deps: HubServiceDeps) {
    this.deps = deps;
  }

  // ---------- the hub's overview ----------

  async overview(actor: Actor | undefined) {
    const hub = await this.hubOf(actor);
    const parcels = await ParcelModel.find(
      { hubId: hub._id, status: { $nin: ['delivered'] } },
      {
        parcelNo: 1,
        status: 1,
        courierCode: 1,
        waybillNo: 1,
        shipDate: 1,
        waveNo: 1,
        address: 1,
        lines: 1,
        handedOverAt: 1,
        firstScanAt: 1,
        weightGrams: 1,
        exceptions: 1,
      },
    ).lean();
    const couriers = await CourierModel.find({}, { code: 1, name: 1, pickupCutoff: 1 }).lean();
    const courierOf = new Map(couriers.map((c) => [c.code, c]));
    const byStatus = (status: Parcel['status']) => parcels.filter((p) => p.status === status);

    // Routed parcels, grouped by the cut-off of their courier: each group is a wave to start.
    const cutoffs = new Map<string, { cutoff: string; couriers: Set<string>; parcels: number }>();
    for (const p of byStatus('routed')) {
      const cutoff = courierOf.get(p.courierCode!)?.pickupCutoff ?? '23:59';
      const entry = cutoffs.get(cutoff) ?? { cutoff, couriers: new Set(), parcels: 0 };
      entry.couriers.add(p.courierCode!);
      entry.parcels += 1;
      cutoffs.set(cutoff, entry);
    }
    const packedByCourier = new Map<string, { parcels: number; grams: number }>();
    for (const p of byStatus('packed')) {
      const entry = packedByCourier.get(p.courierCode!) ?? { parcels: 0, grams: 0 };
      entry.parcels += 1;
      entry.grams += p.weightGrams ?? 0;
      packedByCourier.set(p.courierCode!, entry);
    }
    const waves = await WaveModel.find({ hubId: hub._id, status: 'picking' })
      .sort({ createdAt: 1 })
      .lean();
    return {
      hub: { code: hub.code, name: hub.name, bins: hub.bins.map((b) => b.code) },
      counts: Object.fromEntries(
        ['open', 'routed', 'picking', 'packed', 'handed_over', 'held', 'unroutable'].map((s) => [
          s,
          byStatus(s as Parcel['status']).length,
        ]),
      ),
      waveCandidates: [...cutoffs.values()]
        .sort((a, b) => a.cutoff.localeCompare(b.cutoff))
        .map((c) => ({ cutoff: c.cutoff, couriers: [...c.couriers].sort(), parcels: c.parcels })),
      waves: waves.map((w) => ({
        waveNo: w.waveNo,
        cutoff: w.pickupCutoff,
        parcels: w.parcelNos.length,
      })),
      manifests: [...packedByCourier.entries()].map(([code, v]) => ({
        courierCode: code,
        courierName: courierOf.get(code)?.name,
        parcels: v.parcels,
        grams: v.grams,
      })),
      alerts: await this.deps.firstScanOverdue(hub._id),
      exceptions: parcels
        .filter((p) => p.status === 'held' || p.status === 'unroutable')
        .map((p) => ({ parcelNo: p.parcelNo, status: p.status, exceptions: p.exceptions })),
    };
  }

  // ---------- waves and picking ----------

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
    const waveNo = `W${ymdOf(new Date()).replaceAll('-', '')}-${cutoff.replace(':', '')}-${randomBytes(2).toString('hex').toUpperCase()}`;
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

  // ---------- packing ----------

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
        const order = await OrderModel.findOne({ orderNo }, { status: 1 }).lean();
        if (order?.status === 'picking' || order?.status === 'partially_refunded')
          await this.moveOrder(
            orderNo,
            order.status,
            'packed',
            actor!,
            note('packed', { parcel: parcelNo }),
          );
      }
      await this.finishWaveIfDone(parcel.waveNo);
      this.changed(hub._id);
      return { parcelNo, weightGrams };
    });
  }

  // ---------- labels ----------

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
    const shops = await ShopModel.find(
      { _id: { $in: [...new Set(parcel.lines.map((l) => String(l.shopId)))] } },
      { name: 1 },
    ).lean();
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

  // ---------- handover ----------

  /** Today's packed parcels for one courier (or, once signed, the parcels that manifest holds). */
  /**
   * The courier's manifest: by default the parcels packed and waiting for it (the next number
   * of the day); with `manifestNo`, a signed one as it was handed over (for a reprint).
   */
  async manifest(actor: Actor | undefined, courierCode: string, signedNo?: string) {
    const hub = await this.hubOf(actor);
    const courier = await CourierModel.findOne({ code: String(courierCode) }).lean();
    if (!courier) throw new NotFound('errors.unknownCourier');
    const date = ymdOf(new Date());
    const prefix = `M${date.replaceAll('-', '')}-${courier.code.toUpperCase()}-`;
    let manifestNo: string;
    let parcels;
    if (signedNo) {
      manifestNo = String(signedNo);
      parcels = await ParcelModel.find({
        hubId: hub._id,
        courierCode: courier.code,
        manifestNo,
      }).lean();
    } else {
      const signedToday = await ParcelModel.distinct('manifestNo', {
        hubId: hub._id,
        courierCode: courier.code,
        handedOverAt: { $gte: new Date(`${date}T00:00:00+08:00`) },
      });
      manifestNo = `${prefix}${signedToday.length + 1}`;
      parcels = await ParcelModel.find({
        hubId: hub._id,
        courierCode: courier.code,
        status: 'packed',
      }).lean();
    }
    const signed = signedNo ? parcels : [];
    const manifest: HandoverManifest = {
      manifestNo,
      courier: { code: courier.code, name: pickLocalized(courier.name, 'zh-CN') },
      hub: { name: pickLocalized(hub.name, 'zh-CN'), address: hub.address, phone: hub.phone },
      date,
      parcels: parcels.map((p) => ({
        parcelNo: p.parcelNo,
        waybillNo: p.waybillNo!,
        destination: `${p.address.province}${p.address.city}${p.address.county}`,
        weightGrams: p.weightGrams ?? 0,
        itemCount: p.lines.reduce((s, l) => s + l.quantity - l.short, 0),
      })),
      ...(signed[0]?.handedOverAt
        ? { signedOff: { by: signed[0].handedOverBy ?? '', at: signed[0].handedOverAt } }
        : {}),
    };
    if (manifest.parcels.length === 0)
      throw new Invalid('errors.manifestEmpty', [{ field: 'courier', code: 'empty' }], {
        courier: courier.code,
        date,
      });
    return manifest;
  }

  manifestPdf(manifest: HandoverManifest): Promise<Buffer> {
    return renderManifestPdf(manifest);
  }

  manifestCsv(manifest: HandoverManifest): string {
    return renderManifestCsv(manifest);
  }

  /** The courier's driver signs for the listed parcels: they leave the hub. */
  async signOffManifest(actor: Actor | undefined, courierCode: string, raw: unknown) {
    const { collector } = parseInput(
      z.object({
        collector: plainText('validation.collector', { min: 2, max: 40 }),
      }),
      raw,
    );
    const manifest = await this.manifest(actor, courierCode);
    if (manifest.signedOff) throw new Conflict('errors.alreadySigned');
    const hub = await this.hubOf(actor);
    const at = new Date();
    for (const p of manifest.parcels) {
      await this.deps.locks.withParcel(p.parcelNo, async () => {
        // Held or cancelled since the list was drawn up: it stays at the hub. Already scanned
        // by the courier (the scan came first): it keeps that status, and joins the manifest.
        const current = await ParcelModel.findOne({ parcelNo: p.parcelNo }, { status: 1 }).lean();
        const scanned = ['in_transit', 'at_station', 'delivered', 'failed'];
        if (current?.status !== 'packed' && !scanned.includes(current?.status ?? '')) return;
        await ParcelModel.updateOne(
          { parcelNo: p.parcelNo },
          {
            $set: {
              ...(current!.status === 'packed' ? { status: 'handed_over' } : {}),
              manifestNo: manifest.manifestNo,
              handedOverAt: at,
              handedOverBy: collector,
            },
          },
        );
      });
    }
    this.changed(hub._id);
    return { manifestNo: manifest.manifestNo, parcels: manifest.parcels.length };
  }

  // ---------- exceptions ----------

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
        this.changed(hub._id);
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
        this.changed(hub._id);
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
      this.changed(hub._id);
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
    const order = await OrderModel.findOne({ orderNo: String(orderNo) }).lean();
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
        await OrderModel.updateOne(
          { orderNo: no },
          { $set: { address }, $unset: { hubNotice: 1 } },
        );
        const changed = await OrderModel.findOne({ orderNo: no }).lean();
        if (changed) this.deps.events.orderChanged(changed);
      }
      this.changed(parcel.hubId);
      return { parcelNo: parcel.parcelNo, status: resume };
    });
  }

  // ---------- helpers ----------

  private hubOf(actor: Actor | undefined) {
    return hubOfStaff(actor);
  }

  private async parcelOf(actor: Actor | undefined, parcelNo: string) {
    const hub = await this.hubOf(actor);
    const parcel = (await ParcelModel.findOne({
      parcelNo: String(parcelNo),
      hubId: hub._id,
    }).lean()) as ParcelDoc | null;
    if (!parcel) throw new NotFound('errors.parcelNotFound', { parcelNo: String(parcelNo) });
    return { hub, parcel };
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

  private async knownBarcode(barcode: string) {
    if (!(await SkuModel.exists({ barcode })))
      throw invalidField('barcode', 'errors.unknownBarcode', { barcode });
  }

  private async finishWaveIfDone(waveNo: string | null | undefined) {
    if (!waveNo) return;
    const wave = await WaveModel.findOne({ waveNo }).lean();
    if (!wave) return;
    const left = await ParcelModel.countDocuments({
      parcelNo: { $in: wave.parcelNos },
      status: 'picking',
    });
    if (left === 0) await WaveModel.updateOne({ waveNo }, { $set: { status: 'done' } });
  }

  private async moveOrder(
    orderNo: string,
    from: OrderStatus,
    to: OrderStatus,
    actor: Actor,
    reason: TimelineNote,
  ) {
    const by: TransitionActor =
      actor.role === 'admin' ? { kind: 'admin', id: actor.id } : { kind: 'hub', id: actor.id };
    const result = await this.deps.states.transition(orderNo, from, to, by, reason);
    if (result.won) this.deps.events.orderChanged(result.order);
  }

  private async noteOnOrder(orderNo: string, code: string) {
    const order = await OrderModel.findOne({ orderNo }).lean();
    if (order) {
      await OrderModel.updateOne({ orderNo }, { $set: { hubNotice: code } });
      this.deps.events.orderChanged({ ...order, hubNotice: code } as typeof order);
    }
  }

  private changed(hubId: Types.ObjectId) {
    this.deps.realtime.toRoom(`hub:${String(hubId)}`, 'hub:changed', { at: Date.now() });
  }
}

function waveProgress(parcels: ParcelDoc[]) {
  const units = parcels.flatMap((p) => p.lines);
  return {
    units: units.reduce((s, l) => s + l.quantity - l.short, 0),
    picked: units.reduce((s, l) => s + Math.min(l.picked, l.quantity - l.short), 0),
  };
}

/** The calendar day in China. */
export function ymdOf(at: Date): string {
  return new Date(at.getTime() + 8 * 3600 * 1000).toISOString().slice(0, 10);
}
