import { expect } from 'chai';
import { UserModel } from '../../server/accounts/user.model.ts';
import { startWebServer, type WebServer } from '../../server/app/web-server.ts';
import {
  BUYER_PASSWORD,
  createBuyers,
  ensureDemoCounty,
  skuWithStock,
} from '../support/fixtures.ts';
import { Client } from '../support/http-client.ts';
import { getRuntime } from '../support/root-hooks.ts';

describe('accounts and sessions', () => {
  let web: WebServer;
  let base: string;
  before(async () => {
    await ensureDemoCounty();
    web = await startWebServer(getRuntime(), { port: 0 });
    base = `http://127.0.0.1:${web.port}`;
  });
  after(() => web.close());

  it('signs up with a mobile number, hashes the password with argon2id, and signs in', async () => {
    const client = new Client(base);
    client.csrfToken = (await client.get<{ csrfToken: string }>('/api/session')).body.csrfToken;
    const phone = `135${String(Date.now()).slice(-8)}`;
    const created = await client.post<{ actor: { role: string }; csrfToken: string }>(
      '/api/signup',
      { login: phone, displayName: '新买家', password: 'long-enough-1' },
    );
    expect(created.status).to.equal(201);
    client.csrfToken = created.body.csrfToken; // a new session, a new token
    expect(created.body.actor.role).to.equal('buyer');
    const user = (await UserModel.findOne({ phone }).lean())!;
    expect(user.passwordHash).to.match(/^\$argon2id\$/);

    const again = await client.post<{ error: { fields: { field: string; message: string }[] } }>(
      '/api/signup',
      { login: phone, displayName: 'x', password: 'long-enough-1' },
    );
    expect(again.status).to.equal(400);
    expect(again.body.error.fields[0]).to.deep.include({
      field: 'login',
      message: '这个手机号或邮箱已经注册过了。',
    });
  });

  it('explains each bad sign-up field, in Chinese and English, and saves nothing', async () => {
    const client = new Client(base);
    client.csrfToken = (await client.get<{ csrfToken: string }>('/api/session')).body.csrfToken;
    const before = await UserModel.countDocuments();
    const reply = await client.post<{ error: { fields: { field: string; message: string }[] } }>(
      '/api/signup',
      { login: '12345', displayName: '', password: 'short' },
    );
    expect(reply.status).to.equal(400);
    expect(reply.body.error.fields.map((f) => f.field).sort()).to.deep.equal([
      'displayName',
      'login',
      'password',
    ]);
    expect(reply.body.error.fields.find((f) => f.field === 'password')!.message).to.equal(
      '密码至少 8 位。',
    );
    const english = await client.request<{
      error: { fields: { field: string; message: string }[] };
    }>('POST', '/api/signup?lang=en', {
      json: { login: '12345', displayName: 'x', password: 'long-enough' },
    });
    expect(english.body.error.fields[0]!.message).to.equal(
      'Enter an 11-digit mobile number or an email.',
    );
    expect(await UserModel.countDocuments()).to.equal(before);
  });

  it('refuses a state-changing request without the CSRF token', async () => {
    const client = new Client(base);
    await client.get('/api/session');
    const reply = await client.post<{ error: { code: string } }>('/api/session', {
      login: '13800000001',
      password: 'cunbo2026',
    });
    expect(reply.status).to.equal(403);
    expect(reply.body.error.code).to.equal('errors.csrf');
  });

  it('gives a new session id at sign-in (no session fixation)', async () => {
    const client = new Client(base);
    await client.get('/api/session');
    const before = client.cookieHeader().match(/cb_sid=([^;]+)/)?.[1];
    expect((await client.signIn('13800000002', 'cunbo2026')).status).to.equal(200);
    const after = client.cookieHeader().match(/cb_sid=([^;]+)/)?.[1];
    expect(before).to.be.a('string');
    expect(after).to.be.a('string').and.not.equal(before);
  });

  it('makes a guesser wait after 5 wrong passwords, longer each time, but lets the owner in from their own phone', async () => {
    const login = '13900000005';
    const guesser = new Client(base);
    guesser.headers = { 'x-forwarded-for': '203.0.113.7' };
    for (let i = 0; i < 5; i++)
      expect((await guesser.signIn(login, `wrong-${i}`)).status).to.equal(400);
    // Even the right password waits, from the guesser's address: 30 s after the fifth failure.
    const waiting = await guesser.signIn(login, 'cunbo2026');
    expect(waiting.status).to.equal(429);
    expect((waiting.body as unknown as { error: { message: string } }).error.message).to.match(
      /登录失败次数太多，请 (2\d|30) 秒后再试/,
    );
    // The owner, from another address, is not locked out.
    const owner = new Client(base);
    owner.headers = { 'x-forwarded-for': '198.51.100.20' };
    expect((await owner.signIn(login, 'cunbo2026')).status).to.equal(200);
  });

  it('doubles the wait with each further failure and forgets it when the account signs in', async () => {
    const { SignInGuard, backOffSeconds } = await import('../../server/accounts/sign-in-guard.ts');
    expect([4, 5, 6, 7, 12].map((n) => backOffSeconds(n, 5))).to.deep.equal([0, 30, 60, 120, 900]);
    const slept: number[] = [];
    const guard = new SignInGuard(getRuntime().redis, getRuntime().keys, async (ms) => {
      slept.push(ms);
    });
    const login = `guard-${Date.now()}@example.cn`;
    const t0 = Date.now();
    for (let i = 0; i < 6; i++) await guard.failed(login, '192.0.2.1', t0);
    await guard.check(login, '192.0.2.1', t0 + 61_000); // 6 failures: 60 s, over
    await guard.failed(login, '192.0.2.1', t0 + 61_000);
    const wait = await guard.check(login, '192.0.2.1', t0 + 100_000).catch((e: Error) => e);
    expect((wait as { params?: { seconds: number } }).params?.seconds).to.equal(81); // 120 s after the 7th
    // Ten failures over all addresses slow each answer for the account by a second, never lock.
    for (let i = 0; i < 3; i++) await guard.failed(login, `192.0.2.${10 + i}`, t0);
    await guard.check(login, '192.0.2.99', t0 + 100_000);
    expect(slept).to.deep.equal([1000]);
    await guard.succeeded(login, '192.0.2.99');
    slept.length = 0;
    await guard.check(login, '192.0.2.99', t0 + 100_000);
    expect(slept).to.deep.equal([]);
  });

  it('asks an address that made too many accounts this hour to wait', async () => {
    const { AccountService } = await import('../../server/accounts/account-service.ts');
    const accounts = new AccountService(getRuntime().redis, getRuntime().keys, {
      signUpsPerIpHour: 3,
    });
    const ip = `192.0.2.${100 + (Date.now() % 100)}`;
    const signUp = (n: number) =>
      accounts.signUp(
        {
          login: `flood-${Date.now()}-${n}@example.cn`,
          displayName: `flood ${n}`,
          password: 'long-enough',
        },
        ip,
      );
    for (let n = 0; n < 3; n++) await signUp(n);
    const fourth = await signUp(3).catch((e: Error) => e);
    expect(fourth).to.have.property('code', 'errors.signUpWait');
    expect(fourth).to.have.property('status', 429);
    // Another address is not affected.
    expect(
      await accounts.signUp(
        { login: `other-${Date.now()}@example.cn`, displayName: 'other', password: 'long-enough' },
        '192.0.2.250',
      ),
    ).to.have.property('role', 'buyer');
  });

  it("gives an invited assistant the shop's studio on their next click, without signing in again", async () => {
    const [login] = await createBuyers(1);
    const assistant = new Client(base);
    expect((await assistant.signIn(login!, BUYER_PASSWORD)).status).to.equal(200);
    expect((await assistant.get('/studio')).status).to.equal(403);
    const owner = new Client(base);
    expect((await owner.signIn('13900000001', 'cunbo2026')).status).to.equal(200);
    expect((await owner.postForm('/studio/assistants', { login: login! })).status).to.equal(303);
    // The same session, not signed out: the new role is there.
    const studio = await assistant.get<string>('/studio');
    expect(studio.status).to.equal(200);
    const session = await assistant.get<{ actor: { role: string } }>('/api/session');
    expect(session.body.actor.role).to.equal('streamer');
  });

  it('signs out everywhere: every session of that person stops working', async () => {
    const phone = new Client(base);
    const laptop = new Client(base);
    await phone.signIn('13800000002', 'cunbo2026');
    await laptop.signIn('13800000002', 'cunbo2026');
    expect((await laptop.get<{ actor: unknown }>('/api/session')).body.actor).to.not.equal(null);
    await phone.request('POST', '/signout/everywhere', { form: {} });
    expect((await laptop.get<{ actor: unknown }>('/api/session')).body.actor).to.equal(null);
    expect((await phone.get<{ actor: unknown }>('/api/session')).body.actor).to.equal(null);
  });

  it('refuses a checkout post without its idempotency key, placing nothing', async () => {
    const client = new Client(base);
    await client.signIn('13800000001', 'cunbo2026');
    const reply = await client.request<string>('POST', '/checkout', {
      form: { recipient: '陈晓' },
    });
    expect(reply.status).to.equal(400);
    expect(reply.body).to.include('请求编号格式不对');
  });

  it("keeps a guest's cart when they sign in, and after their session expires", async () => {
    const sku = await skuWithStock(5);
    const client = new Client(base);
    client.csrfToken = (await client.get<{ csrfToken: string }>('/api/session')).body.csrfToken;
    await client.post('/api/cart', { skuId: String(sku._id), quantity: 2 });
    await client.signIn('13800000002', 'cunbo2026');
    const cart = await client.get<string>('/cart');
    expect(cart.body).to.include(`测试 ${sku.code.slice(2)}`);

    // The session cookie is lost (expired, tampered): the page asks to sign in, the cart stays.
    client.forget('cb_sid');
    const checkout = await client.get('/checkout');
    expect(checkout.status).to.equal(303);
    expect(checkout.headers.get('location')).to.equal('/signin?returnTo=%2Fcheckout');
    await client.signIn('13800000002', 'cunbo2026');
    expect((await client.get<string>('/cart')).body).to.include(`测试 ${sku.code.slice(2)}`);
  });
});
