import path from 'node:path';
import type { Config } from '../config.ts';
import { PrerequisiteError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { ensureGoTool } from './go-tools.ts';
import { isPortOpen, startServer, type ManagedProcess } from './processes.ts';

export interface StripeService {
  mode: 'stripe' | 'stripe-mock';
  secretKey: string;
  webhookSecret: string;
  /** Where the SDK sends requests when it is not Stripe's own API. */
  api?: { host: string; port: number; protocol: 'http' };
  process?: ManagedProcess;
}

export const STRIPE_MOCK_KEY = 'sk_test_cunboLocal';

/** Real Stripe test mode when keys are given, else stripe-mock built and started by the project. */
export async function resolveStripe(
  config: Config,
  logger: Logger,
  localWebhookSecret: string,
): Promise<StripeService> {
  if (config.STRIPE_SECRET_KEY && config.STRIPE_WEBHOOK_SECRET) {
    return {
      mode: 'stripe',
      secretKey: config.STRIPE_SECRET_KEY,
      webhookSecret: config.STRIPE_WEBHOOK_SECRET,
    };
  }
  const port = config.STRIPE_MOCK_PORT;
  const service: StripeService = {
    mode: 'stripe-mock',
    secretKey: STRIPE_MOCK_KEY,
    webhookSecret: localWebhookSecret,
    api: { host: '127.0.0.1', port, protocol: 'http' },
  };
  if (await pingStripeMock(port)) return service;
  if (await isPortOpen(port)) {
    throw new PrerequisiteError(
      `port ${port} is taken by a program that is not stripe-mock: free it or set STRIPE_MOCK_PORT`,
    );
  }
  const binary = await ensureGoTool(
    config.TOOLS_DIR,
    path.join(config.DATA_DIR, 'logs'),
    'stripe-mock',
    logger,
    'set STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET for Stripe test mode',
  );
  service.process = await startServer({
    name: 'stripe-mock',
    command: binary,
    args: ['-http-addr', `127.0.0.1:${port}`, '-https-addr', `127.0.0.1:${port + 1}`],
    logFile: path.join(config.DATA_DIR, 'logs', 'stripe-mock.log'),
    ready: () => pingStripeMock(port),
  });
  logger.info({ port }, 'started stripe-mock');
  return service;
}

export async function pingStripeMock(port: number): Promise<boolean> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/v1/balance`, {
      headers: { authorization: `Bearer ${STRIPE_MOCK_KEY}` },
      signal: AbortSignal.timeout(1000),
    });
    const body = (await response.json()) as { object?: string };
    return response.ok && body.object === 'balance';
  } catch {
    return false;
  }
}
