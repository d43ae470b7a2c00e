import { CEREMONY_COLUMNS } from '../../src/cohorts/ceremony';
import { publicBadgeSchema } from '../../src/server/cohort-schemas';
import { cohortFixture, COHORT, GROUP_1, GROUP_2, seedCohortPeople, type CohortPeople } from './support/cohort-fakes';
import { FormClient } from './support/form-client';
import { startTestPortal, type TestPortal } from './support/portal';

/** The names on a page's member list (or a table's rows), in the order the page shows them. */
const namesIn = (html: string) => [...html.matchAll(/class="member-name">([^<]*)</g)].map((m) => decode(m[1] as string));
const rowNames = (html: string, table: string) => {
  const body = html.split(`<table class="${table}">`)[1]?.split('</table>')[0] ?? '';
  return [...body.matchAll(/<tr data-member="[^"]*"><td>([^<]*)</g)].map((m) => decode(m[1] as string));
};
const decode = (s: string) => s.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
const byName = (names: string[]) => [...names].sort((a, b) => a.localeCompare(b, 'en', { sensitivity: 'base' }));
const meta = (html: string, key: string) => new RegExp(`<meta (?:property|name)="${key}" content="([^"]*)">`).exec(html)?.[1];

describe('cohort and badge pages and API', () => {
  const fixture = cohortFixture();
  let portal: TestPortal;
  let people: CohortPeople;
  let codes: Record<'zoe' | 'mia' | 'ana', string>;
  let zoeAttempt: string;
  let slug: string;
  const tokens = { zoe: '', mia: '', ana: '' };
  const groupApi = (groupId = GROUP_1.id) => `/api/cohorts/${COHORT.id}/groups/${groupId}`;
  const groupPage = (groupId = GROUP_1.id) => `/cohorts/${COHORT.id}/groups/${groupId}`;

  async function signedIn(who: 'zoe' | 'mia' | 'ana'): Promise<FormClient> {
    const client = new FormClient(portal.url);
    await client.submit('/sign-in', '/sign-in', { accessCode: codes[who] });
    return client;
  }

  async function admin(): Promise<FormClient> {
    const client = new FormClient(portal.url);
    await client.submit('/admin/sign-in', '/admin/sign-in', { token: portal.adminToken });
    return client;
  }

  beforeAll(async () => {
    portal = await startTestPortal({ cohorts: { store: fixture.store, views: fixture.views } });
    ({ people, codes, zoeAttempt, credentialSlug: slug } = await seedCohortPeople(portal, fixture));
    for (const who of ['zoe', 'mia', 'ana'] as const) tokens[who] = await portal.signIn(codes[who]);
  }, 30_000);
  afterAll(() => portal.shutdown());

  describe('nothing is ranked', () => {
    it('lists the group by name although the views answer in order of progress', async () => {
      const fromViews = (await fixture.views.groupView(COHORT.id, GROUP_1.id, { candidateId: people.zoe }, new Date().toISOString()))!.members.map((m) => m.shownAs);
      const page = await (await signedIn('zoe')).get(groupPage());
      expect(page.status).toBe(200);
      // The fixture is built so that the two orders differ; otherwise this test would prove nothing.
      expect(fromViews).not.toEqual(byName(fromViews));
      expect(namesIn(page.html)).toEqual(byName(fromViews));
      expect(namesIn(page.html)).toEqual(['Bea Brown', 'Eli Evans', 'Zoë Adams']);
    });

    it('shows no position numbers, numbered lists, "top" or rank anywhere on the cohort pages', async () => {
      const client = await admin();
      for (const path of [`/admin/cohorts`, `/admin/cohorts/${COHORT.id}`, `/admin${groupPage()}`, `/admin/cohorts/${COHORT.id}/ceremony`]) {
        const { html } = await client.get(path);
        const main = html.split('<main id="main">')[1] ?? '';
        expect({ path, ordered: /<ol\b/.test(main), ranked: /\b(rank|ranked|ranking|top \d|leaderboard|#\d)\b/i.test(main.replace(/nobody is ranked|nothing is ranked/gi, '')) }).toEqual({ path, ordered: false, ranked: false });
      }
    });

    it('answers the group view in the API by name too', async () => {
      const r = await portal.api('GET', groupApi(), { token: tokens.zoe });
      expect(r.status).toBe(200);
      const names = r.body.members.map((m: { shownAs: string }) => m.shownAs);
      expect(names).toEqual(byName(names));
    });

    it('lists the organiser’s groups by name and who is behind by group, then name', async () => {
      const view = (await fixture.views.cohortView(COHORT.id, new Date().toISOString()))!;
      expect(view.groups.map((g) => g.group.name)).not.toEqual(byName(view.groups.map((g) => g.group.name)));
      const r = await portal.api('GET', `/api/admin/cohorts/${COHORT.id}/view`, { token: portal.adminToken });
      expect(r.body.groups.map((g: { group: { name: string } }) => g.group.name)).toEqual([GROUP_1.name, GROUP_2.name]);
      expect(r.body.behind.map((b: { shownAs: string }) => b.shownAs)).toEqual(['Bea Brown', 'Mia Clark', '=HYPERLINK("http://evil.example","Ana")']);
      const page = await (await admin()).get(`/admin/cohorts/${COHORT.id}`);
      expect(rowNames(page.html, 'behind')).toEqual(['Bea Brown', 'Mia Clark', '=HYPERLINK("http://evil.example","Ana")']);
      // The views name missed milestones by id (m1…); the page shows their titles.
      expect(r.body.behind.find((b: { candidateId: string }) => b.candidateId === people.bea).missed).toEqual(['m1', 'm2', 'm3']);
      expect(page.html.split(`<tr data-member="${people.bea}">`)[1]?.split('</tr>')[0]).toContain('<td>Orders API, Queue worker, Credential</td>');
      expect(page.html.indexOf(GROUP_1.name)).toBeLessThan(page.html.indexOf(GROUP_2.name));
    });
  });

  describe('the group page', () => {
    it("shows each member's milestones, tasks passed, badges and standing", async () => {
      const { html } = await (await signedIn('zoe')).get(groupPage());
      const zoe = html.split(`data-member="${people.zoe}"`)[1]!.split('</li>\n  </ul>')[0]!;
      expect(zoe).toContain('3 of 3 reached');
      expect(zoe).toContain('<code>serverless-orders-api</code>');
      expect(zoe).toContain(`href="/badges/${slug}"`);
      expect(zoe).toContain('data-standing="completed"');
      expect(html.split(`data-member="${people.bea}"`)[1]).toMatch(/data-standing="behind"[\s\S]*Not yet reached, though due: Orders API, Queue worker, Credential/);
      expect(html).toContain('data-standing="on-track"');
    });

    it('leaves out an entry its member hid, for the other members, and shows it to her and to admins', async () => {
      expect(namesIn((await (await signedIn('zoe')).get(groupPage())).html)).not.toContain('Mia Clark');
      const own = await (await signedIn('mia')).get(groupPage());
      expect(own.html).toMatch(/Mia Clark<\/span> <span class="muted">\(you\)<\/span>[^\n]*hidden from the group/);
      expect(namesIn((await (await admin()).get(`/admin${groupPage()}`)).html)).toContain('Mia Clark');
    });

    it('leaves hidden entries out even when the views wrongly include them', async () => {
      fixture.views.leakHidden = true;
      try {
        expect(namesIn((await (await signedIn('zoe')).get(groupPage())).html)).not.toContain('Mia Clark');
        const r = await portal.api('GET', groupApi(), { token: tokens.zoe });
        expect(r.body.members.map((m: { candidateId: string }) => m.candidateId)).not.toContain(people.mia);
      } finally {
        fixture.views.leakHidden = false;
      }
    });

    it('refuses a candidate who is not in the group with 403, and an unknown group with 404', async () => {
      const page = await (await signedIn('ana')).get(groupPage());
      expect(page.status).toBe(403);
      expect(page.html).not.toContain('Zoë Adams');
      const api = await portal.api('GET', groupApi(), { token: tokens.ana });
      expect(api.status).toBe(403);
      expect(api.body.error.code).toBe('not-a-member');
      expect(api.text).not.toContain('Zoë');
      expect((await portal.api('GET', groupApi(GROUP_2.id), { token: tokens.ana })).status).toBe(200);
      expect((await portal.api('GET', groupApi('g-nope'), { token: tokens.ana })).status).toBe(404);
      expect((await portal.api('GET', `/api/cohorts/nope/groups/${GROUP_1.id}`, { token: tokens.zoe })).status).toBe(404);
    });

    it('lists only the groups the candidate belongs to', async () => {
      const r = await portal.api('GET', '/api/cohorts', { token: tokens.ana });
      expect(r.body.memberships).toEqual([expect.objectContaining({ group: { id: GROUP_2.id, name: GROUP_2.name }, groupPath: groupPage(GROUP_2.id) })]);
      const page = await (await signedIn('ana')).get('/cohorts');
      expect(page.html).toContain(`href="${groupPage(GROUP_2.id)}"`);
      expect(page.html).not.toContain(GROUP_1.name);
    });

    it('lets a member rename and hide their own entry through the form, and needs the form’s CSRF token', async () => {
      const client = await signedIn('mia');
      const refused = await client.post(`${groupPage()}/me`, { displayName: 'Mia C.', _csrf: 'forged' });
      expect(refused.status).toBe(403);
      const saved = await client.submit(groupPage(), `${groupPage()}/me`, { displayName: '  Mia C.  ', hidden: 'yes' });
      expect(saved.status).toBe(303);
      expect(saved.location).toBe(`${groupPage()}?notice=entry-saved#my-entry`);
      expect(await fixture.store.getMember(COHORT.id, people.mia)).toMatchObject({ displayName: 'Mia C.', hidden: true });
      const audit = fixture.store.audits.at(-1)!;
      expect(audit).toMatchObject({ actor: `candidate:${people.mia}`, action: 'cohort.member-self-updated', data: { candidateId: people.mia, hidden: true, named: true } });
      expect(JSON.stringify(audit)).not.toContain('Mia C.');
      await client.submit(groupPage(), `${groupPage()}/me`, { displayName: 'Mia Clark', hidden: 'yes' });
    });

    it('changes only the caller’s own entry through the API, and refuses names with control characters', async () => {
      const before = await fixture.store.getMember(COHORT.id, people.bea);
      const r = await portal.api('POST', `/api/cohorts/${COHORT.id}/me`, { token: tokens.zoe, body: { displayName: 'Zoë A.' } });
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({ candidateId: people.zoe, displayName: 'Zoë A.', hidden: false });
      expect(await fixture.store.getMember(COHORT.id, people.bea)).toEqual(before);
      expect((await portal.api('POST', `/api/cohorts/${COHORT.id}/me`, { token: tokens.zoe, body: { displayName: 'Zoë\u202eA' } })).status).toBe(400);
      expect((await portal.api('POST', `/api/cohorts/${COHORT.id}/me`, { token: tokens.zoe, body: { candidateId: people.bea, hidden: true } })).status).toBe(400);
      expect((await portal.api('POST', `/api/cohorts/other/me`, { token: tokens.zoe, body: { hidden: true } })).status).toBe(404);
      await portal.api('POST', `/api/cohorts/${COHORT.id}/me`, { token: tokens.zoe, body: { displayName: 'Zoë Adams' } });
    });
  });

  describe('the organiser', () => {
    it('sees the completion funnel by milestone and per-group progress', async () => {
      const { html } = await (await admin()).get(`/admin/cohorts/${COHORT.id}`);
      expect(html).toMatch(/<tr data-milestone="m1"><td>Orders API<\/td>[\s\S]*?<progress max="5" value="4"[^>]*><\/progress> 4 of 5/);
      expect(html).toMatch(/<tr data-milestone="m3">[\s\S]*?1 of 5/);
      expect(html).toMatch(new RegExp(`<tr data-group="${GROUP_1.id}">[\\s\\S]*?<td>4</td><td>1</td><td>2</td><td>1</td>`));
    });

    it('keeps the cohort pages from candidates', async () => {
      const client = await signedIn('zoe');
      const r = await client.get(`/admin/cohorts/${COHORT.id}`);
      expect(r.status).toBe(303);
      expect(r.headers.get('location')).toBe('/admin/sign-in');
      expect((await portal.api('GET', `/api/admin/cohorts/${COHORT.id}/view`, { token: tokens.zoe })).status).toBe(403);
    });

    it('prints the closing ceremony: who completed, with voucher eligibility', async () => {
      const { html } = await (await admin()).get(`/admin/cohorts/${COHORT.id}/ceremony`);
      expect(html).toContain('<strong>1</strong> of 5 members completed');
      expect(rowNames(html, 'ceremony-list')).toEqual(['Zoë Adams']);
      expect(html).toMatch(/Zoë Adams<\/td>[\s\S]*?eligible<\/span> <span class="muted">Holds the credential/);
      expect(html).toContain('class="screen-only"');
    });

    it('downloads the ceremony as CSV in which no field can run as a spreadsheet formula', async () => {
      const client = await admin();
      const r = await client.get(`/admin/cohorts/${COHORT.id}/ceremony.csv`);
      expect(r.headers.get('content-type')).toBe('text/csv; charset=utf-8');
      expect(r.headers.get('content-disposition')).toBe(`attachment; filename="ceremony-${COHORT.id}.csv"`);
      const lines = r.html.replace(/^\ufeff/, '').trimEnd().split('\r\n');
      // The same columns as `skillproof cohort export` (one CSV definition for both).
      expect(lines[0]).toBe(CEREMONY_COLUMNS.join(','));
      expect(lines).toHaveLength(6);
      expect(lines.find((l) => l.includes('HYPERLINK'))).toMatch(/^"'=HYPERLINK\(""http:\/\/evil\.example"",""Ana""\)",/);
      expect(lines.find((l) => l.includes('Zoë'))).toContain(`,yes,urn:uuid:${slug},yes,`);
      const api = await portal.api('GET', `/api/admin/cohorts/${COHORT.id}/ceremony.csv`, { token: portal.adminToken });
      expect(api.text).toBe(r.html);
    });
  });

  describe('the public badge', () => {
    it('says "a verified holder" until the holder chooses a name, then shows that name', async () => {
      const before = await new FormClient(portal.url).get(`/badges/${slug}`);
      expect(before.status).toBe(200);
      expect(before.html).toMatch(/<dd data-issued-to>a verified holder<\/dd>/);
      const set = await portal.api('POST', `/api/attempts/${zoeAttempt}/badge`, { token: tokens.zoe, body: { shownName: 'Zoë Adams' } });
      expect(set.status).toBe(200);
      expect(set.body.issuedTo).toBe('Zoë Adams');
      expect((await new FormClient(portal.url).get(`/badges/${slug}`)).html).toMatch(/<dd data-issued-to>Zoë Adams<\/dd>/);
      // Another candidate cannot name Zoë's badge: to them her attempt does not exist.
      const other = await portal.api('POST', `/api/attempts/${zoeAttempt}/badge`, { token: tokens.mia, body: { shownName: 'Not Zoë' } });
      expect(other.status).toBe(404);
      expect(other.body.error.code).toBe('attempt-not-found');
    });

    it('lets the holder set the name from her attempt page, with the form’s CSRF token', async () => {
      const client = await signedIn('zoe');
      const r = await client.submit(`/attempts/${zoeAttempt}`, `/attempts/${zoeAttempt}/badge-name`, { shownName: '' });
      expect(r.status).toBe(303);
      expect((await portal.api('GET', `/api/badges/${slug}`)).body.issuedTo).toBeNull();
      await client.submit(`/attempts/${zoeAttempt}`, `/attempts/${zoeAttempt}/badge-name`, { shownName: 'Zoë Adams' });
      expect((await portal.api('GET', `/api/badges/${slug}`)).body.issuedToText).toBe('Zoë Adams');
    });

    it('carries Open Graph and Twitter card tags with an absolute PNG preview', async () => {
      const { html } = await new FormClient(portal.url).get(`/badges/${slug}`);
      expect(meta(html, 'og:title')).toBe('AWS Serverless Builder');
      expect(meta(html, 'og:url')).toBe(`${portal.url}/badges/${slug}`);
      expect(meta(html, 'og:image')).toBe(`${portal.url}/badges/${slug}.png`);
      expect(meta(html, 'og:image:type')).toBe('image/png');
      expect(meta(html, 'og:description')).toMatch(/^Issued to Zoë Adams by SkillProof Test Issuer on \d+ \w+ \d{4}\./);
      expect(meta(html, 'twitter:card')).toBe('summary_large_image');
      expect(meta(html, 'twitter:image')).toBe(`${portal.url}/badges/${slug}.png`);
      expect(html).toContain(`<img class="badge-image" src="${portal.url}/badges/${slug}.svg"`);
    });

    it('links to LinkedIn’s add-to-profile form with the certification’s documented parameters', async () => {
      const r = await portal.api('GET', `/api/badges/${slug}`);
      const url = new URL(publicBadgeSchema.parse(r.body).linkedInAddToProfileUrl!);
      const issued = new Date(r.body.issuedAt);
      expect(`${url.origin}${url.pathname}`).toBe('https://www.linkedin.com/profile/add');
      expect(Object.fromEntries(url.searchParams)).toEqual({
        startTask: 'CERTIFICATION_NAME',
        name: 'AWS Serverless Builder',
        organizationName: 'SkillProof Test Issuer',
        issueYear: String(issued.getUTCFullYear()),
        issueMonth: String(issued.getUTCMonth() + 1),
        expirationYear: String(new Date(r.body.validUntil).getUTCFullYear()),
        expirationMonth: String(new Date(r.body.validUntil).getUTCMonth() + 1),
        certUrl: `${portal.url}/badges/${slug}`,
        certId: slug,
      });
      expect(r.body.skills).toEqual(expect.arrayContaining([expect.stringMatching(/Orders API/)]));
      expect(r.body.track).toEqual({ id: 'aws-serverless', label: 'AWS Serverless' });
      const { html } = await new FormClient(portal.url).get(`/badges/${slug}`);
      expect(html).toContain(`href="${url.toString().replace(/&/g, '&amp;')}"`);
    });

    it('serves the SVG with its type, a short public cache and an ETag that revalidates', async () => {
      const r = await fetch(`${portal.url}/badges/${slug}.svg`);
      expect(r.status).toBe(200);
      expect(r.headers.get('content-type')).toBe('image/svg+xml; charset=utf-8');
      expect(r.headers.get('cache-control')).toBe('public, max-age=300');
      expect(r.headers.get('cross-origin-resource-policy')).toBe('cross-origin');
      const svg = await r.text();
      expect(svg).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"[^>]*role="img" aria-labelledby="badge-title">\n<title id="badge-title">AWS Serverless Builder, AWS Serverless badge issued by SkillProof Test Issuer on /);
      const again = await fetch(`${portal.url}/badges/${slug}.svg`, { headers: { 'if-none-match': r.headers.get('etag')! } });
      expect(again.status).toBe(304);
      expect(await (await fetch(`${portal.url}/badges/${slug}.svg`)).text()).toBe(svg);
    });

    it('serves a 1200×630 PNG preview', async () => {
      const r = await fetch(`${portal.url}/badges/${slug}.png`);
      expect(r.headers.get('content-type')).toBe('image/png');
      const png = Buffer.from(await r.arrayBuffer());
      expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
      expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([1200, 630]);
    });

    it('answers 404 for a badge that was never issued', async () => {
      for (const path of ['/badges/00000000-0000-4000-8000-000000000000', '/badges/00000000-0000-4000-8000-000000000000.svg', '/badges/not-a-credential.png']) {
        expect({ path, status: (await fetch(`${portal.url}${path}`)).status }).toEqual({ path, status: 404 });
      }
      expect((await portal.api('GET', '/api/badges/00000000-0000-4000-8000-000000000000')).status).toBe(404);
    });

    it('shows a revoked credential as revoked, not as a badge: no badge image, preview or LinkedIn link', async () => {
      await portal.api('POST', `/api/admin/credentials/${slug}/revoke`, { token: portal.adminToken, body: { reason: 'testing the badge page' } });
      const { html } = await new FormClient(portal.url).get(`/badges/${slug}`);
      expect(html).toMatch(/<p class="verdict" data-status="revoked">/);
      expect(html).not.toContain('badge-image');
      expect(html).not.toContain('linkedin.com');
      expect(meta(html, 'og:image')).toBeUndefined();
      expect(meta(html, 'og:title')).toBe('Revoked: AWS Serverless Builder');
      expect(meta(html, 'twitter:card')).toBe('summary');
      expect(html).not.toContain('testing the badge page');
      const api = await portal.api('GET', `/api/badges/${slug}`);
      expect(api.body).toMatchObject({ status: 'revoked', linkedInAddToProfileUrl: null });
      const svg = await (await fetch(`${portal.url}/badges/${slug}.svg`)).text();
      expect(svg).toContain('>REVOKED</text>');
    });
  });

  it('documents every cohort and badge endpoint in the OpenAPI document', async () => {
    const { body } = await portal.api('GET', '/api/openapi.json');
    for (const path of ['/api/cohorts', '/api/cohorts/{cohortId}/groups/{groupId}', '/api/cohorts/{cohortId}/me', '/api/admin/cohorts', '/api/admin/cohorts/{cohortId}', '/api/admin/cohorts/{cohortId}/view', '/api/admin/cohorts/{cohortId}/groups/{groupId}', '/api/admin/cohorts/{cohortId}/ceremony', '/api/admin/cohorts/{cohortId}/ceremony.csv', '/api/badges/{credentialId}', '/api/attempts/{id}/badge']) {
      expect(Object.keys(body.paths)).toContain(path);
    }
    expect(body.paths['/api/cohorts/{cohortId}/groups/{groupId}'].get.responses['403']).toBeDefined();
  });
});

describe('a portal without cohorts', () => {
  let portal: TestPortal;
  beforeAll(async () => {
    portal = await startTestPortal({ issuer: false, cohorts: false });
  });
  afterAll(() => portal.shutdown());

  it('answers the cohort API with 503 and leaves cohorts out of the navigation', async () => {
    const r = await portal.api('GET', '/api/admin/cohorts', { token: portal.adminToken });
    expect(r.status).toBe(503);
    expect(r.body.error.code).toBe('cohorts-unavailable');
    const client = new FormClient(portal.url);
    await client.submit('/admin/sign-in', '/admin/sign-in', { token: portal.adminToken });
    expect((await client.get('/admin')).html).not.toContain('href="/admin/cohorts"');
  });
});
