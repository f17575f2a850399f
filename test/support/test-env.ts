// Each test run gets its own MongoDB database and Redis key prefix, so it never touches
// demo data, and removes both when it ends.
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { loadConfig, type Config } from '../../server/core/config.ts';
import { createLogger } from '../../server/core/logger.ts';

export const RUN_ID = `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;

export function testConfig(overrides: Record<string, string> = {}): Config {
  return loadConfig({
    envFile: null,
    env: {
      ...process.env,
      NODE_ENV: 'test',
      LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
      MONGODB_DB: `cunbo_test_${RUN_ID}`,
      REDIS_PREFIX: `cunbo-test-${RUN_ID}`,
      SEED_ON_START: 'false',
      // Parcels wait two seconds for the same buyer's other orders, not ten minutes.
      HUB_CONSOLIDATION_WINDOW_S: '2',
      // Every test signs up from 127.0.0.1; the throttle has its own test with its own limit.
      SIGN_UPS_PER_IP_HOUR: '100000',
      ...overrides,
    },
  });
}

export const testLogger = createLogger({ LOG_LEVEL: 'silent', NODE_ENV: 'test' });

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
