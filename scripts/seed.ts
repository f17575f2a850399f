// `npm run seed` adds whatever demo data is missing; `npm run seed -- --reset` rebuilds it all.
// `npm run seed -- --history N [--days D]` adds N more past orders (over the last D days, 35 by
// default) with fresh numbers, on top of the demo's own history; the county's figures are then
// rebuilt, since past orders are not seen by the worker's catch-up.
import { parseArgs } from 'node:util';
import { loadConfig } from '../server/core/config.ts';
import { runEntryPoint } from '../server/core/entry.ts';
import { createLogger } from '../server/core/logger.ts';
import { deleteKeysWithPrefix } from '../server/core/redis.ts';
import { openRuntime } from '../server/app/runtime.ts';
import { DEMO_HISTORY, seedOrderHistory } from '../server/seed/demo-history.ts';
import { demoLoginLines } from '../server/seed/login-list.ts';
import { resetDatabase, seedDemoCounty } from '../server/seed/seed-demo-county.ts';
import { rebuildCountyFigures } from './stats-rebuild.ts';

function count(name: string, raw: string | undefined, min: number, max: number): number {
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    process.stderr.write(`seed: --${name} must be a whole number from ${min} to ${max}\n`);
    process.exit(2);
  }
  return n;
}

runEntryPoint(async () => {
  const { values } = parseArgs({
    options: {
      reset: { type: 'boolean', default: false },
      history: { type: 'string' },
      days: { type: 'string', default: String(DEMO_HISTORY.days) },
    },
  });
  const history = values.history === undefined ? 0 : count('history', values.history, 1, 1_000_000);
  const days = count('days', values.days, 7, 366);
  const config = loadConfig();
  const logger = createLogger(config, 'cunbo-seed');
  const runtime = await openRuntime(config, logger);
  try {
    if (values.reset) {
      await resetDatabase();
      const keys = await deleteKeysWithPrefix(runtime.redis, config.REDIS_PREFIX);
      logger.info({ db: config.MONGODB_DB, redisKeys: keys }, 'database and Redis namespace reset');
    }
    const seedStart = Date.now();
    const { created } = await seedDemoCounty(logger, { dataDir: config.DATA_DIR });
    process.stdout.write(
      `seeded in ${Date.now() - seedStart} ms: ${JSON.stringify(created)}\n` +
        `Demo logins:\n${demoLoginLines().join('\n')}\n`,
    );
    let added = created.HistoryOrder ?? 0;
    if (history > 0) {
      const more = await seedOrderHistory({ orders: history, days, more: true });
      added += more.orders;
      process.stdout.write(
        `history run ${more.run}: ${more.orders} orders, ${more.parcels} parcels, ` +
          `${more.codes} trace codes, ${more.buyers} buyers in ${more.ms} ms ` +
          `(${Math.round((more.orders / more.ms) * 1000)} orders/s); ` +
          `by status ${JSON.stringify(more.byStatus)}\n`,
      );
    }
    if (added > 0) {
      const rebuilt = await rebuildCountyFigures(runtime);
      process.stdout.write(
        `county figures rebuilt in ${rebuilt.ms} ms: ${rebuilt.figures} figures ` +
          `from ${rebuilt.records} records\n`,
      );
    }
  } finally {
    await runtime.close();
  }
});
