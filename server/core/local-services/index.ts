// One code path, shared by `npm start`, `npm run web|worker`, `npm test` and CI, that finds
// or starts Redis, MongoDB (or FerretDB) and Stripe (or stripe-mock).
import path from 'node:path';
import type { Config } from '../config.ts';
import type { Logger } from '../logger.ts';
import { resolveMongo, type MongoService } from './mongo.ts';
import { ensureWritableDir, type ManagedProcess } from './processes.ts';
import { resolveRedis, type RedisService } from './redis.ts';
import { loadLocalSecrets } from './secrets.ts';
import { resolveStripe, type StripeService } from './stripe.ts';

export interface LocalServices {
  redis: RedisService;
  mongo: MongoService;
  stripe: StripeService;
  sessionSecret: string;
  /** Master secret for couriers' signed tracking events (see hub/couriers/local-courier.ts). */
  courierEventsSecret: string;
  /** Stops only the servers this process started. */
  stop(): Promise<void>;
}

export async function ensureLocalServices(config: Config, logger: Logger): Promise<LocalServices> {
  ensureWritableDir(config.DATA_DIR, 'data');
  ensureWritableDir(path.join(config.DATA_DIR, 'logs'), 'log');
  ensureWritableDir(config.TOOLS_DIR, 'tools');
  const secrets = loadLocalSecrets(config.DATA_DIR);

  const started: (ManagedProcess | undefined)[] = [];
  const stopStarted = () => Promise.all(started.map((p) => p?.stop())).then(() => undefined);
  try {
    const redis = await resolveRedis(config, logger);
    started.push(redis.process);
    const [mongo, stripe] = await Promise.all([
      resolveMongo(config, logger).then((m) => (started.push(m.process), m)),
      resolveStripe(config, logger, secrets.stripeWebhookSecret).then(
        (s) => (started.push(s.process), s),
      ),
    ]);
    logger.info(
      { redis: redis.source, mongo: mongo.source, stripe: stripe.mode },
      'local services ready',
    );
    return {
      redis,
      mongo,
      stripe,
      sessionSecret: config.SESSION_SECRET ?? secrets.sessionSecret,
      courierEventsSecret: config.COURIER_EVENTS_SECRET ?? secrets.courierEventsSecret,
      stop: stopStarted,
    };
  } catch (error) {
    await stopStarted();
    throw error;
  }
}
