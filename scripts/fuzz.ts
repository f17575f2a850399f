// `npm run fuzz -- [flags]` — the long run of the fuzz suite (issue #13): the same inputs, driver
// and checks as test/core/fuzz.test.ts, for as long as asked.
//
//   --runs N          inputs to send (default 100000)
//   --seed N          the seed (default FUZZ_SEED, else a random one); printed first, so a run
//                     that found something can be run again exactly
//   --findings FILE   keep the findings in FILE (Markdown) as they come, and their inputs in
//                     FILE's .json twin
//   --replay FILE     send the inputs of a findings .json file once each, instead of generating
//   --concurrency N   inputs in flight at once (default 6)
//   --only REGEX      only the routes (as `POST /cart/add`) and socket events that match
//
// It opens its own MongoDB database and Redis prefix on the local services (started if needed,
// as for the tests), seeds the demo county, starts a web server in this process, and removes
// the database and the keys at the end (Ctrl-C included). Progress goes to stderr every 1,000
// inputs; the findings, as Markdown, to stdout. Exit status 1 when there are findings.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import mongoose from 'mongoose';
import { startWebServer } from '../server/app/web-server.ts';
import { deleteKeysWithPrefix } from '../server/core/redis.ts';
import { openRuntime } from '../server/app/runtime.ts';
import { seedDemoCounty } from '../server/seed/seed-demo-county.ts';
import {
  captureServerErrors,
  findingsMarkdown,
  FuzzHarness,
  showInput,
} from '../test/support/fuzz-driver.ts';
import type { FuzzInput } from '../test/support/fuzz-inputs.ts';
import { testConfig, testLogger } from '../test/support/test-env.ts';

const { values: flags } = parseArgs({
  options: {
    runs: { type: 'string', default: '100000' },
    seed: { type: 'string' },
    findings: { type: 'string' },
    replay: { type: 'string' },
    concurrency: { type: 'string', default: '6' },
    only: { type: 'string' },
  },
});
const seed = Number(flags.seed ?? process.env.FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));
const runs = Number(flags.runs);
const concurrency = Number(flags.concurrency);
if (![seed, runs, concurrency].every(Number.isSafeInteger) || runs < 1 || concurrency < 1) {
  console.error('--runs, --seed and --concurrency take whole numbers (runs and concurrency ≥ 1)');
  process.exit(2);
}

const stop = new AbortController();
process.once('SIGINT', () => {
  console.error('stopping after the inputs in flight (Ctrl-C again to quit at once)');
  stop.abort();
});

const runtime = await openRuntime(testConfig(), testLogger);
const errors = captureServerErrors(testLogger);
let exitCode = 0;
try {
  await seedDemoCounty(testLogger, { dataDir: runtime.config.DATA_DIR });
  const web = await startWebServer(runtime, { port: 0 });
  const harness = await FuzzHarness.start(runtime, web, errors, {
    seed,
    findingsFile: flags.findings,
    only: flags.only ? new RegExp(flags.only) : undefined,
  });
  try {
    if (flags.replay) {
      const inputs = JSON.parse(readFileSync(flags.replay, 'utf8')) as FuzzInput[];
      console.error(`replaying ${inputs.length} inputs from ${flags.replay}`);
      for (const { input, verdict } of await harness.replay(inputs))
        console.error(`${verdict}: ${showInput(input).slice(0, 300)}`);
    } else {
      console.error(
        `fuzz: seed ${seed}, ${runs} inputs over ${harness.targets.routes.length} routes and ` +
          `${harness.targets.events.length} socket events`,
      );
      await harness.run({
        runs,
        concurrency,
        signal: stop.signal,
        progress: (line) => console.error(line),
      });
      const { stats } = harness;
      console.error(
        `${stats.inputs} inputs in ${(stats.ms / 1000).toFixed(0)} s; most time: ${stats.slowest.join(', ')}`,
      );
    }
    process.stdout.write(findingsMarkdown(harness.findings, { seed, done: harness.stats.inputs }));
    if (harness.findings.size > 0) exitCode = 1;
  } finally {
    await harness.close();
    await web.close();
  }
} finally {
  errors.restore();
  await mongoose.connection.dropDatabase().catch(() => {});
  await deleteKeysWithPrefix(runtime.redis, runtime.config.REDIS_PREFIX).catch(() => {});
  await runtime.close();
}
process.exit(exitCode);
