// A session entered as 20:00 China time is 20:00 on every page that shows it and in the
// console's countdown, whatever zone the server or the streamer's tablet runs in (issue #12:
// times were off by eight hours because the form's local time was read as UTC).
import { expect } from 'chai';
import { LiveSessionModel } from '../../server/live/live-session.model.ts';
import { phoneContext, signIn, webAndBrowser } from './browser.ts';

/** The next 20:00 in China at least an hour ahead, as the date a person types ("2026-12-06"). */
function nextChinaEvening(): string {
  const chinaNow = new Date(Date.now() + 8 * 3600_000); // China has no daylight saving
  const today = chinaNow.toISOString().slice(0, 10);
  const tonight = Date.parse(`${today}T20:00:00+08:00`);
  if (tonight - Date.now() >= 3600_000) return today;
  return new Date(tonight + 24 * 3600_000 + 8 * 3600_000).toISOString().slice(0, 10);
}

describe('browser: a session entered as 20:00 is 20:00 everywhere', function () {
  this.timeout(120_000);
  const env = webAndBrowser();

  it('shows 20:00 on the studio list, the console, the home page and the room, and counts down to it', async () => {
    const day = nextChinaEvening();
    const startsAt = Date.parse(`${day}T20:00:00+08:00`);
    // The streamer's tablet is set to London time: the form still means Beijing time.
    const tablet = await env.browser.newContext({
      baseURL: env.base,
      viewport: { width: 1024, height: 768 },
      locale: 'zh-CN',
      timezoneId: 'Europe/London',
    });
    const studio = await tablet.newPage();
    await signIn(studio, '13900000001', '/studio/live');
    await studio.fill('input[name=title_zh]', '晚八点花椒专场');
    await studio.fill('input[name=scheduled_at]', `${day}T20:00`);
    await studio.selectOption('select[name=sku_code_0]', 'HJ-DHP-TJ-250');
    await studio.fill('input[name=live_price_yuan_0]', '29.80');
    await studio.fill('input[name=allotment_0]', '50');
    await studio.click('form[action="/studio/live"] button[type=submit]');
    await studio.waitForURL(/\/studio\/live\/[0-9a-f]{24}$/);
    const id = studio.url().split('/').at(-1)!;
    try {
      const stored = (await LiveSessionModel.findById(id).lean())!;
      expect(stored.scheduledAt.getTime()).to.equal(startsAt);

      // The console: the start in China time, and the countdown to that very moment.
      expect(await studio.locator('[data-testid=console-starts-at]').textContent()).to.include(
        `${day} 20:00`,
      );
      const shown = await studio.locator('[data-testid=starts-in]').textContent();
      const [h, m, s] = /(\d+):(\d\d):(\d\d)/
        .exec(shown ?? '')!
        .slice(1)
        .map(Number);
      const leftS = h! * 3600 + m! * 60 + s!;
      const expectedS = (startsAt - Date.now()) / 1000;
      // Eight hours off would be 28,800 s; a slow machine is a few seconds.
      expect(Math.abs(leftS - expectedS), `${shown} vs ${expectedS}s`).to.be.below(30);

      await studio.goto('/studio/live');
      expect(await studio.locator(`li:has(a[href="/studio/live/${id}"])`).textContent()).to.include(
        `${day} 20:00`,
      );

      // A buyer's phone: the home page's coming sessions and the room itself.
      const phone = await phoneContext(env.browser, env.base);
      const page = await phone.newPage();
      await page.goto('/');
      expect(await page.locator(`li:has(a[href="/live/${id}"])`).textContent()).to.include(
        `${day} 20:00`,
      );
      await page.goto(`/live/${id}`);
      expect(await page.locator('[data-testid=starts-at]').textContent()).to.include(
        `${day} 20:00`,
      );
      await phone.close();
    } finally {
      await tablet.close();
      await LiveSessionModel.deleteOne({ _id: id });
    }
  });
});
