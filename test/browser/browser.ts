// Headless Chromium (Debian's package) driven by playwright-core, against an in-process server.
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { inProcessWeb, type WebScene } from '../support/web-scene.ts';
import { findExecutable } from '../../server/core/local-services/processes.ts';

const PHONE = { width: 390, height: 844 };

export async function launchBrowser(): Promise<Browser> {
  const executablePath =
    findExecutable('chromium', ['/usr/bin']) ?? findExecutable('chromium-browser', ['/usr/bin']);
  if (!executablePath)
    throw new Error(
      'Chromium is not installed: run scripts/install-browser.sh (Debian package chromium)',
    );
  return chromium.launch({
    executablePath,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

export function phoneContext(browser: Browser, baseURL: string): Promise<BrowserContext> {
  return browser.newContext({
    baseURL,
    viewport: PHONE,
    deviceScaleFactor: 2,
    isMobile: true,
    hasTouch: true,
    locale: 'zh-CN',
  });
}

/** A tablet on a stand beside the streamer's phone: where the live console is used. */
export function tabletContext(browser: Browser, baseURL: string): Promise<BrowserContext> {
  return browser.newContext({
    baseURL,
    viewport: { width: 1024, height: 768 },
    deviceScaleFactor: 2,
    isMobile: true,
    hasTouch: true,
    locale: 'zh-CN',
  });
}

/** Signs in through the real form and waits to land on `returnTo`. Demo logins share one password. */
export async function signIn(page: Page, login: string, returnTo: string, password = 'cunbo2026') {
  await page.goto(`/signin?returnTo=${encodeURIComponent(returnTo)}`);
  await page.fill('input[name=login]', login);
  await page.fill('input[name=password]', password);
  await page.click('button:has-text("登录")');
  await page.waitForURL((url) => url.pathname === returnTo);
}

export interface BrowserTestEnv extends WebScene {
  browser: Browser;
}

/** The web scene plus one Chromium, closed after the describe block. */
export function webAndBrowser(
  options: { workers?: boolean; prepare?: () => Promise<unknown> } = {},
): BrowserTestEnv {
  const env = inProcessWeb(options) as BrowserTestEnv;
  before(async () => {
    env.browser = await launchBrowser();
  });
  after(async () => {
    await env.browser?.close();
  });
  return env;
}
