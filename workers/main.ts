// `npm run worker`: the BullMQ worker process on its own.
import { loadConfig } from '../server/core/config.ts';
import { runEntryPoint } from '../server/core/entry.ts';
import { createLogger } from '../server/core/logger.ts';
import { openRuntime } from '../server/app/runtime.ts';
import { installShutdown } from '../server/core/shutdown.ts';
import { startWorkers } from './index.ts';

runEntryPoint(async () => {
  const config = loadConfig();
  const logger = createLogger(config, 'cunbo-worker');
  const runtime = await openRuntime(config, logger);
  const workers = await startWorkers(runtime);
  installShutdown(logger, config.SHUTDOWN_TIMEOUT_MS, () => [
    ['workers', () => workers.close()],
    ['runtime', () => runtime.close()],
  ]);
});
