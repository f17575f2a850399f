// Receiving at the hub: a producer's delivery of one SKU becomes a batch in a bin, with where it
// grew, what was done to it and what the inspection found. Only a batch that passed inspection
// enters the ledger as sellable stock (and only such batches are ever allocated to parcels).
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { Actor } from '../accounts/actor.ts';
import type { Realtime } from '../core/realtime.ts';
import { parseInput, plainText, wholeNumber } from '../core/validation.ts';
import type { StockReservations } from '../stock/stock-reservations.ts';
import { producerByRegistrationCode, producerChoices } from '../trace/producer-reads.ts';
import { documentId, type StoredDocument } from '../trace/uploads.ts';
import { BatchModel } from './batch.model.ts';
import { hubOfStaff, invalidField } from './hub-staff.ts';
import { recordMovement } from '../stock/stock-ledger.ts';
import { rooms } from '../core/rooms.ts';
import { skuByBarcode, skusByIds } from '../catalogue/catalogue-reads.ts';

export const PROCESSING_STEPS = [
  'dried',
  'deseeded',
  'sorted',
  'milled',
  'cooked',
  'packed',
] as const;
/** The items the county's testing stations report on most often; the form offers these rows. */
export const INSPECTION_ITEMS = ['pesticide_residue', 'moisture', 'heavy_metals'] as const;

const ymd = z.string({ error: 'validation.date' }).regex(/^\d{4}-\d{2}-\d{2}$/, 'validation.date');
const text = (max: number, code: string) => plainText(code, { max }).optional().default('');

const receiveInput = z.object({
  barcode: z
    .string({ error: 'validation.scanBarcode' })
    .trim()
    .regex(/^[0-9A-Za-z-]{4,40}$/, 'validation.scanBarcode'),
  producer_code: plainText('validation.producer', { min: 1, max: 40 }),
  plot: text(60, 'validation.plot'),
  processing: z
    .union([z.enum(PROCESSING_STEPS), z.array(z.enum(PROCESSING_STEPS))], {
      error: 'validation.processing',
    })
    .optional()
    .transform((v) => (v === undefined ? [] : Array.isArray(v) ? v : [v])),
  harvest_date: ymd,
  shelf_life_days: wholeNumber('validation.shelfLife', { min: 1, max: 1095 }),
  quantity: wholeNumber('validation.quantity', { min: 1, max: 100_000 }),
  bin_code: plainText('validation.bin', { min: 1, max: 20 }),
  qc_result: z.enum(['passed', 'failed'], { error: 'validation.qcResult' }),
  qc_note: text(200, 'validation.note'),
  qc_station: text(60, 'validation.station'),
  qc_report_no: text(40, 'validation.reportNo'),
  qc_date: ymd.optional().or(z.literal('')),
  receipt_id: z
    .string({ error: 'validation.receipt' })
    .regex(/^[0-9a-f]{24}$/, 'validation.receipt')
    .optional(),
});

/** One row per inspection item: its measured value, and whether it passed. */
const inspectionItemsInput = z.object(
  Object.fromEntries(
    INSPECTION_ITEMS.flatMap((item) => [
      [`qc_${item}`, text(40, 'validation.inspectionValue')],
      [`qc_${item}_ok`, z.enum(['yes', 'no'], { error: 'validation.qcResult' }).optional()],
    ]),
  ),
);

export interface ReceivingDeps {
  stock: StockReservations;
  realtime: Realtime;
  /** Stores an uploaded inspection report (type- and size-checked). */
  storeReport: (file: { buffer: Buffer; originalname: string }) => Promise<StoredDocument>;
}

export class HubReceiving {
  private readonly deps: ReceivingDeps;

  constructor(deps: ReceivingDeps) {
    this.deps = deps;
  }

  /** The producers hub staff can receive from (the form's list). */
  async producers(actor: Actor | undefined) {
    await hubOfStaff(actor);
    return producerChoices();
  }

  async receiveBatch(
    actor: Actor | undefined,
    raw: unknown,
    report?: { buffer: Buffer; originalname: string },
  ) {
    const hub = await hubOfStaff(actor);
    const input = parseInput(receiveInput, raw);
    if (input.receipt_id) {
      // The same form sent twice (a double tap, a resend on a weak network): one batch.
      const again = await BatchModel.findOne({ receiptId: input.receipt_id }).lean();
      if (again) return { batchNo: again.batchNo, sellable: again.qc?.result === 'passed' };
    }
    const rows = parseInput(inspectionItemsInput, raw) as Record<string, string | undefined>;
    const sku = await skuByBarcode(input.barcode);
    if (!sku) throw invalidField('barcode', 'errors.unknownBarcode', { barcode: input.barcode });
    if (!hub.bins.some((b) => b.code === input.bin_code))
      throw invalidField('bin_code', 'errors.unknownBin', { bin: input.bin_code });
    const producer = await producerByRegistrationCode(input.producer_code);
    if (!producer)
      throw invalidField('producer_code', 'errors.unknownProducer', { code: input.producer_code });
    const harvestDate = chinaDay(input.harvest_date);
    if (!harvestDate || harvestDate.getTime() > Date.now())
      throw invalidField('harvest_date', 'validation.harvestDate');
    const inspectedAt = input.qc_date ? chinaDay(input.qc_date) : undefined;
    if (inspectedAt === null || (inspectedAt && inspectedAt.getTime() > Date.now()))
      throw invalidField('qc_date', 'validation.inspectionDate');
    const items = INSPECTION_ITEMS.filter((item) => rows[`qc_${item}`]).map((item) => ({
      name: item,
      value: rows[`qc_${item}`]!,
      passed: rows[`qc_${item}_ok`] !== 'no',
    }));
    // An item that failed fails the batch, whatever the overall box says.
    const result = items.some((i) => !i.passed) ? 'failed' : input.qc_result;
    // The report is checked (type, size) before anything is written.
    const stored = report ? await this.deps.storeReport(report) : undefined;

    const now = new Date();
    const batch = await BatchModel.create({
      batchNo: `B${now.toISOString().slice(0, 10).replaceAll('-', '')}-${randomBytes(3).toString('hex').toUpperCase()}`,
      hubId: hub._id,
      skuId: sku._id,
      producer: producer.name,
      producerId: producer._id,
      villageId: producer.villageId,
      plot: input.plot,
      processing: input.processing,
      harvestDate,
      expiresAt: new Date(harvestDate.getTime() + input.shelf_life_days * 86_400_000),
      quantity: input.quantity,
      binCode: input.bin_code,
      qc: {
        result,
        note: input.qc_note,
        station: input.qc_station,
        reportNo: input.qc_report_no,
        ...(inspectedAt ? { inspectedAt } : {}),
        items,
        ...(stored ? { reportDocumentId: documentId(stored), report: stored } : {}),
      },
      receivedBy: actor!.id,
      receivedAt: now,
      ...(input.receipt_id ? { receiptId: input.receipt_id } : {}),
    });
    if (result === 'passed') {
      await recordMovement({
        movementId: `batch:${batch.batchNo}`,
        skuId: sku._id,
        hubId: hub._id,
        kind: 'received',
        delta: input.quantity,
        binCode: input.bin_code,
        reason: `batch ${batch.batchNo} from ${producer.name}`,
      });
      // Raise the sellable counter now; the periodic resync heals it if this loses a race.
      if (!(await this.deps.stock.resync(String(sku._id))))
        await this.deps.stock.available([String(sku._id)]);
    }
    this.deps.realtime.toRoom(rooms.hub(String(hub._id)), 'hub:changed', { at: Date.now() });
    return { batchNo: batch.batchNo, sellable: result === 'passed' };
  }

  /** The county's list of batches by inspection result (failed first: they need a decision). */
  async batchesByInspection(actor: Actor | undefined, result?: string) {
    await hubOfStaff(actor);
    const filter =
      result === 'passed' || result === 'failed'
        ? { 'qc.result': result as 'passed' | 'failed' }
        : {};
    const batches = await BatchModel.find(filter).sort({ receivedAt: -1 }).limit(200).lean();
    const skus = await skusByIds(batches.map((b) => b.skuId));
    return batches
      .map((b) => ({ ...b, skuCode: skus.find((s) => String(s._id) === String(b.skuId))?.code }))
      .sort((a, b) => (a.qc?.result === 'failed' ? 0 : 1) - (b.qc?.result === 'failed' ? 0 : 1));
  }
}

function chinaDay(date: string): Date | null {
  const at = new Date(`${date}T00:00:00+08:00`);
  return Number.isNaN(at.getTime()) ? null : at;
}
