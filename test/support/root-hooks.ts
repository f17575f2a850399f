// Opens the shared test runtime once (starting FerretDB and stripe-mock if needed) and
// drops the run's database and Redis keys at the end. No process the suite started outlives
// it: each test's leftovers are stopped after it, and the run fails if any was left behind.
import mongoose from 'mongoose';
import { deleteKeysWithPrefix } from '../../server/core/redis.ts';
import { openRuntime, type Runtime } from '../../server/app/runtime.ts';
import { beginTest, endTest, isAlive, stillAlive, stopAllSpawned } from './spawned-processes.ts';
import { testConfig, testLogger } from './test-env.ts';
import { scaled, TIME_FACTOR, TIMEOUTS } from './timeouts.ts';

let runtime: Runtime | undefined;
/** Processes still running once every test and hook of the suite has finished. */
const leftBehind: string[] = [];

export function getRuntime(): Runtime {
  if (!runtime) throw new Error('the test runtime is not open (root hook did not run)');
  return runtime;
}

type Hooks = Record<'_beforeAll' | '_beforeEach' | '_afterEach' | '_afterAll', Mocha.Hook[]>;

/** Every test's and hook's timeout, as declared, stretched by TEST_TIME_FACTOR. */
function stretchTimeouts(suite: Mocha.Suite): void {
  const hooks = suite as unknown as Hooks; // mocha keeps a suite's hooks in these fields
  const runnables = [
    ...suite.tests,
    ...hooks._beforeAll,
    ...hooks._beforeEach,
    ...hooks._afterEach,
    ...hooks._afterAll,
  ];
  for (const runnable of runnables) runnable.timeout(runnable.timeout() * TIME_FACTOR);
  suite.suites.forEach(stretchTimeouts);
}

export const mochaHooks = {
  async beforeAll(this: Mocha.Context) {
    this.timeout(scaled(15 * 60 * 1000)); // the first run on a machine builds FerretDB and stripe-mock
    if (TIME_FACTOR !== 1) stretchTimeouts(this.test!.parent!);
    runtime = await openRuntime(testConfig(), testLogger);
  },
  beforeEach() {
    beginTest();
  },
  async afterEach(this: Mocha.Context) {
    this.timeout(2 * TIMEOUTS.processExit);
    // What the test started and left running (a failure cut its clean-up short, or its describe
    // block's after hook would have stopped it) is stopped now, before the next test starts.
    await endTest();
  },
  async afterAll(this: Mocha.Context) {
    this.timeout(scaled(60_000));
    // What describe blocks' hooks left running goes first, while the services it uses are up.
    const fromHooks = await stopAllSpawned();
    if (fromHooks.length > 0) leftBehind.push(`by before/after hooks: ${fromHooks.join(', ')}`);
    const { redis, mongo, stripe } = runtime?.services ?? {};
    if (runtime) {
      await mongoose.connection.dropDatabase().catch(() => {});
      await deleteKeysWithPrefix(runtime.redis, runtime.config.REDIS_PREFIX).catch(() => {});
      await runtime.close();
    }
    const services = [redis?.process, mongo?.process, stripe?.process].flatMap((p) =>
      p && isAlive(p.pid) ? [`${p.name} (pid ${p.pid})`] : [],
    );
    const alive = [...stillAlive(), ...services];
    await stopAllSpawned();
    if (alive.length > 0) leftBehind.push(`alive at the end of the run: ${alive.join(', ')}`);
    if (leftBehind.length > 0)
      throw new Error(`processes the suite started were left running:\n${leftBehind.join('\n')}`);
  },
};
