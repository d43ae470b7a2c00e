import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium, shot, sidewaysOverflow, viewers } from './support/browser';
import { REPO_ROOT } from '../../src/catalog/load';
import { startTestPortal, type TestPortal } from './support/portal';

/**
 * The portal's layout in Debian's Chromium at a phone's width (390 px) and a laptop's (1280 px):
 * Submit stays reachable, identifiers wrap at their separators, the audit log is readable, and no
 * table widens the page. SKILLPROOF_SCREENSHOT_DIR keeps a screenshot of each page. The candidate
 * and the admin each sign in once and are kept for the file, at the width each test sets.
 */
const WIDTHS = [390, 1280] as const;

let portal: TestPortal;
let browser: Browser;
let attempt: { attemptId: string; code: string };
let runPath: string;

beforeAll(async () => {
  const launching = launchChromium();
  portal = await startTestPortal();
  attempt = await portal.newAttempt('layout@example.com');
  const token = await portal.signIn(attempt.code);
  await portal.api('POST', `/api/attempts/${attempt.attemptId}/start`, { token });
  const checked = await portal.api('POST', `/api/attempts/${attempt.attemptId}/check`, { token });
  expect(checked.status).toBe(200);
  const runs = await portal.api('GET', `/api/admin/attempts/${attempt.attemptId}`, { token: portal.adminToken });
  const runId = (runs.body.runs as Array<{ id: string; taskId: string }>).find((r) => r.taskId === 'serverless-safe-deploy')!.id;
  runPath = `/admin/attempts/${attempt.attemptId}/runs/${runId}`;
  browser = await launching;
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await portal?.shutdown();
});

const viewer = viewers<'candidate' | 'admin'>(
  () => browser,
  async (page, as) => {
    if (as === 'candidate') {
      await page.goto(`${portal.url}/sign-in`);
      await page.getByLabel('Access code').fill(attempt.code);
    } else {
      await page.goto(`${portal.url}/admin/sign-in`);
      await page.getByLabel('Admin token').fill(portal.adminToken);
    }
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/notice=signed-in/);
  },
);
const open = async (width: number, as: 'candidate' | 'admin') => (await viewer(width, as)).page;

/** Runs in the page (the tests' TypeScript has no DOM types): for each ARN of the report, the character before each of its line breaks. */
const LINE_BREAKS_OF_IDENTIFIERS = `[...document.querySelectorAll('table.report code.id')].map((code) => {
  const chars = [];
  const walker = document.createTreeWalker(code, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    for (let i = 0; i < node.textContent.length; i++) {
      const range = document.createRange();
      range.setStart(node, i);
      range.setEnd(node, i + 1);
      chars.push({ c: node.textContent[i], top: Math.round(range.getBoundingClientRect().top) });
    }
  }
  const before = [];
  for (let i = 1; i < chars.length; i++) if (chars[i].top > chars[i - 1].top) before.push(chars[i - 1].c);
  return before;
})`;

describe.each(WIDTHS)('portal layout at %i px', (width) => {
  it("keeps the candidate's Submit reachable: the side panel fits the window, the check list is in the main column", async () => {
    const page = await open(width, 'candidate');
    await page.goto(`${portal.url}/attempts/${attempt.attemptId}`);
    await shot(page, `layout-candidate-${width}`);
    expect(await sidewaysOverflow(page)).toBe(0);
    const panel = await page.locator('aside.panel').boundingBox();
    const submit = page.getByRole('link', { name: 'Submit my work…' });
    expect(panel!.height).toBeLessThanOrEqual(900);
    expect(await page.locator('aside.panel li.check').count()).toBe(0);
    expect(await page.locator('#progress-results li.check').count()).toBeGreaterThan(10);
    expect(await page.locator('#progress').textContent()).toMatch(/once every \d+ s at most/);
    if (width >= 1280) {
      // Far down the instructions, the sticky panel still shows Submit.
      await page.evaluate('window.scrollTo(0, document.body.scrollHeight / 2)');
      const box = await submit.boundingBox();
      expect(box!.y).toBeGreaterThanOrEqual(0);
      expect(box!.y + box!.height).toBeLessThanOrEqual(900);
    } else {
      // One column: the panel (with Submit) comes before the long list of checks.
      const box = await submit.boundingBox();
      const list = await page.locator('#progress-results').boundingBox();
      expect(box!.y).toBeLessThan(list!.y);
    }
  });

  it('wraps ARNs on the admin run page only after their separators, never letter by letter', async () => {
    const page = await open(width, 'admin');
    await page.goto(`${portal.url}${runPath}`);
    await shot(page, `layout-admin-run-${width}`);
    expect(await sidewaysOverflow(page)).toBe(0);
    const breaks = (await page.evaluate(LINE_BREAKS_OF_IDENTIFIERS)) as string[][];
    expect(breaks.length).toBeGreaterThan(0);
    for (const before of breaks.flat()) expect([':', '/']).toContain(before);
  });

  it('shows audit details as labelled values, not raw JSON, and no admin table widens the page', async () => {
    const page = await open(width, 'admin');
    await page.goto(`${portal.url}/admin/audit`);
    await shot(page, `layout-admin-audit-${width}`);
    const details = await page.locator('table.audit tbody td:last-child').allTextContents();
    expect(details.length).toBeGreaterThan(5);
    for (const d of details) expect(d).not.toMatch(/^\s*\{"/);
    expect(await page.locator('table.audit dl.kv dt', { hasText: 'attemptId' }).count()).toBeGreaterThan(0);
    for (const path of ['/admin/audit', '/admin/attempts', '/admin/credentials', '/admin', `/admin/attempts/${attempt.attemptId}`]) {
      await page.goto(`${portal.url}${path}`);
      expect({ path, overflow: await sidewaysOverflow(page) }).toEqual({ path, overflow: 0 });
    }
  });
});

describe('sign-in limits in the browser', () => {
  // One portal and one browser context for both widths: each width comes from an address of its
  // own and starts without cookies, as a fresh browser would.
  let limited: TestPortal;
  let context: BrowserContext;
  let page: Page;
  beforeAll(async () => {
    limited = await startTestPortal({ signInPerMinute: 2, trustProxy: true, publicUrl: 'http://127.0.0.1' });
    context = await browser.newContext();
    page = await context.newPage();
  });
  afterAll(async () => {
    await context?.close();
    await limited?.shutdown();
  });

  describe.each(WIDTHS)('at %i px', (width) => {
    it('turns a candidate away after two failed codes with a readable 429 page, and still lets the admin in', async () => {
      const { code } = await limited.newAttempt(`limit-${width}@example.com`);
      // Behind the (trusted) proxy, this browser is 198.51.100.<width>.
      await context.clearCookies();
      await context.setExtraHTTPHeaders({ 'x-forwarded-for': `198.51.100.${width % 250}` });
      await page.setViewportSize({ width, height: 900 });
      const signIn = async (accessCode: string) => {
        await page.goto(`${limited.url}/sign-in`);
        await page.getByLabel('Access code').fill(accessCode);
        const [response] = await Promise.all([page.waitForResponse((r) => r.url().endsWith('/sign-in') && r.request().method() === 'POST'), page.getByRole('button', { name: 'Sign in' }).click()]);
        return response.status();
      };
      expect([await signIn('WRONG-AAAA-1'), await signIn('WRONG-AAAA-2'), await signIn(code)]).toEqual([401, 401, 429]);
      expect(await page.locator('body').textContent()).toMatch(/Too many failed sign-ins from your address; try again in \d+ s\./);
      await shot(page, `layout-sign-in-limited-${width}`);
      expect(await sidewaysOverflow(page)).toBe(0);

      await page.goto(`${limited.url}/admin/sign-in`);
      await page.getByLabel('Admin token').fill(limited.adminToken);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.waitForURL(/\/admin\?notice=signed-in/);
    });
  });
});

describe('what the candidate reads about progress checks', () => {
  it('no task README promises unlimited checks; each states the interval', () => {
    const readmes = readdirSync(join(REPO_ROOT, 'tasks'), { withFileTypes: true })
      .filter((d) => d.isDirectory() && existsSync(join(REPO_ROOT, 'tasks', d.name, 'README.md')))
      .map((d) => ({ task: d.name, text: readFileSync(join(REPO_ROOT, 'tasks', d.name, 'README.md'), 'utf8') }));
    expect(readmes.length).toBeGreaterThan(0);
    for (const { task, text } of readmes.filter((r) => /Check my progress/.test(r.text))) {
      expect({ task, unlimited: /as often as you like/i.test(text), interval: /once every 30 s/.test(text) }).toEqual({ task, unlimited: false, interval: true });
    }
  });
});
