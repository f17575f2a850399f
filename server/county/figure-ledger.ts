// The county's figures, kept by difference: each batch of changed records moves every figure by
// the records' new rows less the rows they added last time (figure-rows.ts). A batch is written
// to a journal before it is applied and each figure remembers the last batch that counted it, so
// a batch cut short by a crash is applied again without counting twice. One batch at a time: the
// county-figures queue runs one job at once across every worker (see county-figures.ts).
import { sumRows, rowDeltas, type FigureRow } from './figure-rows.ts';
import {
  CountyContributionModel,
  CountyFigureModel,
  CountyJournalModel,
  CountyLedgerStateModel,
} from './county-figures.model.ts';

const STATE_ID = 'ledger';
const CHUNK = 500;

export interface RecordRows {
  /** order:<no>, parcel:<no> or code:<code>. */
  id: string;
  rows: FigureRow[];
}

type Journal = { _id: number; deltas: FigureRow[]; contributions: RecordRows[] };

function chunks<T>(items: T[], size = CHUNK): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

function isDuplicateKeyOnly(error: unknown): boolean {
  const writeErrors = (error as { writeErrors?: { code?: number }[] }).writeErrors;
  return Array.isArray(writeErrors) && writeErrors.every((e) => e.code === 11000);
}

export class FigureLedger {
  /** The ledger's watermarks and last batch (created on first use). */
  async state() {
    const found = await CountyLedgerStateModel.findById(STATE_ID).lean();
    if (found) return found;
    await CountyLedgerStateModel.updateOne(
      { _id: STATE_ID },
      { $setOnInsert: { lastBatch: 0 } },
      { upsert: true },
    );
    return (await CountyLedgerStateModel.findById(STATE_ID).lean())!;
  }

  async setWatermarks(marks: {
    ordersSeenUntil?: Date;
    parcelsSeenUntil?: Date;
    codesSeenUntil?: Date;
  }): Promise<void> {
    await CountyLedgerStateModel.updateOne({ _id: STATE_ID }, { $set: marks }, { upsert: true });
  }

  /** Counts the records' current rows; returns how many figures moved. */
  async apply(records: RecordRows[]): Promise<number> {
    await this.finishCutShort();
    if (records.length === 0) return 0;
    const before = new Map<string, FigureRow[]>();
    for (const part of chunks(records.map((r) => r.id)))
      for (const c of await CountyContributionModel.find({ _id: { $in: part } }).lean())
        before.set(c._id, c.rows as FigureRow[]);
    const changed: RecordRows[] = [];
    const deltas: FigureRow[] = [];
    for (const record of records) {
      const moved = rowDeltas(before.get(record.id) ?? [], record.rows);
      if (moved.length === 0 && before.has(record.id)) continue;
      changed.push(record);
      deltas.push(...moved);
    }
    if (changed.length === 0) return 0;
    const merged = [...sumRows(deltas).values()].filter((r) =>
      Object.values(r.n).some((v) => v !== 0),
    );
    const { lastBatch } = await this.state();
    const journal: Journal = { _id: lastBatch + 1, deltas: merged, contributions: changed };
    await CountyJournalModel.create(journal);
    await this.applyJournal(journal);
    return merged.length;
  }

  /** A batch left in the journal by a crash is applied (again) before anything else. */
  async finishCutShort(): Promise<void> {
    const left = await CountyJournalModel.find({}).sort({ _id: 1 }).lean();
    for (const journal of left) await this.applyJournal(journal as unknown as Journal);
  }

  private async applyJournal(journal: Journal): Promise<void> {
    const batch = journal._id;
    for (const part of chunks(journal.deltas)) {
      try {
        await CountyFigureModel.bulkWrite(
          part.map((d) => ({
            updateOne: {
              // A figure this batch already counted does not match; its upsert then collides
              // with the figure's id, which is how "already counted" reads.
              filter: { _id: d.id, lastBatch: { $ne: batch } },
              update: {
                $inc: Object.fromEntries(Object.entries(d.n).map(([k, v]) => [`n.${k}`, v])),
                $set: {
                  kind: d.kind,
                  keys: d.keys,
                  lastBatch: batch,
                  ...(d.day ? { day: d.day } : {}),
                },
              },
              upsert: true,
            },
          })),
          { ordered: false },
        );
      } catch (error) {
        if (!isDuplicateKeyOnly(error)) throw error;
      }
    }
    for (const part of chunks(journal.contributions))
      await CountyContributionModel.bulkWrite(
        part.map((c) => ({
          replaceOne: { filter: { _id: c.id }, replacement: { rows: c.rows }, upsert: true },
        })),
        { ordered: false },
      );
    await CountyLedgerStateModel.updateOne(
      { _id: STATE_ID },
      { $max: { lastBatch: batch } },
      { upsert: true },
    );
    await CountyJournalModel.deleteOne({ _id: batch });
  }

  /** Replaces every figure and contribution with those of `records`, counted from nothing. */
  async replaceAll(records: RecordRows[]): Promise<{ figures: number; records: number }> {
    const figures = [...sumRows(records.flatMap((r) => r.rows)).values()];
    const { lastBatch } = await this.state();
    await CountyJournalModel.deleteMany({});
    await CountyFigureModel.deleteMany({});
    await CountyContributionModel.deleteMany({});
    for (const part of chunks(figures))
      await CountyFigureModel.insertMany(
        part.map((f) => ({
          _id: f.id,
          kind: f.kind,
          keys: f.keys,
          n: f.n,
          lastBatch,
          ...(f.day ? { day: f.day } : {}),
        })),
        { ordered: false },
      );
    for (const part of chunks(records))
      await CountyContributionModel.insertMany(
        part.map((r) => ({ _id: r.id, rows: r.rows })),
        { ordered: false },
      );
    await CountyLedgerStateModel.updateOne(
      { _id: STATE_ID },
      { $set: { rebuiltAt: new Date() } },
      { upsert: true },
    );
    return { figures: figures.length, records: records.length };
  }
}
