/** Small helpers the Chromium tests share. */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

/** Debian's Chromium (CI installs it in .ci/run); without it these tests fail rather than skip. */
export const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/**
 * Starts Chromium, headless. Call it first in a beforeAll and await it once the portal is seeded:
 * the browser starts in its own processes while the test's own set-up runs.
 */
export function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    return Promise.reject(
      new Error(
        `Chromium is missing at ${CHROMIUM}, so the browser tests cannot run. Install Debian's package: ` +
          '`apt-get update && apt-get install -y --no-install-recommends chromium` (CI does this in .ci/run).',
      ),
    );
  }
  const launching = chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS });
  // Awaited later; a set-up step failing first must not leave this rejection unhandled.
  launching.catch(() => undefined);
  return launching;
}

export interface Viewer {
  page: Page;
  /** Console errors and uncaught exceptions (a CSP violation shows up here); emptied each time the viewer is taken up again. */
  problems: string[];
}

/**
 * One page per viewer (`who`, a name or an object kept by identity), each in a browser context of
 * its own (its own cookies), signed in once by `signIn` and kept for the whole file. Each use sets
 * the viewport width asked for and screen media, so a test at 390 px and one at 1280 px lay the
 * page out afresh at their own width after their own navigation.
 */
export function viewers<Who>(browser: () => Browser, signIn: (page: Page, who: Who) => Promise<void>) {
  const open = new Map<Who, Viewer>();
  return async (width: number, who: Who): Promise<Viewer> => {
    let viewer = open.get(who);
    if (!viewer) {
      const context = await browser().newContext({ viewport: { width, height: 900 } });
      const page = await context.newPage();
      const problems: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error') problems.push(m.text());
      });
      page.on('pageerror', (e) => problems.push(e.message));
      await signIn(page, who);
      viewer = { page, problems };
      open.set(who, viewer);
    }
    await viewer.page.setViewportSize({ width, height: 900 });
    await viewer.page.emulateMedia({ media: null });
    viewer.problems.length = 0;
    return viewer;
  };
}

/** Screenshots for a person to look at, only when SKILLPROOF_SCREENSHOT_DIR names where. */
export async function shot(page: Page, name: string, options: { fullPage?: boolean } = {}): Promise<void> {
  const dir = process.env.SKILLPROOF_SCREENSHOT_DIR;
  if (!dir) return;
  mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: join(dir, `${name}.png`), ...(options.fullPage ? { fullPage: true } : {}) });
}

/** How far the page is wider than the viewport (0: no sideways scrolling). */
export const sidewaysOverflow = (page: Page) => page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth');
