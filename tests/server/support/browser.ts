/** Small helpers the Chromium tests share. */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';

/** Screenshots for a person to look at, only when SKILLPROOF_SCREENSHOT_DIR names where. */
export async function shot(page: Page, name: string, options: { fullPage?: boolean } = {}): Promise<void> {
  const dir = process.env.SKILLPROOF_SCREENSHOT_DIR;
  if (!dir) return;
  mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: join(dir, `${name}.png`), ...(options.fullPage ? { fullPage: true } : {}) });
}

/** How far the page is wider than the viewport (0: no sideways scrolling). */
export const sidewaysOverflow = (page: Page) => page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth');
