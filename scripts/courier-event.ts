// Plays the courier for a demo parcel: posts one signed tracking event to the running web server.
//   node scripts/courier-event.ts --courier chinapost --waybill CP730000000017 --kind collected \
//     [--location 平顺县揽投部] [--note ...] [--base http://localhost:3000]
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { loadConfig } from '../server/core/config.ts';
import { runEntryPoint } from '../server/core/entry.ts';
import { loadLocalSecrets } from '../server/core/local-services/secrets.ts';
import { TRACKING_KINDS, type TrackingKind } from '../server/hub/couriers/courier-adapter.ts';
import {
  COURIER_SIGNATURE_HEADER,
  courierSecretFor,
  signCourierEvents,
} from '../server/hub/couriers/local-courier.ts';

runEntryPoint(async () => {
  const { values } = parseArgs({
    options: {
      courier: { type: 'string' },
      waybill: { type: 'string' },
      kind: { type: 'string' },
      location: { type: 'string', default: '' },
      note: { type: 'string', default: '' },
      base: { type: 'string' },
    },
  });
  if (!values.courier || !values.waybill || !TRACKING_KINDS.includes(values.kind as TrackingKind)) {
    process.stderr.write(
      'usage: node scripts/courier-event.ts --courier <code> --waybill <number> ' +
        `--kind <${TRACKING_KINDS.join('|')}> [--location <text>] [--note <text>] [--base <url>]\n`,
    );
    process.exit(2);
  }
  const config = loadConfig();
  const master =
    config.COURIER_EVENTS_SECRET ?? loadLocalSecrets(config.DATA_DIR).courierEventsSecret;
  const body = JSON.stringify({
    events: [
      {
        eventId: `manual-${randomUUID()}`,
        waybillNo: values.waybill,
        kind: values.kind,
        at: new Date().toISOString(),
        location: values.location,
        note: values.note,
      },
    ],
  });
  const t = Math.floor(Date.now() / 1000);
  const base = values.base ?? config.PUBLIC_URL;
  const reply = await fetch(`${base}/couriers/${encodeURIComponent(values.courier)}/events`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json',
      [COURIER_SIGNATURE_HEADER]: signCourierEvents(
        courierSecretFor(master, values.courier),
        body,
        t,
      ),
    },
    body,
  });
  process.stdout.write(`${reply.status} ${await reply.text()}\n`);
  if (!reply.ok) process.exit(1);
});
