// Steps of the hub's day that several tests walk through: paying through the real webhook,
// a courier's signed tracking event, and a parcel picked and packed by scanning.
import { expect } from 'chai';
import type { Actor } from '../../server/accounts/actor.ts';
import type { WebServer } from '../../server/app/web-server.ts';
import {
  COURIER_SIGNATURE_HEADER,
  courierSecretFor,
  signCourierEvents,
} from '../../server/hub/couriers/local-courier.ts';
import { CourierModel } from '../../server/hub/courier.model.ts';
import { ParcelModel } from '../../server/hub/parcel.model.ts';
import type { Client } from './http-client.ts';
import { getRuntime } from './root-hooks.ts';

/** Pays an order the way the pay page does without Stripe keys: a signed event to the webhook. */
export async function payThroughWebhook(web: WebServer, actor: Actor, orderNo: string) {
  const { payload, signature } = await web.services.payments.buildLocalPaymentEvent(
    actor,
    orderNo,
    'alipay',
  );
  const delivered = await fetch(`http://127.0.0.1:${web.port}/webhooks/stripe`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'stripe-signature': signature },
    body: payload,
  });
  expect(delivered.status).to.equal(200);
  return (JSON.parse(payload) as { id: string }).id;
}

/** One tracking event from the courier, signed with its secret. */
export function courierEvent(web: WebServer, courierCode: string, waybillNo: string, kind: string) {
  const body = JSON.stringify({
    events: [
      {
        eventId: `${waybillNo}-${kind}`,
        waybillNo,
        kind,
        at: new Date().toISOString(),
        location: kind === 'delivered' ? '北京朝阳望京站' : '山西长治平顺',
      },
    ],
  });
  const secret = courierSecretFor(getRuntime().services.courierEventsSecret, courierCode);
  return fetch(`http://127.0.0.1:${web.port}/couriers/${courierCode}/events`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      [COURIER_SIGNATURE_HEADER]: signCourierEvents(secret, body, Math.floor(Date.now() / 1000)),
    },
    body,
  });
}

/** Starts the wave for the parcel's courier cut-off; returns the wave number. */
export async function startWaveFor(staff: Client, parcelNo: string): Promise<string> {
  const parcel = (await ParcelModel.findOne({ parcelNo }).lean())!;
  const { pickupCutoff } = (await CourierModel.findOne({ code: parcel.courierCode }).lean())!;
  const started = await staff.postForm('/hub/waves', { cutoff: pickupCutoff });
  expect(started.status).to.equal(303);
  return started.headers.get('location')!.split('/').pop()!;
}

/** Every unit of the parcel, one scan each (what the picker and the packer scan). */
export async function unitBarcodes(parcelNo: string): Promise<string[]> {
  const parcel = (await ParcelModel.findOne({ parcelNo }).lean())!;
  return parcel.lines.flatMap((l) => Array<string>(l.quantity - l.short).fill(l.barcode));
}

/** Fetches a PDF the hub serves (label, manifest) with the staff member's session. */
export async function fetchPdf(staff: Client, path: string): Promise<Buffer> {
  const reply = await fetch(`${staff.base}${path}`, { headers: { cookie: staff.cookieHeader() } });
  expect(reply.status, path).to.equal(200);
  expect(reply.headers.get('content-type')).to.include('application/pdf');
  return Buffer.from(await reply.arrayBuffer());
}
