// The one place that reads process.env. Everything else receives a frozen Config.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseDotenv } from 'dotenv';
import { z } from 'zod';

export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

const port = z.coerce
  .number({ error: 'a TCP port number (1-65535)' })
  .int('a TCP port number (1-65535)')
  .min(1, 'a TCP port number (1-65535)')
  .max(65535, 'a TCP port number (1-65535)');

const flag = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'], { error: 'true or false' })
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const optionalText = z
  .string()
  .trim()
  .transform((v) => (v === '' ? undefined : v))
  .optional();

const schema = z
  .object({
    NODE_ENV: z.enum(['development', 'test', 'production'], {
      error: 'one of development, test, production',
    }),
    HOST: z.string().min(1, 'a host name or IP address to listen on'),
    PORT: port,
    PUBLIC_URL: optionalText.pipe(
      z.url({ error: 'an absolute URL such as http://localhost:3000' }).optional(),
    ),
    LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'], {
      error: 'one of trace, debug, info, warn, error, fatal, silent',
    }),
    DATA_DIR: z.string().min(1, 'a folder path for local data'),
    TOOLS_DIR: z.string().min(1, 'a folder path for locally built tools'),

    REDIS_URL: optionalText.pipe(
      z
        .string()
        .regex(/^rediss?:\/\/\S+$/, 'a redis:// URL such as redis://127.0.0.1:6379/0')
        .optional(),
    ),
    REDIS_FALLBACK_PORT: port,
    REDIS_PREFIX: z
      .string()
      .regex(/^[a-z0-9][a-z0-9_-]*$/i, 'letters, digits, - and _ only (e.g. cunbo)'),

    MONGODB_URI: optionalText.pipe(
      z
        .string()
        .regex(/^mongodb(\+srv)?:\/\//, 'a mongodb:// or mongodb+srv:// URI')
        .optional(),
    ),
    MONGODB_DB: z
      .string()
      .regex(/^[a-z0-9_-]{1,60}$/i, 'a database name: letters, digits, - and _ only'),
    /** Connections each process opens to MongoDB at most (see DESIGN: FerretDB's pool). */
    MONGODB_POOL_SIZE: z.coerce
      .number({ error: 'a number of connections, e.g. 3' })
      .int('a whole number of connections, e.g. 3')
      .min(2, 'at least 2 connections')
      .max(100, 'at most 100 connections'),
    MONGOD_PORT: port,
    FERRETDB_PORT: port,
    /** PostgreSQL connections the FerretDB the project starts may open (its pool_max_conns). */
    FERRETDB_POOL_SIZE: z.coerce
      .number({ error: 'a number of connections, e.g. 30' })
      .int('a whole number of connections, e.g. 30')
      .min(4, 'at least 4 connections')
      .max(90, 'at most 90 connections (PostgreSQL allows 100 in all here)'),
    FERRETDB_BACKEND: z.enum(['auto', 'postgresql', 'sqlite']),
    FERRETDB_POSTGRESQL_URL: z
      .string()
      .regex(
        /^postgres(ql)?:\/\/[^/\s]+\/[a-z_][a-z0-9_]{0,62}(\?\S*)?$/,
        'a postgres:// URL ending in a database name, e.g. postgres://postgres@127.0.0.1:5432/cunbo',
      ),

    STRIPE_SECRET_KEY: optionalText.pipe(
      z
        .string()
        .regex(/^(sk|rk)_(test|live)_/, 'a Stripe secret key starting with sk_test_ or sk_live_')
        .optional(),
    ),
    STRIPE_WEBHOOK_SECRET: optionalText.pipe(
      z.string().startsWith('whsec_', 'a webhook signing secret starting with whsec_').optional(),
    ),
    STRIPE_PUBLISHABLE_KEY: optionalText.pipe(
      z
        .string()
        .regex(/^pk_(test|live)_/, 'a publishable key starting with pk_test_ or pk_live_')
        .optional(),
    ),
    STRIPE_MOCK_PORT: port,

    SESSION_SECRET: optionalText.pipe(
      z.string().min(32, 'at least 32 random characters').optional(),
    ),
    /** Master secret the per-courier tracking-event signing secrets are derived from. */
    COURIER_EVENTS_SECRET: optionalText.pipe(
      z.string().min(32, 'at least 32 random characters').optional(),
    ),
    SEED_ON_START: flag,
    SHUTDOWN_TIMEOUT_MS: z.coerce
      .number({ error: 'milliseconds, e.g. 10000' })
      .int('milliseconds, e.g. 10000')
      .min(1000, 'at least 1000 (ms)')
      .max(60000, 'at most 60000 (ms)'),
    DEFAULT_LOCALE: z.enum(['zh-CN', 'en'], { error: 'zh-CN or en' }),
    /** Which proxies' X-Forwarded-For to believe (Express "trust proxy"): per-IP limits need it. */
    TRUST_PROXY: z
      .string()
      .regex(
        /^(loopback|linklocal|uniquelocal|[0-9a-f.:/, ]+|[0-9]+)$/i,
        "loopback, a hop count such as 1, or the proxies' addresses/subnets, comma-separated",
      ),
    SIGN_UPS_PER_IP_HOUR: z.coerce
      .number({ error: 'accounts one IP address may make in an hour, e.g. 10' })
      .int('a whole number of accounts, e.g. 10')
      .min(1, 'at least 1 account an hour')
      .max(100_000, 'at most 100000 accounts an hour'),
    HUB_CONSOLIDATION_WINDOW_S: z.coerce
      .number()
      .int()
      .min(0, "seconds a parcel waits for the same buyer's other orders (0 or more)")
      .max(86_400, 'at most a day (86400 seconds)'),
    ORDER_PAY_TIMEOUT_S: z.coerce
      .number({ error: 'seconds, e.g. 900' })
      .int('seconds, e.g. 900')
      .min(1, 'at least 1 (second)')
      .max(7 * 24 * 3600, 'at most 604800 (a week)'),
    /** Group commit of placed orders: flush at this many placements… */
    ORDER_BATCH_MAX: z.coerce
      .number({ error: 'a number of orders, e.g. 200' })
      .int('a whole number of orders, e.g. 200')
      .min(1, 'at least 1 order')
      .max(1000, 'at most 1000 orders'),
    /** …or when the first has waited this long (ms)… */
    ORDER_BATCH_WAIT_MS: z.coerce
      .number({ error: 'milliseconds, e.g. 5' })
      .int('whole milliseconds, e.g. 5')
      .min(0, '0 or more milliseconds')
      .max(10_000, 'at most 10000 ms'),
    /** …with at most this many flushes in flight per process. */
    ORDER_BATCH_FLUSHES: z.coerce
      .number({ error: 'a number of flushes, e.g. 2' })
      .int('a whole number of flushes, e.g. 2')
      .min(1, 'at least 1 flush')
      .max(16, 'at most 16 flushes'),
  })
  .superRefine((c, ctx) => {
    if (Boolean(c.STRIPE_SECRET_KEY) !== Boolean(c.STRIPE_WEBHOOK_SECRET)) {
      ctx.addIssue({
        code: 'custom',
        path: [c.STRIPE_SECRET_KEY ? 'STRIPE_WEBHOOK_SECRET' : 'STRIPE_SECRET_KEY'],
        message:
          'set both STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET for real Stripe, or neither for stripe-mock',
      });
    }
  });

export type Config = Readonly<Omit<z.output<typeof schema>, 'PUBLIC_URL'> & { PUBLIC_URL: string }>;

export const DEFAULTS: Readonly<Record<keyof z.input<typeof schema>, string>> = Object.freeze({
  NODE_ENV: 'development',
  HOST: '0.0.0.0',
  PORT: '3000',
  PUBLIC_URL: '',
  LOG_LEVEL: 'info',
  DATA_DIR: path.join(PROJECT_ROOT, 'data'),
  TOOLS_DIR: path.join(PROJECT_ROOT, '.tools'),
  REDIS_URL: '',
  REDIS_FALLBACK_PORT: '6390',
  REDIS_PREFIX: 'cunbo',
  MONGODB_URI: '',
  MONGODB_DB: 'cunbo',
  MONGODB_POOL_SIZE: '3',
  MONGOD_PORT: '27017',
  FERRETDB_PORT: '27027',
  FERRETDB_POOL_SIZE: '30',
  FERRETDB_BACKEND: 'auto',
  FERRETDB_POSTGRESQL_URL: 'postgres://postgres@127.0.0.1:5432/cunbo',
  STRIPE_SECRET_KEY: '',
  STRIPE_WEBHOOK_SECRET: '',
  STRIPE_PUBLISHABLE_KEY: '',
  STRIPE_MOCK_PORT: '12111',
  SESSION_SECRET: '',
  COURIER_EVENTS_SECRET: '',
  SEED_ON_START: 'true',
  SHUTDOWN_TIMEOUT_MS: '10000',
  DEFAULT_LOCALE: 'zh-CN',
  TRUST_PROXY: 'loopback',
  ORDER_PAY_TIMEOUT_S: '900',
  HUB_CONSOLIDATION_WINDOW_S: '600',
  SIGN_UPS_PER_IP_HOUR: '10',
  ORDER_BATCH_MAX: '200',
  ORDER_BATCH_WAIT_MS: '5',
  ORDER_BATCH_FLUSHES: '2',
});

export class ConfigError extends Error {
  readonly problems: readonly string[];
  constructor(problems: string[]) {
    super(`invalid configuration: ${problems.join('; ')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

export interface ConfigSources {
  /** Variables from the environment; defaults to process.env. */
  env?: Record<string, string | undefined>;
  /** Path of a dotenv file; defaults to <project>/.env. A missing file is fine. */
  envFile?: string | null;
}

/** Defaults, then .env, then the environment; validated and frozen. */
export function loadConfig(sources: ConfigSources = {}): Config {
  const env = sources.env ?? process.env;
  const envFile = sources.envFile === undefined ? path.join(PROJECT_ROOT, '.env') : sources.envFile;
  const fromFile = envFile ? readDotenv(envFile) : {};

  const merged: Record<string, string> = { ...DEFAULTS };
  for (const key of Object.keys(DEFAULTS)) {
    const value = env[key] ?? fromFile[key];
    if (value !== undefined) merged[key] = value;
  }

  const result = schema.safeParse(merged);
  if (!result.success) {
    throw new ConfigError(
      result.error.issues.map((issue) => {
        const key = issue.path.join('.') || 'config';
        return `${key}=${JSON.stringify(merged[key] ?? '')} is invalid: expected ${issue.message}`;
      }),
    );
  }
  const config = result.data;
  return Object.freeze({
    ...config,
    PUBLIC_URL: config.PUBLIC_URL ?? `http://localhost:${config.PORT}`,
  });
}

function readDotenv(file: string): Record<string, string> {
  try {
    return parseDotenv(readFileSync(file));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw error;
  }
}
