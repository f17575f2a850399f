// Headless Chromium (Debian's package) driven by playwright-core, against an in-process server.
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { startWebServer, type WebServer } from '../../server/core/http/web-server.ts';
import { startWorkers, type Workers } from '../../workers/index.ts';
import { ensureDemoCounty } from '../support/fixtures.ts';
import { getRuntime } from '../support/root-hooks.ts';
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

export interface BrowserTestEnv {
  web: WebServer;
  browser: Browser;
  /** http://127.0.0.1:<port> of the in-process web server. */
  base: string;
  workers?: Workers;
}

/**
 * The usual scene of a browser test: the demo county, an in-process web server (and workers if
 * asked), one Chromium; all closed after the describe block. Read the fields inside tests.
 */
export function webAndBrowser(
  options: { workers?: boolean; prepare?: () => Promise<unknown> } = {},
): BrowserTestEnv {
  const env = {} as BrowserTestEnv;
  before(async () => {
    await ensureDemoCounty();
    await options.prepare?.();
    env.web = await startWebServer(getRuntime(), { port: 0 });
    if (options.workers) env.workers = await startWorkers(getRuntime(), env.web.services);
    env.base = `http://127.0.0.1:${env.web.port}`;
    env.browser = await launchBrowser();
  });
  after(async () => {
    await env.browser?.close();
    await env.workers?.close();
    await env.web?.close();
  });
  return env;
}
