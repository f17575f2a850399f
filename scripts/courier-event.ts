// Plays the courier for a parcel: posts one signed tracking event to the running web server.
//   npm run courier -- --list                      the waybills that exist, with their parcels
//   npm run courier -- --courier chinapost --waybill CP730000000017 --kind collected \
//     [--location 平顺县揽投部] [--note ...] [--base http://localhost:3000]
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { loadConfig } from '../server/core/config.ts';
import { createLogger } from '../server/core/logger.ts';
import { openRuntime } from '../server/app/runtime.ts';
import { ParcelModel } from '../server/hub/parcel.model.ts';
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
      list: { type: 'boolean', default: false },
    },
  });
  if (values.list) {
    await listWaybills();
    return;
  }
  if (!values.courier || !values.waybill || !TRACKING_KINDS.includes(values.kind as TrackingKind)) {
    process.stderr.write(
      'usage: npm run courier -- --list\n' +
        '       npm run courier -- --courier <code> --waybill <number> ' +
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

/** Every parcel with a waybill, newest first: what a courier could scan. */
async function listWaybills() {
  const config = loadConfig();
  const runtime = await openRuntime(config, createLogger({ ...config, LOG_LEVEL: 'warn' }));
  try {
    const parcels = await ParcelModel.find(
      { waybillNo: { $exists: true, $ne: null } },
      { parcelNo: 1, courierCode: 1, waybillNo: 1, status: 1, createdAt: 1 },
    )
      .sort({ createdAt: -1 })
      .limit(50)
      .lean();
    if (parcels.length === 0) {
      process.stdout.write(
        'no parcel has a waybill yet: pack one at /hub (or run `npm run seed` for the demo)\n',
      );
      return;
    }
    process.stdout.write('courier      waybill            parcel             status\n');
    for (const p of parcels)
      process.stdout.write(
        `${(p.courierCode ?? '').padEnd(12)} ${(p.waybillNo ?? '').padEnd(18)} ${p.parcelNo.padEnd(18)} ${p.status}\n`,
      );
  } finally {
    await runtime.close();
  }
}
