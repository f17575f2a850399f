// `npm start`: the embedded default — local services, demo data, web and workers in one process.
import { loadConfig } from './core/config.ts';
import { runEntryPoint } from './core/entry.ts';
import { startWebServer } from './app/web-server.ts';
import { createLogger } from './core/logger.ts';
import { openRuntime } from './app/runtime.ts';
import { installShutdown } from './core/shutdown.ts';
import { demoLoginLines } from './seed/login-list.ts';
import { isDatabaseEmpty, seedDemoCounty } from './seed/seed-demo-county.ts';
import { startWorkers } from '../workers/index.ts';

runEntryPoint(async () => {
  const config = loadConfig();
  const logger = createLogger(config);
  const runtime = await openRuntime(config, logger);
  try {
    if (config.SEED_ON_START && (await isDatabaseEmpty()))
      await seedDemoCounty(logger, { dataDir: config.DATA_DIR });
    const web = await startWebServer(runtime);
    const workers = await startWorkers(runtime, web.services);
    installShutdown(logger, config.SHUTDOWN_TIMEOUT_MS, () => [
      ['web', () => web.close()],
      ['workers', () => workers.close()],
      ['runtime', () => runtime.close()],
    ]);
    process.stdout.write(
      [
        '',
        `Cunbo is up: ${config.PUBLIC_URL}`,
        `  MongoDB: ${runtime.services.mongo.source} · Redis: ${runtime.services.redis.source} · Stripe: ${runtime.services.stripe.mode}`,
        'Demo logins (role, phone, password):',
        ...demoLoginLines(),
        '',
      ].join('\n') + '\n',
    );
  } catch (error) {
    await runtime.close();
    throw error;
  }
});
