// PostgreSQL's connections are shared by everything on the machine (100 here). Two more stacks,
// each with a FerretDB of its own at the default pool size, beside this test run's FerretDB, all
// driven to their pools' limits at once, must stay within PostgreSQL's budget: no 53300 ("too
// many clients already"), no failed operation (issue #13).
import path from 'node:path';
import { expect } from 'chai';
import mongoose from 'mongoose';
import {
  chooseFerretBackend,
  ensureFerretDB,
  ferretUri,
  spawnFerretDB,
} from '../../server/core/local-services/mongo.ts';
import { runPsql } from '../../server/core/local-services/mongo.ts';
import type { ManagedProcess } from '../../server/core/local-services/processes.ts';
import { getRuntime } from '../support/root-hooks.ts';
import { trackServer } from '../support/spawned-processes.ts';
import { freePort, RUN_ID } from '../support/test-env.ts';

/** Processes in a full stack that hold a driver pool: two web processes, a worker, a script. */
const PROCESSES_PER_STACK = 4;

describe('the PostgreSQL connection budget', function () {
  this.timeout(180_000);
  const stacks: { ferret: ManagedProcess; uri: string }[] = [];
  let postgresUrl = '';

  before(async function () {
    const { config, logger } = getRuntime();
    const backend = await chooseFerretBackend(config, logger);
    if (backend.handler !== 'postgresql') throw new Error('this test needs the machine PostgreSQL');
    postgresUrl = backend.url;
    const binary = await ensureFerretDB(config, logger);
    for (let i = 0; i < 2; i++) {
      const port = await freePort();
      const ferret = trackServer(
        await spawnFerretDB(
          binary,
          port,
          backend,
          config.FERRETDB_POOL_SIZE,
          path.join(config.DATA_DIR, 'logs', `ferretdb-budget-${port}.log`),
        ),
      );
      stacks.push({ ferret, uri: ferretUri(port) });
    }
  });
  after(async () => {
    await Promise.all(stacks.map((s) => s.ferret.stop()));
  });

  const connections = async () => {
    const { stdout } = await runPsql(
      postgresUrl,
      'SELECT count(*) FROM pg_stat_activity WHERE backend_type = $$client backend$$',
      10_000,
    );
    return Number(stdout.trim());
  };

  it('holds two more stacks with FerretDBs of their own, all at full pools, without 53300', async () => {
    const { config } = getRuntime();
    const { stdout } = await runPsql(
      postgresUrl,
      "SELECT current_setting('max_connections')::int - current_setting('superuser_reserved_connections')::int",
      10_000,
    );
    const allowed = Number(stdout.trim());
    // The defaults themselves keep three FerretDBs inside the budget, with room for psql.
    expect(3 * config.FERRETDB_POOL_SIZE).to.be.below(allowed - 5);
    // And every stack's drivers stay below half of its FerretDB's pool (its update path
    // deadlocks when they reach it).
    expect(PROCESSES_PER_STACK * config.MONGODB_POOL_SIZE).to.be.below(
      config.FERRETDB_POOL_SIZE / 2,
    );

    // Each FerretDB (the two stacks' and this run's own) is driven by as many connections as
    // a whole stack holds, each doing inserts, updates and reads without pause.
    const uris = [...stacks.map((s) => s.uri), getRuntime().services.mongo.uri];
    const clients = uris.map((uri, c) =>
      mongoose.createConnection(uri, {
        dbName: `cunbo_test_${RUN_ID}_budget${c}`,
        maxPoolSize: PROCESSES_PER_STACK * config.MONGODB_POOL_SIZE,
        directConnection: true,
      }),
    );
    let peak = 0;
    const failures: string[] = [];
    try {
      await Promise.all(clients.map((c) => c.asPromise()));
      // Each database and collection is made once, before the load (FerretDB makes them lazily).
      for (const [c, client] of clients.entries())
        await client.collection(`load_${c}`).insertOne({ first: true });
      const until = Date.now() + 8000;
      const sampler = (async () => {
        while (Date.now() < until) {
          peak = Math.max(peak, await connections());
          await new Promise((r) => setTimeout(r, 200));
        }
      })();
      let done = 0;
      await Promise.all(
        clients.flatMap((client, c) =>
          Array.from(
            { length: PROCESSES_PER_STACK * config.MONGODB_POOL_SIZE * 2 },
            async (_, w) => {
              const docs = client.collection(`load_${c}`);
              while (Date.now() < until) {
                try {
                  const { insertedId } = await docs.insertOne({ worker: w, at: new Date() });
                  await docs.updateOne({ _id: insertedId }, { $set: { seen: true } });
                  await docs.findOne({ _id: insertedId });
                  done++;
                } catch (error) {
                  failures.push((error as Error).message);
                  return;
                }
              }
            },
          ),
        ),
      );
      await sampler;
      expect(done).to.be.above(0);
    } finally {
      await Promise.all(
        clients.map(async (c) => {
          await c.dropDatabase().catch(() => {});
          await c.close();
        }),
      );
    }
    expect(failures, failures.slice(0, 3).join('; ')).to.deep.equal([]);
    expect(peak).to.be.below(allowed);
  });
});
