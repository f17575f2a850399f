import { Schema, model } from 'mongoose';

/**
 * One day of one kind of the county's roll-ups (shop, sku, province, courier, exception, scans;
 * the current-state kinds, status and copied, have no day): `_id` is `kind|day`, and `cells`
 * holds each key's integer counters, `{ "<shop>|<village>|live": { keys, n: { gmvFen, … } } }`.
 * A month of a kind is thirty reads by `_id`: FerretDB v1 serves only equality on `_id` and
 * unique keys from an index, so ranges and `$in` would read the whole collection.
 * `lastBatch` names the ledger batch that last counted the day: a batch applied twice (a retry
 * after a crash) finds it already there and counts nothing.
 */
const figureDaySchema = new Schema(
  {
    _id: { type: String, required: true },
    kind: { type: String, required: true },
    day: { type: String },
    cells: { type: Schema.Types.Mixed, default: {} },
    lastBatch: { type: Number, default: 0 },
  },
  { versionKey: false, minimize: false },
);

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

/** A buyer's first order from a shop (`_id`: `<buyer>|<shop>`): a later order is a repeat. */
const firstOrderSchema = new Schema(
  {
    _id: { type: String, required: true },
    orderNo: { type: String, required: true },
    at: { type: Date, required: true },
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

/** The ledger's own state: the last batch finished, and when the figures were last rebuilt. */
const ledgerStateSchema = new Schema(
  {
    _id: { type: String, required: true },
    lastBatch: { type: Number, default: 0 },
    rebuiltAt: { type: Date },
  },
  { versionKey: false },
);

export const CountyFigureDayModel = model('CountyFigureDay', figureDaySchema, 'county_figure_days');
export const CountyContributionModel = model(
  'CountyContribution',
  contributionSchema,
  'county_contributions',
);
export const CountyFirstOrderModel = model(
  'CountyFirstOrder',
  firstOrderSchema,
  'county_first_orders',
);
export const CountyJournalModel = model('CountyJournal', journalSchema, 'county_journal');
export const CountyLedgerStateModel = model(
  'CountyLedgerState',
  ledgerStateSchema,
  'county_ledger_state',
);
