import { expect } from 'chai';
import { startWebServer, type WebServer } from '../../server/app/web-server.ts';
import { ensureDemoCounty } from '../support/fixtures.ts';
import { Client } from '../support/http-client.ts';
import { getRuntime } from '../support/root-hooks.ts';

describe('bad requests get clear answers, never a stack trace', () => {
  let web: WebServer;
  let base: string;
  before(async () => {
    await ensureDemoCounty();
    web = await startWebServer(getRuntime(), { port: 0 });
    base = `http://127.0.0.1:${web.port}`;
  });
  after(() => web.close());

  it('shows a 404 page in Chinese for an unknown address', async () => {
    const res = await fetch(`${base}/no-such-page`);
    expect(res.status).to.equal(404);
    expect(res.headers.get('content-type')).to.match(/text\/html/);
    const html = await res.text();
    expect(html).to.include('没有这个地址：/no-such-page');
    expect(html).to.include('返回首页');
  });

  it('shows the 404 page in English after switching language', async () => {
    const res = await fetch(`${base}/no-such-page?lang=en`);
    expect(await res.text()).to.include('No such address: GET /no-such-page');
    expect(res.headers.get('set-cookie')).to.match(/lang=en/);
  });

  it('answers JSON for unknown API routes', async () => {
    const res = await fetch(`${base}/api/nothing-here`);
    expect(res.status).to.equal(404);
    const body = (await res.json()) as {
      error: { code: string; message: string };
      requestId: string;
    };
    expect(body.error.code).to.equal('errors.routeNotFound');
    expect(body.error.message).to.equal('没有这个地址：/api/nothing-here');
    expect(body.requestId).to.be.a('string');
  });

  it('answers 400 with a message for a malformed JSON body', async () => {
    const res = await fetch(`${base}/api/anything`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie: 'lang=en' },
      body: '{"quantity": 2,',
    });
    expect(res.status).to.equal(400);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).to.equal('errors.invalidJson');
    expect(body.error.message).to.match(/^The request body is not valid JSON: /);
    expect(JSON.stringify(body)).not.to.match(/at .*\.ts:\d+/);
  });

  it('refuses a body that is too large with 413', async () => {
    const res = await fetch(`${base}/api/anything`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ note: 'x'.repeat(200_000) }),
    });
    expect(res.status).to.equal(413);
    expect(((await res.json()) as { error: { code: string } }).error.code).to.equal(
      'errors.payloadTooLarge',
    );
  });

  it('offers the way back to the screen a person was working in, not only the storefront', async () => {
    const staff = new Client(base);
    expect((await staff.signIn('13600000002', 'cunbo2026')).status).to.equal(200);
    const missingWave = await staff.get<string>('/hub/waves/W-NO-SUCH');
    expect(missingWave.status).to.equal(404);
    expect(missingWave.body).to.include('href="/hub">返回仓库工作台</a>');
    // On a parcel's own action, back to that parcel.
    const early = await staff.postForm('/hub/parcels/P-NO-SUCH/weight', { weight_grams: '480' });
    expect(early.status).to.equal(404);
    expect(early.body).to.include('href="/hub/parcels/P-NO-SUCH">返回上一页</a>');
    expect(early.body).to.include('返回首页');
  });

  it('shows a refused form again on the screen it was sent from, with the reason on top and the refusal status', async () => {
    const staff = new Client(base);
    expect((await staff.signIn('13600000002', 'cunbo2026')).status).to.equal(200);
    // A pick wave asked for with a cut-off that is not a time, from the hub's overview.
    staff.headers.referer = `${base}/hub`;
    const refused = await staff.postForm('/hub/waves', { cutoff: '25:99' });
    expect(refused.status).to.equal(400);
    expect(refused.body).to.include('data-testid="flash"');
    expect(refused.body).to.include('截止时间格式为 时:分');
    // It is the hub's own screen, read fresh: its forms are there to try again.
    expect(refused.body).to.include('data-testid="receive-form"');
    expect(refused.body).not.to.include('class="error-page"');
    // Sent from another site (or from outside the hub), the hub's own screen is shown.
    staff.headers.referer = 'https://elsewhere.example/hub/parcels/P1';
    const foreign = await staff.postForm('/hub/waves', { cutoff: 'x' });
    expect(foreign.status).to.equal(400);
    expect(foreign.body).to.include('data-testid="receive-form"');
    // A screen that itself fails is shown as the error page, once, not in a loop.
    staff.headers.referer = `${base}/hub/waves/W-NO-SUCH`;
    const gone = await staff.postForm('/hub/waves', { cutoff: 'x' });
    expect(gone.status).to.equal(404);
    expect(gone.body).to.include('class="error-page"');
  });
});
