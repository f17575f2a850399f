import { DEMO_PASSWORD, DEMO_USERS } from './demo-county.ts';

const ROLE_LABEL = {
  admin: 'county admin',
  hub_staff: 'hub staff',
  buyer: 'buyer',
  streamer: 'streamer',
} as const;

/** The demo logins, one line each, as printed at start-up and listed in the README. */
export function demoLoginLines(): string[] {
  return DEMO_USERS.map(
    (u) =>
      `  ${ROLE_LABEL[u.role].padEnd(12)} ${u.phone}  ${DEMO_PASSWORD}  ${u.displayName}${u.shop ? ` (${u.shop})` : ''}`,
  );
}
