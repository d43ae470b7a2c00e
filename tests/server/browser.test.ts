import { readFileSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, shot } from './support/browser';
import { startTestPortal, type TestPortal } from './support/portal';

/**
 * The portal in a real browser: Debian's Chromium, headless, driven by playwright-core. CI
 * installs Chromium (.ci/run); without it these tests fail rather than skip, so a green run
 * always means the browser flow was exercised. The candidate and the admin are two contexts (own
 * cookies, own pages) of one Chromium. SKILLPROOF_SCREENSHOT_DIR keeps a screenshot of each page.
 */

interface Person {
  page: Page;
  /** Console errors and uncaught exceptions (a CSP violation shows up here). */
  problems: string[];
}

async function openContext(browser: Browser): Promise<Person> {
  const context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(m.text());
  });
  page.on('pageerror', (e) => problems.push(e.message));
  return { page, problems };
}

describe('portal in Chromium', () => {
  let portal: TestPortal;
  let browser: Browser;
  let candidate: Person;
  let admin: Person;
  let attempt: { attemptId: string; code: string };

  beforeAll(async () => {
    const launching = launchChromium();
    portal = await startTestPortal({ submitWaitMs: 3000 });
    attempt = await portal.newAttempt('ada@example.com');
    browser = await launching;
    [candidate, admin] = await Promise.all([openContext(browser), openContext(browser)]);
  });

  afterAll(async () => {
    await browser?.close();
    await portal?.shutdown();
  });

  it('a candidate signs in, checks progress, submits and sees the result and credential', async () => {
    const { page } = candidate;
    await page.goto(`${portal.url}/`);
    await page.getByRole('link', { name: 'Sign in with an access code' }).click();
    await page.getByLabel('Access code').fill(attempt.code.toLowerCase());
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${portal.url}/attempts/${attempt.attemptId}?notice=signed-in`);
    await expectText(page, 'h1', 'AWS Serverless Builder');
    await expectText(page, '.instructions', 'Orders API: API Gateway → Lambda → DynamoDB');

    await page.getByRole('button', { name: 'Start the attempt' }).click();
    await page.waitForURL(/notice=started/);
    // The server renders "5 h 59 min"; the script ticks in seconds, so seconds mean the script runs under the CSP.
    await page.waitForFunction("/\\d+ h \\d{2} min \\d{2} s/.test(document.querySelector('[data-countdown]').textContent)");

    await page.getByRole('button', { name: 'Check my progress' }).click();
    await page.waitForURL(/notice=checked/);
    await expectText(page, '[data-progress]', 'visible checks pass');
    expect(await page.locator('[data-progress] li.check').count()).toBeGreaterThan(10);
    await shot(page, 'candidate-progress');

    await page.getByRole('link', { name: 'Submit my work…' }).click();
    await expectText(page, 'h1', 'Submit your work?');
    await page.getByRole('button', { name: 'Submit and grade' }).click();
    expect(page.url()).toMatch(/\/submit$/); // the confirmation box is required
    await page.getByLabel('I have finished and want my work graded now.').check();
    await page.getByRole('button', { name: 'Submit and grade' }).click();
    await page.waitForURL(/notice=submitted/);
    await expectText(page, '#result h2', 'passed', 15_000);
    expect(await page.locator('#result li.check.outcome-PASS').count()).toBeGreaterThan(20);
    await expectText(page, '#credential h2', 'valid');
    await shot(page, 'candidate-result');

    const download = page.waitForEvent('download');
    await page.getByRole('link', { name: 'Download (JWT)' }).click();
    const jwt = readFileSync((await (await download).path()) as string, 'utf8');
    expect(jwt.split('.')).toHaveLength(3);

    const shareUrl = await page.locator('#share-link').inputValue();
    expect(shareUrl).toMatch(new RegExp(`^${portal.url}/credentials/[0-9a-f-]{36}$`));
    await page.goto(shareUrl);
    await expectText(page, '.verdict', 'Valid');
    await expectText(page, 'dl.facts', 'SkillProof Test Issuer');
    await shot(page, 'public-credential-valid');
    expect(candidate.problems).toEqual([]);
  });

  it('an admin revokes the credential with a reason, and the public page then shows it revoked', async () => {
    const { page } = admin;
    await page.goto(`${portal.url}/admin/credentials`);
    await page.waitForURL(`${portal.url}/admin/sign-in`);
    await page.getByLabel('Admin token').fill(portal.adminToken);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/\/admin\?notice=signed-in/);
    await page.getByRole('link', { name: 'Credentials' }).click();
    const row = page.locator('tr[data-credential]').first();
    await expectText(page, 'tr[data-credential]', 'valid');
    await row.getByLabel('Reason for revoking').fill('Shared the sandbox credentials with another person');
    await row.getByRole('button', { name: 'Revoke' }).click();
    await page.waitForURL(/notice=revoked/);
    await expectText(page, 'tr[data-credential]', 'revoked');
    await expectText(page, 'tr[data-credential]', 'Shared the sandbox credentials');
    await shot(page, 'admin-credentials');

    await page.getByRole('link', { name: 'Audit log' }).click();
    await expectText(page, 'table.audit', 'credential.revoked');
    expect(admin.problems).toEqual([]);

    const visitor = candidate.page;
    await visitor.reload();
    await expectText(visitor, '.verdict', 'Revoked');
    expect(await visitor.locator('.verdict').getAttribute('data-status')).toBe('revoked');
    expect(await visitor.content()).not.toContain('Shared the sandbox credentials');
    await shot(visitor, 'public-credential-revoked');
  });
});

async function expectText(page: Page, selector: string, text: string, timeout = 5000): Promise<void> {
  await page.locator(selector, { hasText: text }).first().waitFor({ timeout });
}
