import { Schema, model, type InferSchemaType } from 'mongoose';

/**
 * One figure of the county's roll-ups: a kind (shop, sku, province, status, courier, exception,
 * scans), a China day (absent for the current-state kinds) and the keys it is counted by, with
 * integer counters. The `_id` is `kind|day|key…`, so a figure is found and counted without an
 * index. `lastBatch` names the ledger batch that last counted it: a batch applied twice (a retry
 * after a crash) finds it already there and counts nothing.
 */
const figureSchema = new Schema(
  {
    _id: { type: String, required: true },
    kind: { type: String, required: true },
    day: { type: String },
    keys: { type: Schema.Types.Mixed, default: {} },
    n: { type: Schema.Types.Mixed, default: {} },
    lastBatch: { type: Number, default: 0 },
  },
  { versionKey: false },
);
figureSchema.index({ kind: 1, day: 1 });

/**
 * What one source record (an order, a parcel, a trace code) adds to the figures now. A changed
 * record adds the difference between its new rows and these; the same record seen again adds
 * nothing, so a replayed event counts once.
 */
const contributionSchema = new Schema(
  {
    _id: { type: String, required: true }, // order:<no>, parcel:<no>, code:<code>
    rows: { type: [Schema.Types.Mixed], default: [] },
  },
  { versionKey: false },
);

/**
 * A batch between computing and finishing: its figure changes and the contributions after it.
 * A batch found here when the next starts was cut short; it is applied again (harmlessly).
 */
const journalSchema = new Schema(
  {
    _id: { type: Number, required: true },
    deltas: { type: [Schema.Types.Mixed], default: [] },
    contributions: { type: [Schema.Types.Mixed], default: [] },
  },
  { versionKey: false },
);

/** The ledger's own state: the last batch finished, and where the catch-up sweeps reached. */
const ledgerStateSchema = new Schema(
  {
    _id: { type: String, required: true },
    lastBatch: { type: Number, default: 0 },
    ordersSeenUntil: { type: Date },
    parcelsSeenUntil: { type: Date },
    codesSeenUntil: { type: Date },
    rebuiltAt: { type: Date },
  },
  { versionKey: false },
);

export type CountyFigure = InferSchemaType<typeof figureSchema>;
export const CountyFigureModel = model('CountyFigure', figureSchema, 'county_figures');
export const CountyContributionModel = model(
  'CountyContribution',
  contributionSchema,
  'county_contributions',
);
export const CountyJournalModel = model('CountyJournal', journalSchema, 'county_journal');
export const CountyLedgerStateModel = model(
  'CountyLedgerState',
  ledgerStateSchema,
  'county_ledger_state',
);
