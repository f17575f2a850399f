// `npm run seed` adds whatever demo data is missing; `npm run seed -- --reset` rebuilds it all.
import { parseArgs } from 'node:util';
import { loadConfig } from '../server/core/config.ts';
import { runEntryPoint } from '../server/core/entry.ts';
import { createLogger } from '../server/core/logger.ts';
import { deleteKeysWithPrefix } from '../server/core/redis.ts';
import { openRuntime } from '../server/app/runtime.ts';
import { demoLoginLines } from '../server/seed/login-list.ts';
import { resetDatabase, seedDemoCounty } from '../server/seed/seed-demo-county.ts';

runEntryPoint(async () => {
  const { values } = parseArgs({ options: { reset: { type: 'boolean', default: false } } });
  const config = loadConfig();
  const logger = createLogger(config, 'cunbo-seed');
  const runtime = await openRuntime(config, logger);
  try {
    if (values.reset) {
      await resetDatabase();
      const keys = await deleteKeysWithPrefix(runtime.redis, config.REDIS_PREFIX);
      logger.info({ db: config.MONGODB_DB, redisKeys: keys }, 'database and Redis namespace reset');
    }
    const { created } = await seedDemoCounty(logger, { dataDir: config.DATA_DIR });
    process.stdout.write(
      `seeded: ${JSON.stringify(created)}\nDemo logins:\n${demoLoginLines().join('\n')}\n`,
    );
  } finally {
    await runtime.close();
  }
});
