// `npm run services`: start (or find) Redis, MongoDB/FerretDB and stripe-mock and keep them
// running until Ctrl-C — for running `npm run web` and `npm run worker` side by side.
import { loadConfig } from '../server/core/config.ts';
import { runEntryPoint } from '../server/core/entry.ts';
import { ensureLocalServices } from '../server/core/local-services/index.ts';
import { createLogger } from '../server/core/logger.ts';
import { installShutdown } from '../server/core/shutdown.ts';

runEntryPoint(async () => {
  const config = loadConfig();
  const logger = createLogger(config, 'cunbo-services');
  const services = await ensureLocalServices(config, logger);
  process.stdout.write(
    [
      `REDIS_URL=${services.redis.url}`,
      `MONGODB_URI=${services.mongo.uri}`,
      `stripe: ${services.stripe.mode}${services.stripe.api ? ` on port ${services.stripe.api.port}` : ''}`,
      'Press Ctrl-C to stop the services this command started.',
    ].join('\n') + '\n',
  );
  installShutdown(logger, config.SHUTDOWN_TIMEOUT_MS, () => [['services', () => services.stop()]]);
  setInterval(() => {}, 1 << 30); // stay up until a signal arrives
});
