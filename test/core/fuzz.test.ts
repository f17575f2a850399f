// Issue #13, the fuzz suite: 5,000 seeded hostile inputs, in chunks of 50 with 6 in flight, to
// every mounted route (GET and POST, read from the Express router stack; path parameters half
// generated, half real ids), every form (urlencoded, JSON and multipart bodies, and bytes no
// encoder makes; the app's real field names from its views and zod schemas, and random keys) and
// every socket event the dispatcher registered (payloads of every type, none at all, with and
// without an acknowledgement), sent by a guest, a buyer, a streamer, hub staff and the county
// admin (demo accounts; CSRF tokens as the Client keeps them). Values: NUL and other control
// characters, emoji and astral characters at and over the length limits, 10k+ strings, numbers
// as text ("0x10", "2e0", "+2", "1e309", "NaN"), wrong types, arrays, nested objects, Mongo
// operators and dotted or $ keys, __proto__ and constructor, huge numbers, empty values.
//
// It fails on any 5xx (a 503 asking to retry counts only if the retry is one too), an emit whose
// acknowledgement does not come, an error-level log line from the server, and a refused input
// (4xx, a redirect to sign-in, {ok:false}) that changed the database. No state change on
// refusal: rather than fingerprinting the database around chunks that were refused whole (rare
// when most chunks hold a page view), every MongoDB write made in this process is tied to the
// request or socket packet it served, and a refused input may have inserted, modified or deleted
// nothing; a refusal that did is replayed at the end between two fingerprints of the database
// (per collection: count and hash of its documents) to say what it changed. Details:
// test/support/fuzz-driver.ts; the input grammar: test/support/fuzz-inputs.ts.
//
// Left out: POST /signout and /signout/everywhere (they end the identity's session and close its
// sockets mid-chunk). The inputs change the demo county as they go, so it is seeded afresh after.
//
// FUZZ_SEED=<n> picks another seed (printed, with every failure's input); the findings are kept
// as they come in $TMPDIR/cunbo-fuzz-<seed>.md (or FUZZ_FINDINGS=<file>), with their inputs beside
// it as JSON for `npm run fuzz -- --replay <file>.json`; FUZZ_RUNS=<n> sends more or fewer inputs.
// `npm run fuzz -- --runs 100000 [--seed N]` is the long run.
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { addFerretLookupIndexes } from '../../server/core/local-services/ferretdb-lookups.ts';
import { resetDatabase, seedDemoCounty } from '../../server/seed/seed-demo-county.ts';
import {
  captureServerErrors,
  findingsMarkdown,
  FuzzHarness,
  type ServerErrors,
} from '../support/fuzz-driver.ts';
import { getRuntime } from '../support/root-hooks.ts';
import { testLogger } from '../support/test-env.ts';
import { inProcessWeb } from '../support/web-scene.ts';

const RUNS = Number(process.env.FUZZ_RUNS ?? 5000);
const DEFAULT_SEED = 1302;

/** The demo county as seeded, for the tests after this one: accepted inputs changed it. */
async function reseedDemoCounty() {
  const { config, logger, services } = getRuntime();
  await resetDatabase();
  if (services.mongo.source === 'ferretdb' && config.FERRETDB_BACKEND !== 'sqlite')
    await addFerretLookupIndexes(config.FERRETDB_POSTGRESQL_URL, config.MONGODB_DB, logger);
  await seedDemoCounty(logger, { dataDir: config.DATA_DIR, history: false });
}

describe('hostile input, generated: every route, form and socket event', () => {
  const seed = Number(process.env.FUZZ_SEED ?? DEFAULT_SEED);
  let errors: ServerErrors | undefined;
  let harness: FuzzHarness | undefined;
  const scene = inProcessWeb({
    // Before the server starts: its request logger takes the level it has then.
    prepare: async () => (errors = captureServerErrors(testLogger)),
    beforeClose: async () => harness?.close(),
  });
  after(async function () {
    this.timeout(120_000);
    errors?.restore();
    await reseedDemoCounty();
  });

  it(`answers ${RUNS} inputs with no 5xx, lost ack or error log, and refuses without changing anything`, async function () {
    this.timeout(15 * 60_000);
    console.log(`      fuzz seed ${seed} (FUZZ_SEED=<n> for another)`);
    // Kept as they come, so that a failing run's inputs can be replayed.
    const findingsFile = process.env.FUZZ_FINDINGS ?? path.join(tmpdir(), `cunbo-fuzz-${seed}.md`);
    harness = await FuzzHarness.start(getRuntime(), scene.web, errors!, { seed, findingsFile });
    await harness.run({ runs: RUNS });
    const { stats } = harness;
    console.log(
      `      ${stats.inputs} inputs in ${(stats.ms / 1000).toFixed(0)} s over ${stats.targetsHit} of ` +
        `${harness.targets.routes.length + harness.targets.events.length} routes and events; ` +
        `http ${JSON.stringify(stats.http)}, acks ${JSON.stringify(stats.acks)}, ` +
        `${stats.refusedChecked} refusals checked for writes; most time: ${stats.slowest.join(', ')}`,
    );
    expect(harness.targets.routes.length, 'routes found').to.be.greaterThan(50);
    expect(harness.targets.events.length, 'socket events found').to.be.greaterThan(5);
    const report = findingsMarkdown(harness.findings, { seed, done: stats.inputs });
    const replay = findingsFile.replace(/(\.md)?$/, '.json');
    expect(
      harness.findings.size,
      `\n${report}\nReproduce: FUZZ_SEED=${seed} with this file alone, or npm run fuzz -- --seed ` +
        `${seed} --runs ${RUNS} (a freshly seeded database gets the same inputs); or send the ` +
        `examples again: npm run fuzz -- --replay ${replay}\n`,
    ).to.equal(0);
  });
});
