// `npm run web`: the web process (Express + socket.io) on its own.
import { loadConfig } from './core/config.ts';
import { runEntryPoint } from './core/entry.ts';
import { startWebServer } from './app/web-server.ts';
import { createLogger } from './core/logger.ts';
import { openRuntime } from './app/runtime.ts';
import { installShutdown } from './core/shutdown.ts';

runEntryPoint(async () => {
  const config = loadConfig();
  const logger = createLogger(config, 'cunbo-web');
  const runtime = await openRuntime(config, logger);
  const web = await startWebServer(runtime).catch(async (error: unknown) => {
    await runtime.close();
    throw error;
  });
  installShutdown(logger, config.SHUTDOWN_TIMEOUT_MS, () => [
    ['web', () => web.close()],
    ['runtime', () => runtime.close()],
  ]);
});
