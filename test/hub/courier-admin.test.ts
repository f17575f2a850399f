import { expect } from 'chai';
import type { Actor } from '../../server/accounts/actor.ts';
import { UserModel } from '../../server/accounts/user.model.ts';
import { Forbidden } from '../../server/core/errors.ts';
import { startWebServer, type WebServer } from '../../server/app/web-server.ts';
import { CourierModel } from '../../server/hub/courier.model.ts';
import { DEMO_COURIERS, DEMO_PASSWORD } from '../../server/seed/demo-county.ts';
import { seedDemoCounty } from '../../server/seed/seed-demo-county.ts';
import { ensureDemoCounty } from '../support/fixtures.ts';
import { Client } from '../support/http-client.ts';
import { getRuntime } from '../support/root-hooks.ts';

const ADMIN = '13700000000';
const HUB_STAFF = '13600000001';
const BUYER = '13800000001';
const HEADER = 'courier_code,zone,first_kg_yuan,extra_kg_yuan,promised_days';

/** Every courier's editable rules, to prove that nothing changed. */
async function courierSnapshot() {
  const couriers = await CourierModel.find().sort({ code: 1 }).lean();
  return couriers.map(({ code, rateCard, dailyCapacity, pickupCutoff, active, updatedAt }) => ({
    code,
    rateCard,
    dailyCapacity,
    pickupCutoff,
    active,
    updatedAt,
  }));
}

async function rateCardOf(code: string) {
  const courier = (await CourierModel.findOne({ code }).lean())!;
  return Object.fromEntries(
    courier.rateCard.map((r) => [r.zone, [r.firstKgFen, r.extraKgFen, r.promisedDays]]),
  );
}

/** Uploads a CSV the way the admin page's form does (multipart, token in the query). */
async function uploadRateCards(client: Client, csv: string) {
  const form = new FormData();
  form.set('file', new Blob([csv], { type: 'text/csv' }), 'rates.csv');
  const res = await fetch(
    `${client.base}/admin/couriers/rate-cards?_csrf=${encodeURIComponent(client.csrfToken)}`,
    {
      method: 'POST',
      headers: { cookie: client.cookieHeader(), accept: 'text/html' },
      body: form,
      redirect: 'manual',
    },
  );
  return { status: res.status, html: await res.text() };
}

/** The line numbers the import report lists as bad. */
const badLines = (html: string) =>
  [...html.matchAll(/<tr data-line="(\d+)">/g)].map((m) => Number(m[1]));

describe('the county admin keeps the couriers and their rate cards', () => {
  let web: WebServer;
  let admin: Client;
  let original: Awaited<ReturnType<typeof courierSnapshot>>;

  before(async () => {
    await ensureDemoCounty();
    original = await courierSnapshot();
    web = await startWebServer(getRuntime(), { port: 0 });
    admin = new Client(`http://127.0.0.1:${web.port}`);
    expect((await admin.signIn(ADMIN, DEMO_PASSWORD)).status).to.equal(200);
  });

  after(async () => {
    // Put the seeded rules back for whoever runs next.
    for (const { code, rateCard, dailyCapacity, pickupCutoff, active } of original)
      await CourierModel.updateOne(
        { code },
        { $set: { rateCard, dailyCapacity, pickupCutoff, active } },
      );
    await web.close();
  });

  it('lists the 13 couriers with coverage, band, capacity, cut-off and each zone’s rates', async () => {
    const page = await admin.get<string>('/admin/couriers');
    expect(page.status).to.equal(200);
    expect(page.body.match(/data-testid="courier-[a-z-]+"/g)).to.have.length(13);
    expect(page.body).to.include('中国邮政快递包裹');
    expect(page.body).to.include('送货到村');
    expect(page.body).to.include('3 kg – 60 kg'); // Deppon's heavy-parcel band
    const zto = page.body.slice(page.body.indexOf('data-testid="courier-zto"'));
    expect(zto).to.include('不送：西藏/墨脱县');
    expect(zto).to.include('¥5.00'); // first kg within Shanxi
    const kye = page.body.slice(page.body.indexOf('data-testid="courier-kye"'));
    expect(kye.slice(0, kye.indexOf('</table>'))).to.include('不承运');
    expect(page.body).to.include('href="/admin/couriers"'); // in the admin's nav
  });

  it('imports a good rate-card file: the named zones change, the others keep their rates', async () => {
    const before = await rateCardOf('zto');
    const csv = [
      HEADER,
      'zto,local,4.80,1,1',
      'ZTO, remote ,19.5,12.00,6',
      '',
      'kye,far,30,12.5,2',
    ].join('\n');
    const reply = await uploadRateCards(admin, `\uFEFF${csv}\n`);
    expect(reply.status, reply.html).to.equal(200);
    expect(reply.html).to.include('已导入 3 行，更新了 2 家快递的价目：kye, zto。');

    const zto = await rateCardOf('zto');
    expect(zto.local).to.deep.equal([480, 100, 1]);
    expect(zto.remote).to.deep.equal([1950, 1200, 6]);
    expect(zto.near).to.deep.equal(before.near);
    expect((await rateCardOf('kye')).far).to.deep.equal([3000, 1250, 2]);
    const zones = (await CourierModel.findOne({ code: 'kye' }).lean())!.rateCard.map((r) => r.zone);
    expect(zones).to.deep.equal(['local', 'near', 'mid', 'far']);
  });

  it('rejects a file with bad rows: every bad line explained, nothing changed', async () => {
    const before = await courierSnapshot();
    const csv = [
      HEADER, // line 1
      'zto,local,4.50,1,1', // 2: fine on its own, but the file fails as a whole
      'nosuch,local,5,1,1', // 3: unknown courier
      'zto,moon,5,1,1', // 4: unknown zone
      'yto,near,-5,1,2', // 5: negative
      'yto,mid,abc,1,2', // 6: not a number
      'yto,far,5.123,1,2', // 7: three decimals
      'sto,local,5,1,0', // 8: promised days below 1
      'sto,near,5,1,16', // 9: promised days above 15
      'sto,mid,5,1,2.5', // 10: promised days not whole
      'zto,local,5,1,1', // 11: zto local again
      'sf,local,5,1', // 12: a column short
      'ems,near,,1,2', // 13: empty price
    ].join('\n');
    const reply = await uploadRateCards(admin, csv);
    expect(reply.status).to.equal(400);
    expect(badLines(reply.html)).to.deep.equal([3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13]);
    for (const message of [
      '没有代码为“nosuch”的快递公司',
      '没有“moon”这个区域。可用区域：local, near, mid, far, remote',
      '“-5”是负数',
      '“abc”不是金额',
      '“5.123”的小数超过两位',
      '承诺天数“0”不对，请填 1–15 的整数',
      '承诺天数“16”不对',
      '承诺天数“2.5”不对',
      'zto 的 local 区域在第 2 行已经出现过',
      '这一行有 4 列，表头有 5 列',
      '这一格不能为空',
    ])
      expect(reply.html).to.include(message);
    expect(reply.html).to.include('没有做任何修改');
    expect(await courierSnapshot()).to.deep.equal(before);
  });

  it('explains a wrong header or an empty file in English too, changing nothing', async () => {
    const before = await courierSnapshot();
    admin.csrfToken = (await admin.get<{ csrfToken: string }>('/api/session')).body.csrfToken;
    await admin.get('/admin/couriers?lang=en');
    const wrongHeader = await uploadRateCards(admin, 'courier,zone,first_kg_yuan\nzto,local,5\n');
    expect(wrongHeader.status).to.equal(400);
    expect(wrongHeader.html).to.include(
      'The header lacks these columns: courier_code, extra_kg_yuan, promised_days.',
    );
    const empty = await uploadRateCards(admin, '');
    expect(empty.status).to.equal(400);
    expect(empty.html).to.include('The file is empty.');
    await admin.get('/admin/couriers?lang=zh-CN');
    expect(await courierSnapshot()).to.deep.equal(before);
  });

  it('keeps the admin’s rates when the demo county is seeded again', async () => {
    const before = await courierSnapshot();
    const { created } = await seedDemoCounty(getRuntime().logger, {
      dataDir: getRuntime().config.DATA_DIR,
      history: false,
    });
    expect(created).to.deep.equal({});
    expect(await courierSnapshot()).to.deep.equal(before);
    expect((await rateCardOf('zto')).local).to.deep.equal([480, 100, 1]); // from the import above
  });

  it('gives a courier stored before rate cards existed the seeded rules, keeping its schedule', async () => {
    const couriers = CourierModel.collection;
    await couriers.deleteOne({ code: 'zjs' });
    await couriers.insertOne({
      code: 'zjs',
      name: { zh: '宅急送', en: 'ZJS Express' },
      firstKgFen: 900,
      extraKgFen: 350,
      maxWeightGrams: 30000,
      dailyCapacity: 123,
      pickupCutoff: '15:45',
      promisedDays: 3,
      reachesVillages: false,
      active: true,
    });
    await seedDemoCounty(getRuntime().logger, {
      dataDir: getRuntime().config.DATA_DIR,
      history: false,
    });
    const zjs = (await couriers.findOne({ code: 'zjs' }))!;
    const seeded = DEMO_COURIERS.find((c) => c.code === 'zjs')!;
    expect(zjs.rateCard).to.deep.equal(seeded.rateCard);
    expect(zjs.coverage).to.deep.equal(seeded.coverage);
    expect([zjs.dailyCapacity, zjs.pickupCutoff]).to.deep.equal([123, '15:45']);
    expect(zjs).not.to.have.any.keys('firstKgFen', 'extraKgFen', 'maxWeightGrams', 'promisedDays');
    await CourierModel.findOne({ code: 'zjs' })
      .orFail()
      .then((doc) => doc.validate());
  });

  it('edits capacity and cut-off, refusing a time that does not exist', async () => {
    const saved = await admin.postForm('/admin/couriers/ems/schedule', {
      dailyCapacity: '1500',
      pickupCutoff: '17:15',
    });
    expect(saved.status).to.equal(303);
    const ems = (await CourierModel.findOne({ code: 'ems' }).lean())!;
    expect([ems.dailyCapacity, ems.pickupCutoff]).to.deep.equal([1500, '17:15']);

    const before = await courierSnapshot();
    const bad = await admin.postForm('/admin/couriers/ems/schedule', {
      dailyCapacity: '-3',
      pickupCutoff: '25:00',
    });
    expect(bad.status).to.equal(400);
    expect(bad.body).to.include('每日运力请填 0–999999 的整数');
    expect(bad.body).to.include('截单时间请按 24 小时制填写');
    expect(await courierSnapshot()).to.deep.equal(before);

    const missing = await admin.postForm('/admin/couriers/nosuch/schedule', {
      dailyCapacity: '10',
      pickupCutoff: '16:00',
    });
    expect(missing.status).to.equal(404);
  });

  it('switches a courier off and on again', async () => {
    expect(
      (await admin.postForm('/admin/couriers/sf/active', { active: 'false' })).status,
    ).to.equal(303);
    expect((await CourierModel.findOne({ code: 'sf' }).lean())!.active).to.equal(false);
    const page = await admin.get<string>('/admin/couriers');
    expect(page.body).to.include('data-testid="activate-sf"');
    expect((await admin.postForm('/admin/couriers/sf/active', { active: 'true' })).status).to.equal(
      303,
    );
    expect((await CourierModel.findOne({ code: 'sf' }).lean())!.active).to.equal(true);
  });

  for (const [who, login] of [
    ['a buyer', BUYER],
    ['hub staff', HUB_STAFF],
  ] as const) {
    it(`shows ${who} neither the page nor the import, and changes nothing`, async () => {
      const before = await courierSnapshot();
      const client = new Client(admin.base);
      expect((await client.signIn(login, DEMO_PASSWORD)).status).to.equal(200);
      expect((await client.get('/admin/couriers')).status).to.equal(403);
      const upload = await uploadRateCards(client, `${HEADER}\nzto,local,0.01,0,1\n`);
      expect(upload.status).to.equal(403);
      const form = await client.postForm('/admin/couriers/zto/schedule', {
        dailyCapacity: '0',
        pickupCutoff: '00:00',
      });
      expect(form.status).to.equal(403);
      expect(
        (await client.postForm('/admin/couriers/zto/active', { active: 'false' })).status,
      ).to.equal(403);
      expect(await courierSnapshot()).to.deep.equal(before);
    });
  }

  it('refuses anyone but the admin in the service itself, whatever the route', async () => {
    const staff = (await UserModel.findOne({ phone: HUB_STAFF }).lean())!;
    const actor: Actor = {
      id: String(staff._id),
      role: staff.role,
      displayName: staff.displayName,
    };
    const { couriers } = web.services;
    const csv = `${HEADER}\nzto,local,0.01,0,1\n`;
    expect(await couriers.importRateCards(actor, csv).catch((e: unknown) => e)).to.be.instanceOf(
      Forbidden,
    );
    expect(
      await couriers.importRateCards(undefined, csv).catch((e: unknown) => e),
    ).to.be.instanceOf(Forbidden);
  });
});
