import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../../src/catalog/load';
import type { CliIo } from '../../src/cli/io';
import { main } from '../../src/cli/main';
import { FormClient } from '../server/support/form-client';
import { writeEvidence } from '../server/support/portal';
import { generateRosterCsv } from './support/roster';

/**
 * The operator's path, once, end to end: `skillproof cohort create`, `cohort import`, `cohort start
 * --replay`, one member's attempt submitted and credentialed from the CLI, then `skillproof serve`
 * (bin/skillproof in a child process) shows that cohort, its groups and the member's badge.
 */
let dir: string;
let child: ChildProcess | undefined;
let exited: Promise<number | null>;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'skillproof-cohort-serve-'));
});
afterEach(() => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: CliIo = { out: (t) => void (out += `${t}\n`), err: (t) => void (err += `${t}\n`), setExitCode: () => undefined };
  const code = await main([...argv, '--data-dir', join(dir, 'data')], io);
  if (code !== 0) throw new Error(`skillproof ${argv.join(' ')} exited ${code}: ${err}`);
  return { code, out, err };
}

/** Starts `bin/skillproof serve --port 0` and answers its address. */
async function serve(): Promise<string> {
  child = spawn(process.execPath, [join(REPO_ROOT, 'bin', 'skillproof'), 'serve', '--port', '0', '--data-dir', join(dir, 'data')], { cwd: REPO_ROOT, env: process.env });
  let out = '';
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  exited = new Promise((resolve) => child!.on('exit', (code) => resolve(code)));
  return new Promise<string>((resolve, reject) => {
    child!.stdout!.on('data', (d) => {
      out += d;
      const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (match) resolve(match[1]!);
    });
    void exited.then(() => reject(new Error(`serve exited early: ${out} ${err}`)));
  });
}

describe('skillproof cohort … then serve', () => {
  it('shows the cohort the CLI created, imported and started, with the badge a member earned', async () => {
    // A cohort running now, so its standings do not depend on the day the test runs.
    const today = new Date().toISOString().slice(0, 10);
    await cli('cohort', 'create', '--programme', 'Level Up', '--name', 'Level Up Now', '--id', 'level-up-now', '--cadence', '3', '--starts', today, '--target', 'aws-serverless', '--group-size', '6');
    const csv = join(dir, 'members.csv');
    writeFileSync(csv, generateRosterCsv(12, { levels: ['foundation'] }));
    await cli('cohort', 'import', '--cohort', 'level-up-now', '--csv', csv);
    const replay = join(dir, 'replay');
    writeEvidence(replay, {});
    const started = JSON.parse((await cli('cohort', 'start', '--cohort', 'level-up-now', '--replay', replay, '--json')).out) as { started: number };
    expect(started.started).toBe(12);

    const shown = JSON.parse((await cli('cohort', 'show', '--cohort', 'level-up-now', '--json')).out) as { groups: Array<{ group: { id: string; name: string }; members: number }> };
    const group = shown.groups[0]!.group;
    const first = JSON.parse((await cli('cohort', 'show', '--cohort', 'level-up-now', '--group', group.id, '--json')).out) as { members: Array<{ candidateId: string; shownAs: string }> };
    const earner = first.members[0]!;
    const attempts = JSON.parse((await cli('attempt', 'list', '--json')).out) as { attempts: Array<{ id: string; candidateId: string }> };
    const attempt = attempts.attempts.find((a) => a.candidateId === earner.candidateId)!;
    await cli('attempt', 'submit', attempt.id);
    await cli('issuer', 'init', '--name', 'Level Up Academy');
    const credentialId = (await cli('credential', 'issue', attempt.id, '--quiet')).out.trim();
    const adminToken = (await cli('admin', 'token', 'create')).out.trim();

    const url = await serve();
    const admin = new FormClient(url);
    await admin.submit('/admin/sign-in', '/admin/sign-in', { token: adminToken });
    const cohortPage = await admin.get('/admin/cohorts/level-up-now');
    expect(cohortPage.status).toBe(200);
    expect(cohortPage.html).toContain('<h1>Level Up Now</h1>');
    for (const g of shown.groups) expect(cohortPage.html).toContain(`data-group="${g.group.id}"`);
    expect(cohortPage.html).toContain('aria-label="Pass Orders API: API Gateway, Lambda and DynamoDB: 1 of 12 reached"');

    const groupPage = await admin.get(`/admin/cohorts/level-up-now/groups/${group.id}`);
    const entry = groupPage.html.split(`data-member="${earner.candidateId}"`)[1]!.split('</li>\n  </ul>')[0]!;
    expect(entry).toContain('data-standing="completed"');
    const badge = `/badges/${credentialId.replace(/^urn:uuid:/, '')}`;
    expect(entry).toContain(`href="${badge}"`);
    const badgePage = await fetch(`${url}${badge}`);
    expect(badgePage.status).toBe(200);
    expect(await badgePage.text()).toContain(`<meta property="og:url" content="${url}${badge}">`);

    child!.kill('SIGTERM');
    expect(await exited).toBe(0);
  }, 60_000);
});
