// Headless Chromium (Debian's package) driven by playwright-core, against an in-process server.
import { chromium, type Browser, type BrowserContext } from 'playwright-core';
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
