// The county's figures, kept by difference: each batch of changed records moves every figure by
// the records' new rows less the rows they added last time (figure-rows.ts). A batch is written
// to a journal before it is applied, and each day document remembers the last batch that
// counted it, so a batch cut short by a crash is applied again, skipping the days it counted. One batch
// at a time: the county-figures queue runs one job at once across every worker.
// Every read here is by `_id`, in parallel: FerretDB v1 serves nothing else from an index.
import { inParallel } from '../core/in-parallel.ts';
import { bucketOf, cellOf, rowDeltas, sumRows, type FigureRow } from './figure-rows.ts';
import {
  CountyContributionModel,
  CountyFigureDayModel,
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

function* allRows(records: RecordRows[]): Iterable<FigureRow> {
  for (const r of records) yield* r.rows;
}

function chunks<T>(items: T[], size = CHUNK): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Day documents holding `figures` (rows summed by figure), as a rebuild writes them. */
export function dayDocuments(figures: Iterable<FigureRow>, lastBatch: number) {
  const days = new Map<string, { _id: string; kind: string; day?: string; cells: object }>();
  for (const f of figures) {
    const id = bucketOf(f);
    const doc = days.get(id) ?? {
      _id: id,
      kind: f.kind,
      ...(f.day ? { day: f.day } : {}),
      cells: {},
    };
    (doc.cells as Record<string, unknown>)[cellOf(f)] = { keys: f.keys, n: f.n };
    days.set(id, doc);
  }
  return [...days.values()].map((d) => ({ ...d, lastBatch }));
}

/**
 * Empties a collection by dropping it: FerretDB's deleteMany({}) refuses more than 65,535
 * documents ("extended protocol limited to 65535 parameters"), and a rebuild clears 200,000.
 */
export async function emptyCollection(model: { collection: { drop(): Promise<unknown> } }) {
  await model.collection.drop().catch((error: unknown) => {
    if ((error as { codeName?: string }).codeName !== 'NamespaceNotFound') throw error;
  });
}

export class FigureLedger {
  /** The ledger's last batch and last rebuild (created on first use). */
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

  /** Counts the records' current rows; returns how many figures moved. */
  async apply(records: RecordRows[]): Promise<number> {
    await this.finishCutShort();
    if (records.length === 0) return 0;
    const found = await inParallel(records, (r) => CountyContributionModel.findById(r.id).lean());
    const changed: RecordRows[] = [];
    const deltas: FigureRow[] = [];
    records.forEach((record, i) => {
      const before = found[i];
      const moved = rowDeltas((before?.rows as FigureRow[] | undefined) ?? [], record.rows);
      if (moved.length === 0 && before) return;
      changed.push(record);
      deltas.push(...moved);
    });
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
    // One update per day document: every cell of the day moves at once, or none does. A day
    // this batch already counted (a retry after a crash) is skipped: FerretDB stops a bulk write
    // at its first error even unordered, so collisions cannot be the test.
    const byDay = new Map<string, FigureRow[]>();
    for (const d of journal.deltas) byDay.set(bucketOf(d), [...(byDay.get(bucketOf(d)) ?? []), d]);
    const ids = [...byDay.keys()];
    const seen = await inParallel(ids, (id) =>
      CountyFigureDayModel.findById(id, { lastBatch: 1 }).lean(),
    );
    const todo = ids.filter((_, i) => seen[i]?.lastBatch !== batch);
    for (const part of chunks(todo))
      await CountyFigureDayModel.bulkWrite(
        part.map((id) => {
          const rows = byDay.get(id)!;
          const inc: Record<string, number> = {};
          const set: Record<string, unknown> = { kind: rows[0]!.kind, lastBatch: batch };
          if (rows[0]!.day) set.day = rows[0]!.day;
          for (const r of rows) {
            const cell = cellOf(r);
            set[`cells.${cell}.keys`] = r.keys;
            for (const [name, value] of Object.entries(r.n)) inc[`cells.${cell}.n.${name}`] = value;
          }
          // updateMany on a unique _id is updateOne, but FerretDB v1 reads its match to the end
          // and gives that PostgreSQL connection back before writing; an updateOne statement
          // keeps it until the whole command returns, so one bulk write of N of them holds
          // N + 1 of FerretDB's connections and, at its pool size, waits on itself for ever
          // (msg_update.go updateDocument; see docs/design.md, "FerretDB's connections").
          return {
            updateMany: { filter: { _id: id }, update: { $inc: inc, $set: set }, upsert: true },
          };
        }),
        { ordered: true },
      );
    for (const part of chunks(journal.contributions))
      await CountyContributionModel.bulkWrite(
        // updateMany, not replaceOne: see the day documents above.
        part.map((c) => ({
          updateMany: { filter: { _id: c.id }, update: { $set: { rows: c.rows } }, upsert: true },
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
    const figures = [...sumRows(allRows(records)).values()];
    const { lastBatch } = await this.state();
    await CountyJournalModel.deleteMany({});
    await emptyCollection(CountyFigureDayModel);
    await emptyCollection(CountyContributionModel);
    for (const part of chunks(dayDocuments(figures, lastBatch)))
      await CountyFigureDayModel.insertMany(part, { ordered: false });
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
