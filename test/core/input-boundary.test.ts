// The input boundary (issue #13): each kind of bad input that once got a 500 now gets a 400 that
// names the field, and changes nothing.
import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import sharp from 'sharp';
import { UserModel } from '../../server/accounts/user.model.ts';
import { storeProductPhoto } from '../../server/catalogue/photos.ts';
import { SkuModel } from '../../server/catalogue/sku.model.ts';
import { Invalid } from '../../server/core/errors.ts';
import { parseInput } from '../../server/core/validation.ts';
import { buyInput, scheduleInput } from '../../server/live/live-input.ts';
import { StripeGateway } from '../../server/payments/stripe-gateway.ts';
import { Client } from '../support/http-client.ts';
import { getRuntime } from '../support/root-hooks.ts';
import { inProcessWeb } from '../support/web-scene.ts';

interface ErrorBody {
  error: { code: string; message: string; fields?: { field: string; code: string }[] };
}

/** The field codes of a refusal, as `field:code`. */
function problems(reply: { body: unknown }): string[] {
  return ((reply.body as ErrorBody).error.fields ?? []).map((f) => `${f.field}:${f.code}`);
}

function refusedCodes(schema: Parameters<typeof parseInput>[0], input: unknown): string[] {
  try {
    parseInput(schema, input);
  } catch (error) {
    expect(error).to.be.instanceOf(Invalid);
    return (error as Invalid).fields.map((f) => `${f.field}:${f.code}`);
  }
  throw new Error(`accepted ${JSON.stringify(input)}`);
}

describe('the input boundary: bad input gets a 4xx that names the field', function () {
  this.timeout(60_000);
  const scene = inProcessWeb();

  it('refuses a NUL in a JSON body, names the field and creates no account', async () => {
    const client = new Client(scene.base);
    await client.get('/api/session').then((r) => {
      client.csrfToken = (r.body as { csrfToken: string }).csrfToken;
    });
    const login = `1370${randomBytes(4).readUInt32BE() % 10_000_000}`.padEnd(11, '7');
    const reply = await client.post('/api/signup', {
      login,
      displayName: '小\u0000花',
      password: 'a-long-password',
    });
    expect(reply.status).to.equal(400);
    expect(problems(reply)).to.deep.equal(['displayName:validation.controlCharacters']);
    expect((reply.body as ErrorBody).error.message)
      .to.be.a('string')
      .and.not.match(/^errors\./);
    expect(await UserModel.countDocuments({ phone: login })).to.equal(0);
  });

  it('refuses a NUL in a path or a query string before any route looks it up', async () => {
    const staff = new Client(scene.base);
    expect((await staff.signIn('13600000002', 'cunbo2026')).status).to.equal(200);
    for (const path of [
      '/hub/parcels/%00',
      '/hub/waves/%00',
      '/hub/manifests/%00.pdf',
      '/search?q=%00',
      '/api/orders/%00',
    ]) {
      const reply = await staff.get(path);
      expect(reply.status, path).to.equal(400);
    }
    const json = await staff.get<ErrorBody>('/api/orders/CB%00');
    expect(problems(json)).to.deep.equal(['path:validation.controlCharacters']);
  });

  it('takes an emoji name that fits the schema and refuses one that does not, with a 400', async () => {
    const client = new Client(scene.base);
    client.csrfToken = ((await client.get('/api/session')).body as { csrfToken: string }).csrfToken;
    const phone = () =>
      `135${String(randomBytes(4).readUInt32BE() % 100_000_000).padStart(8, '0')}`;
    // 20 emoji are 40 UTF-16 units, the schema's limit; 21 are one over.
    const fits = await client.post('/api/signup', {
      login: phone(),
      displayName: '🌶'.repeat(20),
      password: 'a-long-password',
    });
    expect(fits.status).to.be.oneOf([200, 201]);
    const other = new Client(scene.base);
    other.csrfToken = ((await other.get('/api/session')).body as { csrfToken: string }).csrfToken;
    const over = await other.post('/api/signup', {
      login: phone(),
      displayName: '🌶'.repeat(21),
      password: 'a-long-password',
    });
    expect(over.status).to.equal(400);
    expect(problems(over)).to.deep.equal(['displayName:validation.displayName']);
  });

  it('takes only whole numbers as quantities: true, [2], "0x10", "2e0" and "+2" are refused', async () => {
    const sku = await SkuModel.findOne({ active: { $ne: false } }).lean();
    const client = new Client(scene.base);
    client.csrfToken = ((await client.get('/api/session')).body as { csrfToken: string }).csrfToken;
    for (const quantity of [true, [2], '0x10', '2e0', '+2', 2.5, -1, '', null, { $gt: 0 }]) {
      const reply = await client.post('/api/cart', { skuId: String(sku!._id), quantity });
      expect(reply.status, JSON.stringify(quantity)).to.equal(400);
      expect(problems(reply), JSON.stringify(quantity)).to.deep.equal([
        'quantity:validation.quantity',
      ]);
    }
    const cart = await client.post<{ lines: { quantity: number }[] }>('/api/cart', {
      skuId: String(sku!._id),
      quantity: '2',
    });
    expect(cart.status).to.equal(200);
    expect(cart.body.lines.map((l) => l.quantity)).to.deep.equal([2]);

    const buy = {
      sessionId: '0123456789abcdef01234567',
      offerId: 'abc123',
      clientKey: 'tap-0001-abcdef',
    };
    for (const quantity of [true, [2], '0x10', '2e0', '+2'])
      expect(refusedCodes(buyInput, { ...buy, quantity })).to.deep.equal([
        'quantity:validation.quantity',
      ]);
    expect(parseInput(buyInput, { ...buy, quantity: '3' }).quantity).to.equal(3);
  });

  it('refuses a live session time that is not a real date in a sane window', () => {
    const session = {
      title_zh: '花椒直播',
      offers: [{ sku_code: 'ABC-1', live_price_yuan: '29.80', allotment: 10, per_buyer_limit: 2 }],
    };
    for (const scheduledAt of [
      '0',
      '-1',
      '\u0000',
      '1999-01-01T10:00',
      '2026-02-30T20:00',
      '9999-01-01T00:00',
    ])
      expect(refusedCodes(scheduleInput, { ...session, scheduled_at: scheduledAt })).to.include(
        'scheduled_at:validation.scheduledAt',
      );
    const soon = new Date(Date.now() + 86_400_000 + 8 * 3600_000).toISOString().slice(0, 16);
    expect(
      parseInput(scheduleInput, { ...session, scheduled_at: soon }).scheduled_at,
    ).to.be.instanceOf(Date);
  });

  it('answers a malformed multipart upload with 400 and a truncated photo with a field error', async () => {
    const streamer = new Client(scene.base);
    expect((await streamer.signIn('13900000001', 'cunbo2026')).status).to.equal(200);
    const post = (contentType: string, body: string) =>
      fetch(`${scene.base}/studio/products`, {
        method: 'POST',
        headers: {
          cookie: streamer.cookieHeader(),
          'x-csrf-token': streamer.csrfToken,
          'content-type': contentType,
          accept: 'application/json',
        },
        body,
      });
    expect((await post('multipart/form-data', 'title_zh=x')).status).to.equal(400);
    const unterminated = '--XYZ\r\nContent-Disposition: form-data; name="title_zh"\r\n\r\n花椒';
    expect((await post('multipart/form-data; boundary=XYZ', unterminated)).status).to.equal(400);

    const png = await sharp({
      create: { width: 400, height: 300, channels: 3, background: '#c33' },
    })
      .png()
      .toBuffer();
    const truncated = png.subarray(0, Math.floor(png.length / 2));
    try {
      await storeProductPhoto('/tmp/cunbo-boundary-test', truncated);
      expect.fail('a truncated PNG was stored');
    } catch (error) {
      expect(error).to.be.instanceOf(Invalid);
      expect((error as Invalid).fields.map((f) => f.code)).to.deep.equal([
        'validation.photoUnreadable',
      ]);
    }
  });

  it('refuses a validly signed Stripe webhook that is not JSON or has no id', async () => {
    const gateway = new StripeGateway(getRuntime().services.stripe);
    const deliver = async (payload: string) => {
      const res = await fetch(`${scene.base}/webhooks/stripe`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'stripe-signature': gateway.signForLocalDelivery(payload),
        },
        body: payload,
      });
      return { status: res.status, body: (await res.json()) as ErrorBody };
    };
    for (const payload of [
      'not json at all',
      JSON.stringify({ type: 'payment_intent.succeeded', data: { object: {} } }),
      JSON.stringify({ id: 'evt_1', type: 'payment_intent.succeeded' }),
      'null',
    ]) {
      const reply = await deliver(payload);
      expect(reply.status, payload).to.equal(400);
      expect(reply.body.error.code, payload).to.equal('errors.badEvent');
    }
  });

  it('refuses a body nested thousands deep with a 400, and keeps a sign-in redirect short', async () => {
    const client = new Client(scene.base);
    client.csrfToken = ((await client.get('/api/session')).body as { csrfToken: string }).csrfToken;
    const deep = `${'{"a":'.repeat(13_000)}1${'}'.repeat(13_000)}`;
    const res = await fetch(`${scene.base}/api/cart`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        cookie: client.cookieHeader(),
        'x-csrf-token': client.csrfToken,
      },
      body: deep,
    });
    expect(res.status).to.equal(400);
    const body = (await res.json()) as ErrorBody;
    expect(body.error.fields!.map((f) => f.code)).to.deep.equal(['validation.tooDeep']);

    // A guest on a sign-in-only page is sent to sign in, with the way back only if it is short.
    const long = await fetch(`${scene.base}/orders/${'%F0%9F%91%A8'.repeat(400)}`, {
      redirect: 'manual',
      headers: { accept: 'text/html' },
    });
    expect(long.status).to.equal(303);
    expect(long.headers.get('location')).to.equal('/signin');
    const short = await fetch(`${scene.base}/orders/CB26120500000001`, {
      redirect: 'manual',
      headers: { accept: 'text/html' },
    });
    expect(short.headers.get('location')).to.equal(
      `/signin?returnTo=${encodeURIComponent('/orders/CB26120500000001')}`,
    );
  });
});
