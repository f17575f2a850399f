// A look-up of one document by its key (a unique index, or _id) uses an index, as on MongoDB. On
// FerretDB's PostgreSQL backend its own btree indexes cannot serve its equality filters, so the
// runtime adds GIN twins
// (server/core/local-services/ferretdb-lookups.ts). Asked through explain: FerretDB answers with
// PostgreSQL's plan ("Index Scan", "Seq Scan"), MongoDB with its own ("IXSCAN", "COLLSCAN").
import { expect } from 'chai';
import mongoose from 'mongoose';
import {
  addFerretLookupIndexes,
  tidyFerretTables,
} from '../../server/core/local-services/ferretdb-lookups.ts';
import { runPsql } from '../../server/core/local-services/mongo.ts';
import { eventually } from '../support/processes.ts';
import { TIMEOUTS } from '../support/timeouts.ts';
import { getRuntime } from '../support/root-hooks.ts';

describe('look-ups by indexed fields', () => {
  async function plan(collection: string, filter: object): Promise<string> {
    const db = mongoose.connection.db!;
    const answer = await db.command({ explain: { find: collection, filter } });
    return JSON.stringify(answer.queryPlanner);
  }

  it('a unique key and _id are found through an index, not by reading the collection', async () => {
    const { config, logger, services } = getRuntime();
    const db = mongoose.connection.db!;
    const probe = db.collection('lookup_probes');
    await probe.drop().catch(() => {});
    await probe.createIndex({ code: 1 }, { unique: true });
    await probe.createIndex({ village: 1 });
    const docs = Array.from({ length: 3000 }, (_, i) => ({
      code: `P${i}`,
      village: `V${i % 150}`,
      note: 'x'.repeat(200),
    }));
    await probe.insertMany(docs);
    // What the runtime does after connecting, twice at once, as processes starting together
    // would (on MongoDB this is not called: its own indexes serve).
    if (services.mongo.source === 'ferretdb')
      await Promise.all([
        addFerretLookupIndexes(config.FERRETDB_POSTGRESQL_URL, config.MONGODB_DB, logger),
        addFerretLookupIndexes(config.FERRETDB_POSTGRESQL_URL, config.MONGODB_DB, logger),
      ]);

    const one = await probe.findOne({ code: 'P1234' });
    expect(one?.village).to.equal('V34');
    for (const filter of [{ code: 'P1234' }, { _id: one!._id }]) {
      const explained = await plan('lookup_probes', filter);
      expect(explained, JSON.stringify(filter)).to.match(/Index Scan|IXSCAN|IDHACK/);
      expect(explained, JSON.stringify(filter)).to.not.match(/Seq Scan|COLLSCAN/);
    }
    expect(await probe.countDocuments({ village: 'V7' })).to.equal(20);
    await probe.drop();
  });

  it('keeps the tables analyzed and vacuumed where PostgreSQL runs without autovacuum', async () => {
    const { config, services } = getRuntime();
    const url = config.FERRETDB_POSTGRESQL_URL;
    const sql = (text: string) => runPsql(url, text, 10_000).then((r) => r.stdout.trim());
    if (services.mongo.source !== 'ferretdb') {
      // MongoDB keeps its own statistics: there is no such schema in PostgreSQL to tidy.
      expect(await tidyFerretTables(url, config.MONGODB_DB).catch(() => [])).to.deep.equal([]);
      return;
    }
    const autovacuum = await sql('SHOW autovacuum');
    const probe = mongoose.connection.db!.collection('tidy_probes');
    await probe.drop().catch(() => {});
    await probe.insertMany(Array.from({ length: 500 }, (_, i) => ({ n: i })));
    await probe.updateMany({}, { $set: { seen: true } });
    const table = await sql(
      `SELECT _jsonb ->> 'table' FROM "${config.MONGODB_DB}"._ferretdb_database_metadata WHERE _jsonb ->> '_id' = 'tidy_probes'`,
    );
    const name = `${config.MONGODB_DB}.${table}`;
    if (autovacuum === 'on')
      // PostgreSQL's own does it.
      expect(await tidyFerretTables(url, config.MONGODB_DB)).to.deep.equal([]);
    else {
      // PostgreSQL's statistics of the writes arrive within a second or so.
      const tidied = await eventually(async () => {
        const done = await tidyFerretTables(url, config.MONGODB_DB);
        return done.includes(name) && done;
      });
      expect(tidied).to.include(name);
      const stats = await sql(
        `SELECT last_vacuum IS NOT NULL AND last_analyze IS NOT NULL FROM pg_stat_user_tables WHERE schemaname = '${config.MONGODB_DB}' AND relname = '${table}'`,
      );
      expect(stats).to.equal('t');
      // Nothing changed since: a later round leaves the table alone. (PostgreSQL's backends
      // report their writes to the statistics late, an idle one up to ten seconds after, so a
      // round soon after may still see the old writes and tidy once more; what must hold is that
      // the rounds then stop touching it.)
      await eventually(
        async () => !(await tidyFerretTables(url, config.MONGODB_DB)).includes(name),
        TIMEOUTS.postgresStats,
      );
    }
    await probe.drop();
  });
});
