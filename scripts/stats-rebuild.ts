// `npm run stats:rebuild` recomputes the county's figures (/county) from the orders, parcels and
// trace codes. The county-figures queue is paused meanwhile, so no worker counts a batch into
// figures the rebuild is about to replace; changes noted during the rebuild are counted once the
// queue resumes. Prints {figures, records, ms}.
import { Queue } from 'bullmq';
import { loadConfig } from '../server/core/config.ts';
import { runEntryPoint } from '../server/core/entry.ts';
import { createLogger } from '../server/core/logger.ts';
import { connectRedisForQueues } from '../server/core/redis.ts';
import type { Runtime } from '../server/core/runtime.ts';
import { openRuntime } from '../server/app/runtime.ts';
import { queuePrefix } from '../server/app/services.ts';
import { COUNTY_FIGURES_QUEUE, CountyFigures } from '../server/county/county-figures.ts';

/** How long a worker's running job (a count, or a rebuild of its own) may take to finish. */
const ACTIVE_WAIT_MS = 10 * 60_000;

/** Pauses the county-figures queue, waits for its running job, rebuilds, resumes. */
export async function rebuildCountyFigures(
  runtime: Runtime,
): Promise<{ figures: number; records: number; ms: number }> {
  const connection = connectRedisForQueues(runtime.redisUrl, runtime.logger, 'stats-rebuild');
  const queue = new Queue(COUNTY_FIGURES_QUEUE, { connection, prefix: queuePrefix(runtime) });
  try {
    await queue.pause();
    for (const until = Date.now() + ACTIVE_WAIT_MS; (await queue.getActiveCount()) > 0;) {
      if (Date.now() > until) throw new Error('a county-figures job is still running');
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const started = Date.now();
    const county = new CountyFigures({
      redis: runtime.redis,
      keys: runtime.keys,
      logger: runtime.logger,
    });
    const result = await county.rebuild();
    return { ...result, ms: Date.now() - started };
  } finally {
    // Always resumed: nothing else pauses this queue, and a rebuild cut short (killed) must not
    // leave the figures stopped for good; running this again resumes it.
    await queue.resume();
    await queue.close();
    await connection.quit().catch(() => connection.disconnect());
  }
}

if (import.meta.main)
  runEntryPoint(async () => {
    const config = loadConfig();
    const runtime = await openRuntime(config, createLogger(config, 'cunbo-stats-rebuild'));
    try {
      process.stdout.write(`${JSON.stringify(await rebuildCountyFigures(runtime))}\n`);
    } finally {
      await runtime.close();
    }
  });
