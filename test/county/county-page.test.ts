// /county as each person sees it: the county admin sees everything and takes the monthly report;
// hub staff see the logistics half; anyone else is refused. A bad range is answered on the page
// with the reason; the "now" numbers come over socket.io and move as a live room sells.
import { expect } from 'chai';
import { DEMO_PASSWORD } from '../../server/seed/demo-county.ts';
import { Client } from '../support/http-client.ts';
import { ask, buyerSocket, liveSession } from '../support/live-room.ts';
import { pdfText } from '../support/pdf.ts';
import { inProcessWeb } from '../support/web-scene.ts';

const ADMIN = '13700000000';
const HUB_STAFF = '13600000001';
const BUYER = '13800000001';
const STREAMER = '13900000001';

type NowData = {
  audience: string;
  funnel: { status: string; count: number }[];
  rooms?: { sessionId: string; sold: number; placedFen: number; allotment: number }[];
  today?: { gmvFen: number; orders: number };
};

describe('the county view: /county, its report and its live numbers', function () {
  this.timeout(120_000);
  const scene = inProcessWeb();
  const month = new Date().toISOString().slice(0, 7);

  async function as(login: string): Promise<Client> {
    const client = new Client(scene.base);
    expect((await client.signIn(login, DEMO_PASSWORD)).status).to.equal(200);
    return client;
  }

  it('the county admin sees every part; hub staff the logistics half; others are refused', async () => {
    const admin = await (await as(ADMIN)).get<string>('/county');
    expect(admin.status).to.equal(200);
    for (const part of ['county-today', 'county-rooms', 'county-funnel', 'county-villages'])
      expect(admin.body, part).to.include(`data-testid="${part}"`);
    for (const part of ['county-shops', 'county-top-skus', 'county-couriers', 'county-provinces'])
      expect(admin.body, part).to.include(`data-testid="${part}"`);
    expect(admin.body).to.include('<svg'); // the charts and the county map, drawn on the server

    const hub = await (await as(HUB_STAFF)).get<string>('/county');
    expect(hub.status).to.equal(200);
    expect(hub.body).to.include('data-testid="county-funnel"');
    expect(hub.body).to.include('data-testid="county-couriers"');
    for (const part of ['county-today', 'county-rooms', 'county-villages', 'county-shops'])
      expect(hub.body, `hub staff must not see ${part}`).not.to.include(`data-testid="${part}"`);
    expect(hub.body).not.to.include(`/county/report/${month}.pdf`);

    for (const login of [BUYER, STREAMER])
      expect((await (await as(login)).get('/county')).status, login).to.equal(403);
    const anonymous = await new Client(scene.base).request('GET', '/county');
    expect(anonymous.status).to.equal(303);
  });

  it('a range that cannot be read is answered on the page with the reason (400), showing the default month', async () => {
    const admin = await as(ADMIN);
    const bad = await admin.get<string>('/county?range=custom&from=2026-02-30&to=2026-03-01');
    expect(bad.status).to.equal(400);
    expect(bad.body).to.include('data-testid="county-error"');
    expect(bad.body).to.include('日期格式为 年-月-日');
    expect(bad.body).to.include('data-testid="county-villages"');
    const backwards = await admin.get<string>('/county?range=custom&from=2026-11-30&to=2026-11-01');
    expect(backwards.status).to.equal(400);
    expect(backwards.body).to.include('结束日期不能早于开始日期');
    expect((await admin.get('/county?range=fortnight')).status).to.equal(400);
    expect((await admin.get('/county?range=week&sort=repeat')).status).to.equal(200);
  });

  it('the monthly report: CSV tables with a BOM and yuan, a PDF in Chinese; hub staff take only the logistics tables', async () => {
    const admin = await as(ADMIN);
    const villages = await fetch(`${scene.base}/county/report/${month}/villages.csv`, {
      headers: { cookie: admin.cookieHeader() },
    });
    expect(villages.status).to.equal(200);
    expect(villages.headers.get('content-type')).to.include('text/csv');
    const bytes = Buffer.from(await villages.arrayBuffer());
    // The byte-order mark tells spreadsheet programs the file is UTF-8.
    expect([...bytes.subarray(0, 3)]).to.deep.equal([0xef, 0xbb, 0xbf]);
    const text = bytes.subarray(3).toString('utf8');
    const [header, ...rows] = text.trim().split('\n');
    expect(header).to.equal('名称,成交额（元）,付款订单,复购率（%）,客单价（元）,退款（元）');
    expect(rows.length).to.equal(12); // every demo village, sales or not
    for (const row of rows) expect(row.split(',')[1]).to.match(/^\d+\.\d{2}$/);

    const pdf = await fetch(`${scene.base}/county/report/${month}.pdf`, {
      headers: { cookie: admin.cookieHeader() },
    });
    expect(pdf.status).to.equal(200);
    expect(pdf.headers.get('content-type')).to.equal('application/pdf');
    const words = await pdfText(Buffer.from(await pdf.arrayBuffer()));
    expect(words).to.include(`平顺县农村电商月报 ${month}`);
    expect(words).to.include('各村与店铺');

    const hub = await as(HUB_STAFF);
    expect((await hub.request('GET', `/county/report/${month}/couriers.csv`)).status).to.equal(200);
    expect((await hub.request('GET', `/county/report/${month}/villages.csv`)).status).to.equal(403);
    expect((await hub.request('GET', `/county/report/${month}.pdf`)).status).to.equal(403);
    expect((await admin.request('GET', `/county/report/${month}/salaries.csv`)).status).to.equal(
      404,
    );
    expect((await admin.request('GET', '/county/report/2026-13/villages.csv')).status).to.equal(
      400,
    );
  });

  it("county:now: the admin's numbers move as a live room sells; hub staff get the funnel; a buyer is refused", async () => {
    const { sessionId, offerId } = await liveSession(50, 5);
    const admin = await buyerSocket(scene.base, ADMIN, DEMO_PASSWORD);
    const hub = await buyerSocket(scene.base, HUB_STAFF, DEMO_PASSWORD);
    const buyer = await buyerSocket(scene.base);
    try {
      const room = async () => {
        const reply = await ask(admin.socket, 'county:now', {});
        expect(reply.ok, reply.message).to.equal(true);
        const data = reply.data as NowData;
        expect(data.audience).to.equal('county');
        return data.rooms!.find((r) => r.sessionId === sessionId)!;
      };
      const before = await room();
      expect(before).to.include({ sold: 0, allotment: 50, placedFen: 0 });

      const bought = await ask(buyer.socket, 'live:buy', {
        sessionId,
        offerId,
        quantity: 2,
        clientKey: `county-${Date.now()}`,
      });
      expect(bought.ok, bought.message).to.equal(true);
      expect(await room()).to.include({ sold: 2, placedFen: 2 * 2990 });

      const logistics = await ask(hub.socket, 'county:now', {});
      expect(logistics.ok).to.equal(true);
      const data = logistics.data as NowData;
      expect(data.audience).to.equal('logistics');
      expect(data.funnel.map((f) => f.status)).to.include('pending_payment');
      expect(data).not.to.have.property('rooms');
      expect(data).not.to.have.property('today');

      const refused = await ask(buyer.socket, 'county:now', {});
      expect(refused).to.include({ ok: false, code: 'errors.forbidden' });
      const bad = await ask(admin.socket, 'county:now', { everything: true });
      expect(bad).to.include({ ok: false, code: 'errors.invalid' });
    } finally {
      for (const s of [admin, hub, buyer]) s.socket.disconnect();
    }
  });
});
