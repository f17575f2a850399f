import { expect } from 'chai';
import { ProductModel } from '../../server/catalogue/product.model.ts';
import { startWebServer, type WebServer } from '../../server/app/web-server.ts';
import { ensureDemoCounty } from '../support/fixtures.ts';
import { getRuntime } from '../support/root-hooks.ts';

describe('the storefront', () => {
  let web: WebServer;
  let base: string;
  const get = async (path: string) => {
    const res = await fetch(`${base}${path}`, { redirect: 'manual' });
    return { status: res.status, html: await res.text() };
  };
  before(async () => {
    await ensureDemoCounty();
    web = await startWebServer(getRuntime(), { port: 0 });
    base = `http://127.0.0.1:${web.port}`;
  });
  after(() => web.close());

  for (const [query, expected, absent] of [
    ['花椒', '平顺大红袍花椒', '沁州黄小米'],
    ['小米', '沁州黄小米', '平顺大红袍花椒'],
    ['党参', '平顺潞党参', '连翘茶'],
    ['walnuts', '太行山薄皮核桃', '平顺潞党参'],
  ] as const) {
    it(`finds ${expected} for "${query}"`, async () => {
      const { html } = await get(`/search?q=${encodeURIComponent(query)}`);
      expect(html).to.include(expected);
      expect(html).not.to.include(`>${absent}<`);
    });
  }

  it('filters by category', async () => {
    const { html } = await get('/search?category=herb');
    expect(html).to.include('平顺潞党参');
    expect(html).not.to.include('>沁州黄小米<');
  });

  it('shows a product with its grades, prices, stock and origin village', async () => {
    const { status, html } = await get('/p/dahongpao-sichuan-pepper');
    expect(status).to.equal(200);
    for (const text of [
      '特级 250g',
      '特级 500g',
      '一级 500g',
      '¥69.80',
      '西沟村',
      '西沟大红袍花椒合作社',
      '平顺县',
    ])
      expect(html).to.include(text);
    expect(html).to.match(/剩余 \d+ 件/);
    // The demo session has this pepper pinned on air: the page offers the way into the room.
    expect(html).to.match(/href="\/live\/[a-f0-9]{24}" data-testid="watch-live"/);
    expect((await get('/p/qinzhouhuang-millet')).html).not.to.include('data-testid="watch-live"');
  });

  it('ships at most 100 KB of CSS and JavaScript with a product page', async () => {
    const { html } = await get('/p/dahongpao-sichuan-pepper');
    const assets = [
      ...html.matchAll(/<(?:link[^>]+href|script[^>]+src)="([^"]+\.(?:css|js))"/g),
    ].map((m) => m[1]!);
    let bytes = 0;
    for (const asset of assets)
      bytes += (await (await fetch(`${base}${asset}`)).arrayBuffer()).byteLength;
    expect(assets).to.include('/css/app.css');
    expect(bytes).to.be.below(100 * 1024);
  });

  it('shows a shop page with its story and products', async () => {
    const { html } = await get('/s/dongsitou-herbs');
    expect(html).to.include('东寺头潞党参药材社');
    expect(html).to.include('地理标志');
    expect(html).to.include('连翘茶');
  });

  it('answers unknown or malformed slugs with the 404 page', async () => {
    for (const path of ['/p/no-such-thing', '/p/%3Cscript%3E', '/s/nope-shop', '/orders/CB1']) {
      const { status, html } = await get(path);
      expect([404, 303], path).to.include(status);
      if (status === 404) expect(html).to.include('返回首页');
    }
  });

  it('escapes what shops write', async () => {
    await ProductModel.updateOne(
      { slug: 'red-adzuki-beans' },
      { $set: { 'description.zh': '<img src=x onerror=alert(1)>好豆' } },
    );
    const { html } = await get('/p/red-adzuki-beans');
    expect(html).to.include('&lt;img src&#x3D;x onerror&#x3D;alert(1)&gt;好豆');
    expect(html).not.to.include('<img src=x onerror');
  });
});
