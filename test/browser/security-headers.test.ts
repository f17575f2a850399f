// Every page type, as each kind of person sees it, loads under the strict Content-Security-Policy
// without a single violation, and the headers a browser trusts are on every response (issue #13).
import { expect } from 'chai';
import type { Page } from 'playwright-core';
import { LiveSessionModel } from '../../server/live/live-session.model.ts';
import { ParcelModel } from '../../server/hub/parcel.model.ts';
import { ShopModel } from '../../server/catalogue/shop.model.ts';
import { DEMO_ORDER_NO } from '../../server/seed/demo-delivered-parcel.ts';
import { TraceCodeModel } from '../../server/trace/trace-code.model.ts';
import { phoneContext, signIn, tabletContext, webAndBrowser } from './browser.ts';

/** Records the CSP violations a page reports, from its first script on. */
async function watchViolations(page: Page): Promise<string[]> {
  const violations: string[] = [];
  page.on('console', (m) => {
    if (/Content Security Policy/i.test(m.text())) violations.push(`${page.url()}: ${m.text()}`);
  });
  await page.exposeFunction('__cspViolation', (text: string) => violations.push(text));
  await page.addInitScript({
    content:
      "document.addEventListener('securitypolicyviolation', (e) => " +
      "window.__cspViolation(location.pathname + ': ' + e.violatedDirective + ' ' + e.blockedURI));",
  });
  return violations;
}

describe('browser: security headers and the Content-Security-Policy', function () {
  this.timeout(180_000);
  const env = webAndBrowser();

  it('no page type of any role reports a CSP violation', async () => {
    const shop = (await ShopModel.findOne({ slug: 'xigou-pepper' }).lean())!;
    const session =
      (await LiveSessionModel.findOne({ shopId: shop._id }).lean()) ??
      (await LiveSessionModel.create({
        shopId: shop._id,
        title: { zh: '安全头专场', en: 'Headers session' },
        scheduledAt: new Date(),
        offers: [],
      }));
    const parcel = (await ParcelModel.findOne().lean())!;
    const trace = (await TraceCodeModel.findOne().lean())!;
    const visits: { login?: string; tablet?: boolean; paths: string[] }[] = [
      {
        paths: [
          '/',
          '/search?q=花椒',
          '/p/dahongpao-sichuan-pepper',
          '/s/xigou-pepper',
          '/signin',
          '/signup',
          '/cart',
          `/live/${String(session._id)}`,
          `/t/${trace.code}`,
        ],
      },
      {
        login: '13800000001',
        paths: ['/orders', `/orders/${DEMO_ORDER_NO}`, '/checkout', '/shops/new'],
      },
      {
        login: '13900000001',
        tablet: true,
        paths: [
          '/studio',
          '/studio/live',
          `/studio/live/${String(session._id)}`,
          '/studio/products/new',
          '/studio/orders',
          '/studio/certifications',
        ],
      },
      {
        login: '13600000001',
        tablet: true,
        paths: ['/hub', '/hub/batches', `/hub/parcels/${parcel.parcelNo}`],
      },
      {
        login: '13700000000',
        tablet: true,
        paths: ['/admin/shops', '/admin/couriers', '/admin/certifications', '/admin/payments'],
      },
    ];
    const violations: string[] = [];
    let pages = 0;
    for (const visit of visits) {
      const context = await (visit.tablet ? tabletContext : phoneContext)(env.browser, env.base);
      const page = await context.newPage();
      const seen = await watchViolations(page);
      if (visit.login) await signIn(page, visit.login, visit.paths[0]!);
      for (const path of visit.paths) {
        const response = await page.goto(path, { waitUntil: 'load' });
        expect(response!.status(), path).to.be.below(500);
        // Scripts that run after load (sockets, forms) have made their requests, blocked or not.
        await page.waitForLoadState('networkidle');
        pages++;
      }
      violations.push(...seen);
      await context.close();
    }
    expect(pages).to.equal(visits.reduce((n, v) => n + v.paths.length, 0));
    expect(violations).to.deep.equal([]);
  });

  it('every response carries the headers; pages for someone signed in are not stored', async () => {
    const home = await fetch(`${env.base}/`);
    const csp = home.headers.get('content-security-policy')!;
    expect(csp).to.include("default-src 'self'");
    expect(csp).to.include("frame-ancestors 'none'");
    expect(csp).to.include("script-src 'self' https://js.stripe.com");
    expect(csp).to.not.include('unsafe-inline');
    expect(home.headers.get('x-frame-options')).to.equal('DENY');
    expect(home.headers.get('x-content-type-options')).to.equal('nosniff');
    expect(home.headers.get('referrer-policy')).to.equal('strict-origin-when-cross-origin');
    expect(home.headers.get('cache-control') ?? '').to.not.include('no-store');
    const css = await fetch(`${env.base}/css/app.css`);
    expect(css.headers.get('x-content-type-options')).to.equal('nosniff');

    const context = await phoneContext(env.browser, env.base);
    const page = await context.newPage();
    await signIn(page, '13800000001', '/orders');
    const mine = await page.goto(`/orders/${DEMO_ORDER_NO}`);
    expect(mine!.headers()['cache-control']).to.equal('no-store');
    const shopPage = await page.goto('/s/xigou-pepper');
    expect(shopPage!.headers()['cache-control']).to.equal('no-store');
    await context.close();
  });
});
