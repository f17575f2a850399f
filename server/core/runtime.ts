// What every process (web, worker, both, a test) opens before it does anything:
// config → local services → MongoDB, Redis, i18n. Closed in reverse order.
import type { i18n } from 'i18next';
import type { Redis } from 'ioredis';
import mongoose from 'mongoose';
import type { Config } from './config.ts';
import { connectMongo } from './db.ts';
import { createI18n } from './i18n/index.ts';
import { addFerretLookupIndexes, keepFerretTablesTidy } from './local-services/ferretdb-lookups.ts';
import { ensureLocalServices, type LocalServices } from './local-services/index.ts';
import type { Logger } from './logger.ts';
import { connectRedis, RedisKeys } from './redis.ts';

export interface Runtime {
  config: Config;
  logger: Logger;
  services: LocalServices;
  redis: Redis;
  keys: RedisKeys;
  i18n: i18n;
  /** A new Redis connection to the same server (BullMQ and socket.io need their own). */
  redisUrl: string;
  /**
   * Starts the database's upkeep that PostgreSQL's autovacuum would do, where FerretDB keeps the
   * data in a PostgreSQL that runs without it (one process does it: the worker). Returns stop.
   */
  tidyDatabase(): () => void;
  close(): Promise<void>;
}

export async function openRuntime(config: Config, logger: Logger): Promise<Runtime> {
  const services = await ensureLocalServices(config, logger);
  try {
    await connectMongo(services.mongo.uri, config.MONGODB_DB, logger, config.MONGODB_POOL_SIZE);
    // connectMongo made the collections and their indexes; on FerretDB's PostgreSQL backend they
    // need a twin that its equality filters can use (see ferretdb-lookups.ts).
    const ferretOnPostgres =
      services.mongo.source === 'ferretdb' && config.FERRETDB_BACKEND !== 'sqlite';
    if (ferretOnPostgres)
      await addFerretLookupIndexes(config.FERRETDB_POSTGRESQL_URL, config.MONGODB_DB, logger);
    const redis = connectRedis(services.redis.url, logger, 'main');
    await new Promise<void>((resolve, reject) => {
      redis.once('ready', resolve);
      redis.once('end', () => reject(new Error('Redis closed during start-up')));
    });
    const i18n = await createI18n(config.DEFAULT_LOCALE);
    return {
      config,
      logger,
      services,
      redis,
      keys: new RedisKeys(config.REDIS_PREFIX),
      i18n,
      redisUrl: services.redis.url,
      tidyDatabase() {
        return ferretOnPostgres
          ? keepFerretTablesTidy(config.FERRETDB_POSTGRESQL_URL, config.MONGODB_DB, logger)
          : () => {};
      },
      async close() {
        await mongoose.disconnect().catch(() => {});
        await redis.quit().catch(() => redis.disconnect());
        await services.stop();
      },
    };
  } catch (error) {
    await services.stop();
    throw error;
  }
}
