// The county's ledger writes a batch's day documents with one bulk write. FerretDB v1 keeps the
// PostgreSQL connection an `updateOne` statement matched with until the whole command returns,
// so a bulk write of more matched updateOne statements than its pool holds waited on itself and
// stalled the whole database (the hub stopped routing under bench:hub). The ledger now writes
// updateMany on the unique _id: this counts into more day documents than the pool has
// connections, twice (the second time every one matches), and must finish.
import { expect } from 'chai';
import {
  CountyContributionModel,
  CountyFigureDayModel,
} from '../../server/county/county-figures.model.ts';
import { FigureLedger, type RecordRows } from '../../server/county/figure-ledger.ts';
import type { FigureRow } from '../../server/county/figure-rows.ts';
import { getRuntime } from '../support/root-hooks.ts';

describe("the county's ledger on FerretDB's connection pool", () => {
  it('counts a batch into more day documents than FerretDB has connections, again and again', async function () {
    const days = getRuntime().config.FERRETDB_POOL_SIZE * 2 + 5;
    // Days of 1999, which no order has: the rest of the suite's figures are left alone.
    const dayOf = (i: number) =>
      new Date(Date.UTC(1999, 0, 1) + i * 86_400_000).toISOString().slice(0, 10);
    const records = (units: number): RecordRows[] => [
      {
        id: 'order:POOL-TEST',
        rows: Array.from({ length: days }, (_, i): FigureRow => ({
          id: `pool-test|${i}`,
          kind: 'shop',
          day: dayOf(i),
          keys: { shopId: 'pool-test', channel: 'live' },
          n: { paid: units, gmvFen: units * 100 },
        })),
      },
    ];
    const ledger = new FigureLedger();
    try {
      await ledger.apply(records(1)); // creates every day document (no match)
      await ledger.apply(records(3)); // updates every one of them (all match)
      await ledger.apply(records(2));
      const docs = await CountyFigureDayModel.find({
        _id: { $in: Array.from({ length: days }, (_, i) => `shop|${dayOf(i)}`) },
      }).lean();
      expect(docs).to.have.length(days);
      for (const doc of docs) {
        const cells = Object.values(doc.cells as Record<string, { n: Record<string, number> }>);
        expect(cells.map((c) => c.n)).to.deep.equal([{ paid: 2, gmvFen: 200 }]);
      }
    } finally {
      await CountyContributionModel.deleteOne({ _id: 'order:POOL-TEST' });
      await CountyFigureDayModel.deleteMany({
        _id: { $in: Array.from({ length: days }, (_, i) => `shop|${dayOf(i)}`) },
      });
    }
  });
});
