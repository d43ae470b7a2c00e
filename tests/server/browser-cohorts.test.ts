import type { Browser, Page } from 'playwright-core';
import { launchChromium, shot, sidewaysOverflow, viewers } from './support/browser';
import { cohortFixture, COHORT, GROUP_1, seedCohortPeople } from './support/cohort-fakes';
import { startTestPortal, type TestPortal } from './support/portal';

/**
 * The cohort pages, the public badge page and the closing ceremony in Debian's Chromium at a
 * phone's width (390 px) and a laptop's (1280 px): nothing sticks out sideways, members are listed
 * by name, the badge's SVG renders, its Open Graph tags are there, the ceremony prints without the
 * site's chrome, and no page breaks the CSP. SKILLPROOF_SCREENSHOT_DIR keeps a screenshot of each.
 * Each viewer signs in once and is kept for the file, at the width each test sets.
 */
const WIDTHS = [390, 1280] as const;

const fixture = cohortFixture();
let portal: TestPortal;
let browser: Browser;
let codes: Record<'zoe' | 'mia' | 'ana', string>;
let slug: string;

beforeAll(async () => {
  const launching = launchChromium();
  portal = await startTestPortal({ cohorts: { store: fixture.store, views: fixture.views } });
  let zoeAttempt: string;
  ({ codes, credentialSlug: slug, zoeAttempt } = await seedCohortPeople(portal, fixture));
  await portal.api('POST', `/api/attempts/${zoeAttempt}/badge`, { token: await portal.signIn(codes.zoe), body: { shownName: 'Zoë Adams' } });
  browser = await launching;
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await portal?.shutdown();
});

const open = viewers<'zoe' | 'admin' | 'nobody'>(
  () => browser,
  async (page, as) => {
    if (as === 'zoe') {
      await page.goto(`${portal.url}/sign-in`);
      await page.getByLabel('Access code').fill(codes.zoe);
    } else if (as === 'admin') {
      await page.goto(`${portal.url}/admin/sign-in`);
      await page.getByLabel('Admin token').fill(portal.adminToken);
    } else {
      return;
    }
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/notice=signed-in/);
  },
);

/** Runs in the page: basics a screen reader needs (the tests' TypeScript has no DOM types). */
const ACCESSIBILITY = `(() => ({
  lang: document.documentElement.lang,
  h1: document.querySelectorAll('h1').length,
  imagesWithoutAlt: [...document.querySelectorAll('img')].filter((i) => !i.getAttribute('alt')).length,
  unlabelledInputs: [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
    .filter((i) => !(i.id && document.querySelector('label[for="' + i.id + '"]')) && !i.closest('label') && !i.getAttribute('aria-label')).length,
  unnamedLinks: [...document.querySelectorAll('a')].filter((a) => !a.textContent.trim() && !a.getAttribute('aria-label')).length,
}))()`;

async function expectAccessible(page: Page): Promise<void> {
  expect(await page.evaluate(ACCESSIBILITY)).toEqual({ lang: 'en', h1: 1, imagesWithoutAlt: 0, unlabelledInputs: 0, unnamedLinks: 0 });
}

describe.each(WIDTHS)('cohort and badge pages at %i px', (width) => {
  it('shows the group page to a member, members by name, with her own entry form', async () => {
    const { page, problems } = await open(width, 'zoe');
    await page.getByRole('link', { name: 'My groups' }).click();
    await page.getByRole('link', { name: GROUP_1.name }).click();
    await page.locator('h1', { hasText: GROUP_1.name }).waitFor();
    await shot(page, `cohort-group-${width}`, { fullPage: true });
    expect(await page.locator('li.member .member-name').allTextContents()).toEqual(['Bea Brown', 'Eli Evans', 'Zoë Adams']);
    expect(await page.locator('li.member', { hasText: 'Zoë Adams' }).getByRole('link', { name: 'AWS Serverless Builder' }).count()).toBe(1);
    await page.getByLabel('Name shown to your group').fill('Zoë Adams');
    expect(await page.getByLabel('Hide my entry from the other members').isChecked()).toBe(false);
    expect(await sidewaysOverflow(page)).toBe(0);
    await expectAccessible(page);
    expect(problems).toEqual([]);
  });

  it("shows the organiser the cohort's funnel, groups and who is behind", async () => {
    const { page, problems } = await open(width, 'admin');
    await page.getByRole('link', { name: 'Cohorts' }).click();
    await page.getByRole('link', { name: COHORT.name }).click();
    await page.locator('h1', { hasText: COHORT.name }).waitFor();
    await shot(page, `cohort-organiser-${width}`, { fullPage: true });
    expect(await page.locator('table.funnel progress').count()).toBe(COHORT.milestones.length);
    expect(await page.getByRole('progressbar', { name: 'Orders API: 4 of 5 reached' }).count()).toBe(1);
    expect(await page.locator('table.behind tbody td:first-child').allTextContents()).toEqual(['Bea Brown', 'Mia Clark', '=HYPERLINK("http://evil.example","Ana")']);
    expect(await sidewaysOverflow(page)).toBe(0);
    await expectAccessible(page);
    expect(problems).toEqual([]);
  });

  it('prints the closing ceremony without the navigation or buttons', async () => {
    const { page, problems } = await open(width, 'admin');
    await page.goto(`${portal.url}/admin/cohorts/${COHORT.id}/ceremony`);
    expect(await page.locator('table.ceremony-list tbody td:first-child').allTextContents()).toEqual(['Zoë Adams']);
    expect(await page.getByRole('link', { name: 'Download CSV' }).isVisible()).toBe(true);
    expect(await sidewaysOverflow(page)).toBe(0);
    await expectAccessible(page);
    await page.emulateMedia({ media: 'print' });
    await shot(page, `cohort-ceremony-print-${width}`, { fullPage: true });
    expect(await page.locator('header.top').isVisible()).toBe(false);
    expect(await page.locator('footer').isVisible()).toBe(false);
    expect(await page.getByRole('link', { name: 'Download CSV' }).isVisible()).toBe(false);
    expect(await page.locator('table.ceremony-list').isVisible()).toBe(true);
    expect(problems).toEqual([]);
  });

  it('shows anyone the public badge: its SVG renders, Open Graph tags and the LinkedIn link are there', async () => {
    const { page, problems } = await open(width, 'nobody');
    await page.goto(`${portal.url}/badges/${slug}`);
    await page.locator('img.badge-image').waitFor();
    await page.waitForFunction("document.querySelector('img.badge-image').complete");
    await shot(page, `badge-${width}`, { fullPage: true });
    expect(await page.evaluate("document.querySelector('img.badge-image').naturalWidth")).toBe(480);
    expect(await page.locator('[data-issued-to]').textContent()).toBe('Zoë Adams');
    const og = (await page.evaluate(
      "Object.fromEntries([...document.querySelectorAll('meta[property^=\"og:\"], meta[name^=\"twitter:\"]')].map((m) => [m.getAttribute('property') || m.getAttribute('name'), m.content]))",
    )) as Record<string, string>;
    expect(og).toMatchObject({ 'og:title': 'AWS Serverless Builder', 'og:image': `${portal.url}/badges/${slug}.png`, 'og:url': `${portal.url}/badges/${slug}`, 'twitter:card': 'summary_large_image' });
    const preview = await page.request.get(og['og:image'] as string);
    expect(preview.headers()['content-type']).toBe('image/png');
    expect(await page.getByRole('link', { name: 'Add to LinkedIn profile' }).getAttribute('href')).toMatch(/^https:\/\/www\.linkedin\.com\/profile\/add\?startTask=CERTIFICATION_NAME&/);
    expect(await sidewaysOverflow(page)).toBe(0);
    await expectAccessible(page);
    expect(problems).toEqual([]);
  });
});
