import { expect } from 'chai';
import type { Actor } from '../../server/accounts/actor.ts';
import { UserModel } from '../../server/accounts/user.model.ts';
import { ProductModel } from '../../server/catalogue/product.model.ts';
import { Forbidden } from '../../server/core/errors.ts';
import { startWebServer, type WebServer } from '../../server/app/web-server.ts';
import { DEMO_PASSWORD } from '../../server/seed/demo-county.ts';
import { demoCertificatePdf } from '../../server/seed/demo-certifications.ts';
import { CertificationModel } from '../../server/trace/certification.model.ts';
import { certificationBadges, isBadgeWorthy } from '../../server/trace/certification.service.ts';
import { discardDocument, documentUrl, sniffDocumentType } from '../../server/trace/uploads.ts';
import { ensureDemoCounty } from '../support/fixtures.ts';
import { Client } from '../support/http-client.ts';
import { getRuntime } from '../support/root-hooks.ts';

const ADMIN = '13700000000';
const HUB_STAFF = '13600000001';
const PEPPER_STREAMER = '13900000001'; // xigou-pepper
const MILLET_STREAMER = '13900000002'; // hongti-millet

const PDF = demoCertificatePdf(['Green Food Certificate (test)']);
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
  'base64',
);

interface Upload {
  bytes: Buffer;
  name: string;
  type: string;
}

/** Submits the studio form the way the browser does: multipart, CSRF token in the query. */
async function submit(
  client: Client,
  fields: Record<string, string | string[]>,
  file: Upload | null = { bytes: PDF, name: '证书.pdf', type: 'application/pdf' },
) {
  const form = new FormData();
  for (const [name, value] of Object.entries(fields))
    for (const v of [value].flat()) form.append(name, v);
  if (file)
    form.set('certificate', new Blob([new Uint8Array(file.bytes)], { type: file.type }), file.name);
  const res = await fetch(
    `${client.base}/studio/certifications?_csrf=${encodeURIComponent(client.csrfToken)}`,
    {
      method: 'POST',
      headers: { cookie: client.cookieHeader(), accept: 'text/html' },
      body: form,
      redirect: 'manual',
    },
  );
  return { status: res.status, html: await res.text(), location: res.headers.get('location') };
}

const productId = async (slug: string) =>
  String((await ProductModel.findOne({ slug }, { _id: 1 }).lean())!._id);

const badgesOn = (html: string) =>
  [...html.matchAll(/data-testid="cert-badge" data-kind="([a-z_]+)"/g)].map((m) => m[1]);

async function actorFor(phone: string): Promise<Actor> {
  const user = (await UserModel.findOne({ phone }).lean())!;
  return {
    id: String(user._id),
    role: user.role,
    displayName: user.displayName,
    ...(user.shopId ? { shopId: String(user.shopId) } : {}),
  };
}

describe('certifications: a shop submits, the county admin verifies, buyers see badges', () => {
  let web: WebServer;
  let base: string;
  let pepperShop: Client;
  let milletShop: Client;
  let admin: Client;
  let hubStaff: Client;
  let visitor: Client;
  let pepperPowder: string;
  let pepperTea: string;

  const signedIn = async (phone: string) => {
    const client = new Client(base);
    expect((await client.signIn(phone, DEMO_PASSWORD)).status).to.equal(200);
    return client;
  };

  const fields = (over: Record<string, string | string[]> = {}) => ({
    kind: 'green_food',
    number: 'LB-14-2501010001A',
    issuer: '中国绿色食品发展中心',
    valid_from: '2025-01-01',
    valid_to: '2028-12-31',
    product_ids: pepperPowder,
    ...over,
  });

  /** Submits as the pepper shop and returns the new certification's id. */
  const submitted = async (over: Record<string, string | string[]> = {}) => {
    const reply = await submit(pepperShop, fields(over));
    expect(reply.status, reply.html).to.equal(303);
    expect(reply.location).to.equal('/studio/certifications?submitted=1');
    const latest = (await CertificationModel.findOne().sort({ createdAt: -1 }).lean())!;
    return { id: String(latest._id), url: documentUrl(latest.certificate) };
  };

  const review = (client: Client, id: string, form: Record<string, string>) =>
    client.postForm(`/admin/certifications/${id}/review`, form);

  before(async () => {
    await ensureDemoCounty();
    web = await startWebServer(getRuntime(), { port: 0 });
    base = `http://127.0.0.1:${web.port}`;
    pepperShop = await signedIn(PEPPER_STREAMER);
    milletShop = await signedIn(MILLET_STREAMER);
    admin = await signedIn(ADMIN);
    hubStaff = await signedIn(HUB_STAFF);
    visitor = new Client(base);
    pepperPowder = await productId('sichuan-pepper-powder');
    pepperTea = await productId('pepper-leaf-tea');
  });

  after(async () => {
    await web.close();
    // The run's database goes away; so do the certificate files it stored under DATA_DIR.
    const dataDir = getRuntime().config.DATA_DIR;
    for (const cert of await CertificationModel.find({}, { certificate: 1 }).lean())
      await discardDocument(dataDir, cert.certificate);
  });

  it('the demo county shows each case: a verified 地理标志 badge, nothing for pending or expired', async () => {
    const pepper = await visitor.get<string>('/p/dahongpao-sichuan-pepper');
    expect(badgesOn(pepper.body)).to.deep.equal(['geographical_indication']);
    expect(pepper.body).to.include('地理标志');
    expect(pepper.body).to.include('国家知识产权局');
    expect(pepper.body).to.include('有效期至 2032-12-31');
    expect(pepper.body).to.include('平顺县 西沟乡 西沟村'); // the origin line, beside the badge
    expect(badgesOn((await visitor.get<string>('/p/qinzhouhuang-millet')).body)).to.deep.equal([]);
    expect(badgesOn((await visitor.get<string>('/p/pingshun-codonopsis')).body)).to.deep.equal([]);
    // The verified one's certificate is public, a real PDF.
    const gi = (await CertificationModel.findOne({ kind: 'geographical_indication' }).lean())!;
    const doc = await visitor.get<string>(documentUrl(gi.certificate));
    expect(doc.status).to.equal(200);
    expect(doc.headers.get('content-type')).to.equal('application/pdf');
  });

  it('a shop submits a certification with its certificate; pending, it shows no badge', async () => {
    const { id, url } = await submitted();
    const cert = (await CertificationModel.findById(id).lean())!;
    expect(cert).to.deep.include({
      status: 'pending',
      kind: 'green_food',
      issuer: '中国绿色食品发展中心',
    });
    expect(cert.certificate).to.deep.include({ mime: 'application/pdf', originalName: '证书.pdf' });
    expect(cert.certificate.bytes).to.equal(PDF.length);

    const home = await pepperShop.get<string>('/studio');
    expect(home.body).to.include('href="/studio/certifications"');
    const studio = await pepperShop.get<string>('/studio/certifications?submitted=1');
    expect(studio.body).to.include('已提交，等待县电商中心审核。');
    expect(studio.body).to.include('LB-14-2501010001A');
    expect(studio.body).to.include('待审核');
    expect(studio.body).to.include('2025-01-01 至 2028-12-31');

    const page = await visitor.get<string>('/p/sichuan-pepper-powder');
    expect(page.status).to.equal(200);
    expect(badgesOn(page.body)).to.deep.equal([]);

    // Until verified, the certificate is the shop's and the admin's only.
    for (const [who, client] of [
      ['the public', visitor],
      ['another shop', milletShop],
      ['hub staff', hubStaff],
    ] as const)
      expect((await client.get(url)).status, who).to.equal(404);
    expect((await visitor.get(url.replace('/documents/', '/uploads/documents/'))).status).to.equal(
      404,
    );
    expect(
      (await visitor.get(url.replace('/documents/', '/uploads/products/..%2Fdocuments/'))).status,
    ).to.equal(404);
    for (const client of [pepperShop, admin]) {
      const doc = await client.get<string>(url);
      expect(doc.status).to.equal(200);
      expect(doc.headers.get('content-type')).to.equal('application/pdf');
      expect(doc.headers.get('content-disposition')).to.match(/^inline; filename\*=UTF-8''/);
      expect(doc.headers.get('x-content-type-options')).to.equal('nosniff');
      expect(doc.body.startsWith('%PDF-')).to.equal(true);
    }
  });

  it('only the county admin verifies: a streamer or hub staff gets 403 and nothing changes', async () => {
    const { id } = await submitted({ number: 'LB-14-2501010002A' });
    const before = (await CertificationModel.findById(id).lean())!;
    for (const client of [pepperShop, milletShop, hubStaff]) {
      const reply = await review(client, id, { decision: 'verify' });
      expect(reply.status).to.equal(403);
    }
    expect((await pepperShop.get('/admin/certifications')).status).to.equal(403);
    const streamer = await actorFor(PEPPER_STREAMER);
    const direct = await web.services.certifications
      .review(streamer, id, { decision: 'verify' })
      .catch((e: unknown) => e);
    expect(direct).to.be.instanceOf(Forbidden);
    const after = (await CertificationModel.findById(id).lean())!;
    expect(after.status).to.equal('pending');
    expect(after.updatedAt).to.deep.equal(before.updatedAt);
    expect(badgesOn((await visitor.get<string>('/p/sichuan-pepper-powder')).body)).to.deep.equal(
      [],
    );
  });

  it('once the admin verifies it, the badge shows on the product page and the certificate is public', async () => {
    const { id, url } = await submitted({ number: 'LB-14-2501010003A' });
    const queue = await admin.get<string>('/admin/certifications');
    expect(queue.status).to.equal(200);
    expect(queue.body).to.include(`data-id="${id}"`);
    expect(queue.body).to.include('LB-14-2501010003A');
    expect(queue.body).to.include('href="/admin/certifications"'); // in the admin's nav

    const reply = await review(admin, id, { decision: 'verify' });
    expect(reply.status).to.equal(303);
    const cert = (await CertificationModel.findById(id).lean())!;
    expect(cert.status).to.equal('verified');
    expect(cert.review?.at).to.be.instanceOf(Date);

    const page = await visitor.get<string>('/p/sichuan-pepper-powder');
    expect(badgesOn(page.body)).to.deep.equal(['green_food']);
    expect(page.body).to.include('绿色食品');
    expect(page.body).to.include('LB-14-2501010003A');
    expect(page.body).to.include('有效期至 2028-12-31');
    const english = await visitor.get<string>('/p/sichuan-pepper-powder?lang=en');
    expect(english.body).to.include('Green food');
    expect(english.body).to.include('valid until 2028-12-31');
    expect((await visitor.get(url)).status).to.equal(200);

    // A decided certification is not decided again.
    expect((await review(admin, id, { decision: 'reject', reason: '改主意了' })).status).to.equal(
      409,
    );
    expect((await CertificationModel.findById(id).lean())!.status).to.equal('verified');
  });

  it('rejecting needs a reason, and the shop sees the reason; no badge', async () => {
    const { id } = await submitted({
      kind: 'organic',
      number: 'OG-REJECT-1',
      product_ids: pepperTea,
    });
    const noReason = await review(admin, id, { decision: 'reject', reason: ' ' });
    expect(noReason.status).to.equal(400);
    expect(noReason.body).to.include('驳回时请写明原因');
    expect((await CertificationModel.findById(id).lean())!.status).to.equal('pending');

    const reply = await review(admin, id, {
      decision: 'reject',
      reason: '证书照片看不清，请重新上传。',
    });
    expect(reply.status).to.equal(303);
    const studio = await pepperShop.get<string>('/studio/certifications');
    const row = studio.body.slice(studio.body.indexOf('OG-REJECT-1'));
    expect(row).to.include('已驳回');
    expect(row).to.include('证书照片看不清，请重新上传。');
    expect(badgesOn((await visitor.get<string>('/p/pepper-leaf-tea')).body)).to.deep.equal([]);
  });

  it('an expired or not-yet-valid verified certification shows no badge', async () => {
    const expired = await submitted({
      kind: 'pollution_free',
      number: 'WGH-EXPIRED-1',
      valid_from: '2020-01-01',
      valid_to: '2025-12-31',
      product_ids: pepperTea,
    });
    const future = await submitted({
      kind: 'organic',
      number: 'OG-FUTURE-1',
      valid_from: '2099-01-01',
      valid_to: '2099-12-31',
      product_ids: pepperTea,
    });
    for (const { id } of [expired, future])
      expect((await review(admin, id, { decision: 'verify' })).status).to.equal(303);

    expect(badgesOn((await visitor.get<string>('/p/pepper-leaf-tea')).body)).to.deep.equal([]);
    const studio = await pepperShop.get<string>('/studio/certifications');
    expect(studio.body.slice(studio.body.indexOf('WGH-EXPIRED-1'))).to.include(
      '不在有效期内，不显示标识',
    );
    // The same certifications do make badges on a day inside their validity.
    const onDay = async (iso: string) =>
      (await certificationBadges({ productId: pepperTea }, new Date(iso))).map((b) => b.number);
    expect(await onDay('2025-12-31T23:59:00+08:00')).to.deep.equal(['WGH-EXPIRED-1']);
    expect(await onDay('2026-01-01T00:00:00+08:00')).to.deep.equal([]);
    expect(await onDay('2099-01-01T00:00:00+08:00')).to.deep.equal(['OG-FUTURE-1']);
  });

  it('isBadgeWorthy: verified and within validity, to the millisecond', () => {
    const validFrom = new Date('2026-01-01T00:00:00+08:00');
    const validTo = new Date('2026-12-31T23:59:59.999+08:00');
    const verified = { status: 'verified' as const, validFrom, validTo };
    expect(isBadgeWorthy(verified, validFrom)).to.equal(true);
    expect(isBadgeWorthy(verified, validTo)).to.equal(true);
    expect(isBadgeWorthy(verified, new Date(validFrom.getTime() - 1))).to.equal(false);
    expect(isBadgeWorthy(verified, new Date(validTo.getTime() + 1))).to.equal(false);
    const inside = new Date('2026-06-01T00:00:00Z');
    expect(isBadgeWorthy({ ...verified, status: 'pending' }, inside)).to.equal(false);
    expect(isBadgeWorthy({ ...verified, status: 'rejected' }, inside)).to.equal(false);
  });

  it('refuses a file that is not really a PDF or image (by its bytes), or over 5 MB; nothing saved', async () => {
    const count = await CertificationModel.countDocuments();
    const exe = Buffer.concat([
      Buffer.from('MZ\x90\x00\x03\x00\x00\x00', 'latin1'),
      Buffer.alloc(200),
    ]);
    const html = Buffer.from('<!doctype html><script>alert(document.cookie)</script>');
    for (const bytes of [exe, html]) {
      const reply = await submit(pepperShop, fields({ number: 'LB-FAKE-1' }), {
        bytes,
        name: 'certificate.pdf',
        type: 'application/pdf',
      });
      expect(reply.status).to.equal(400);
      expect(reply.html).to.include('按文件内容识别');
      expect(reply.html).to.include('value="LB-FAKE-1"'); // the form keeps what was typed
    }
    const huge = Buffer.concat([PDF, Buffer.alloc(6 * 1024 * 1024)]);
    const tooBig = await submit(pepperShop, fields({ number: 'LB-HUGE-1' }), {
      bytes: huge,
      name: 'big.pdf',
      type: 'application/pdf',
    });
    expect(tooBig.status).to.equal(400);
    expect(tooBig.html).to.include('文件不能超过 5 MB。');
    const missing = await submit(pepperShop, fields({ number: 'LB-NOFILE-1' }), null);
    expect(missing.status).to.equal(400);
    expect(missing.html).to.include('请上传证书文件。');
    expect(await CertificationModel.countDocuments()).to.equal(count);

    // A real PNG passes whatever it is called.
    expect(sniffDocumentType(PNG)?.mime).to.equal('image/png');
    const png = await submit(pepperShop, fields({ number: 'LB-PNG-1' }), {
      bytes: PNG,
      name: 'scan.pdf',
      type: 'application/pdf',
    });
    expect(png.status, png.html).to.equal(303);
    const stored = (await CertificationModel.findOne({ number: 'LB-PNG-1' }).lean())!;
    expect(stored.certificate.mime).to.equal('image/png');
    expect(stored.certificate.path).to.match(/^documents\/[0-9a-f]{32}\.png$/);
  });

  it("refuses a scope with another shop's product and bad dates or kinds; nothing saved", async () => {
    const count = await CertificationModel.countDocuments();
    const millet = await productId('qinzhouhuang-millet');
    const steal = await submit(pepperShop, fields({ product_ids: [pepperPowder, millet] }));
    expect(steal.status).to.equal(400);
    expect(steal.html).to.include('只能选择本店的商品。');

    const backwards = await submit(
      pepperShop,
      fields({ valid_from: '2028-01-01', valid_to: '2027-01-01' }),
    );
    expect(backwards.status).to.equal(400);
    expect(backwards.html).to.include('截止日期要晚于开始日期。');
    const notADate = await submit(pepperShop, fields({ valid_to: '2027-02-30' }));
    expect(notADate.status).to.equal(400);
    const badKind = await submit(pepperShop, fields({ kind: 'best_in_world' }));
    expect(badKind.status).to.equal(400);
    expect(badKind.html).to.include('请选择认证类型。');
    const noScope = await submit(pepperShop, fields({ product_ids: [] }));
    expect(noScope.status).to.equal(400);
    expect(await CertificationModel.countDocuments()).to.equal(count);

    // Only a shop's streamer submits at all.
    expect((await submit(hubStaff, fields())).status).to.equal(403);
    expect((await submit(visitor, fields())).status).to.be.oneOf([303, 403]); // sign in first
    expect(await CertificationModel.countDocuments()).to.equal(count);
  });
});
