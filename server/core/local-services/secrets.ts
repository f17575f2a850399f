// Secrets generated once per checkout for local development (git-ignored, under DATA_DIR).
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export interface LocalSecrets {
  sessionSecret: string;
  stripeWebhookSecret: string;
  courierEventsSecret: string;
}

export function loadLocalSecrets(dataDir: string): LocalSecrets {
  const file = path.join(dataDir, 'local-secrets.json');
  let stored: Partial<LocalSecrets> = {};
  try {
    stored = JSON.parse(readFileSync(file, 'utf8')) as Partial<LocalSecrets>;
  } catch {
    // first run, or unreadable: generate below
  }
  const secrets: LocalSecrets = {
    sessionSecret: stored.sessionSecret ?? randomBytes(32).toString('base64url'),
    stripeWebhookSecret:
      stored.stripeWebhookSecret ?? `whsec_${randomBytes(24).toString('base64url')}`,
    courierEventsSecret: stored.courierEventsSecret ?? randomBytes(32).toString('base64url'),
  };
  if (
    secrets.sessionSecret !== stored.sessionSecret ||
    secrets.stripeWebhookSecret !== stored.stripeWebhookSecret ||
    secrets.courierEventsSecret !== stored.courierEventsSecret
  ) {
    writeFileSync(file, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  }
  return secrets;
}
