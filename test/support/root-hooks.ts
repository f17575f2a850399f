// Opens the shared test runtime once (starting FerretDB and stripe-mock if needed) and
// drops the run's database and Redis keys at the end.
import mongoose from 'mongoose';
import { deleteKeysWithPrefix } from '../../server/core/redis.ts';
import { openRuntime, type Runtime } from '../../server/app/runtime.ts';
import { testConfig, testLogger } from './test-env.ts';

let runtime: Runtime | undefined;

export function getRuntime(): Runtime {
  if (!runtime) throw new Error('the test runtime is not open (root hook did not run)');
  return runtime;
}

export const mochaHooks = {
  async beforeAll(this: Mocha.Context) {
    this.timeout(15 * 60 * 1000); // the first run on a machine builds FerretDB and stripe-mock
    runtime = await openRuntime(testConfig(), testLogger);
  },
  async afterAll(this: Mocha.Context) {
    this.timeout(60_000);
    if (!runtime) return;
    await mongoose.connection.dropDatabase().catch(() => {});
    await deleteKeysWithPrefix(runtime.redis, runtime.config.REDIS_PREFIX).catch(() => {});
    await runtime.close();
  },
};
