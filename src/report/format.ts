import type { CheckResult, Report } from '../model/report';

const MARK: Record<CheckResult['outcome'], string> = { PASS: 'PASS', FAIL: 'FAIL', ERROR: 'ERROR', SKIPPED: 'SKIP' };

/** The readable report: one line per check, then the hint or reason under each that did not pass. */
export function formatTable(report: Report): string {
  const lines: string[] = [];
  const pct = report.score.possible ? Math.round((100 * report.score.earned) / report.score.possible) : 100;
  lines.push(`${report.task.title} (${report.task.id})`);
  lines.push(`attempt ${report.attemptId} · account ${report.accountId} · ${report.region} · ${report.mode}${report.scope === 'progress' ? ' · progress check' : ''}`);
  if (report.error) lines.push(`not graded: ${report.error}`);
  lines.push('');
  const width = Math.max(...report.checks.map((c) => c.title.length), 10);
  lines.push(`  ${'RESULT'.padEnd(6)} ${'CHECK'.padEnd(width)}  POINTS`);
  for (const c of report.checks) {
    lines.push(`  ${MARK[c.outcome].padEnd(6)} ${c.title.padEnd(width)}  ${`${c.outcome === 'PASS' ? c.points : 0}/${c.points}`.padStart(6)}${c.critical ? ' *' : ''}`);
    if (c.outcome !== 'PASS') lines.push(`         ${c.message}`);
    if (c.outcome === 'FAIL' && c.hint) lines.push(`         hint: ${c.hint}`);
  }
  lines.push('');
  lines.push(`  * critical: must pass. Score ${report.score.earned}/${report.score.possible} (${pct} %), pass mark ${Math.round(report.score.passMark * 100)} %.`);
  lines.push(`  ${report.status.toUpperCase()}: ${explainStatus(report)}`);
  return lines.join('\n');
}

function explainStatus(r: Report): string {
  if (r.status === 'passed') return 'every critical check passed and the score meets the pass mark.';
  if (r.status === 'incomplete') {
    return `SkillProof could not finish grading (${r.counts.ERROR} check(s) in ERROR${r.error ? ', run not started' : ''}); this is not a fail. Grade again once the cause is fixed.`;
  }
  return r.score.criticalFailed.length ? `critical check(s) not passed: ${r.score.criticalFailed.join(', ')}.` : 'the score is below the pass mark.';
}

const xml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** JUnit XML: one test case per check; FAIL is a failure, ERROR an error, SKIPPED skipped. */
export function formatJunit(reports: Report[]): string {
  const out = ['<?xml version="1.0" encoding="UTF-8"?>', '<testsuites>'];
  for (const r of reports) {
    out.push(
      `  <testsuite name="${xml(r.task.id)}" tests="${r.checks.length}" failures="${r.counts.FAIL}" errors="${r.counts.ERROR}" skipped="${r.counts.SKIPPED}" time="${(r.durationMs / 1000).toFixed(3)}" timestamp="${xml(r.startedAt)}">`,
    );
    out.push(`    <properties><property name="status" value="${r.status}"/><property name="attempt" value="${xml(r.attemptId)}"/><property name="account" value="${xml(r.accountId)}"/></properties>`);
    for (const c of r.checks) {
      out.push(`    <testcase classname="${xml(r.task.id)}" name="${xml(`${c.id}: ${c.title}`)}" time="${(c.durationMs / 1000).toFixed(3)}">`);
      if (c.outcome === 'FAIL') out.push(`      <failure message="${xml(c.message)}">${xml(c.hint ?? '')}</failure>`);
      if (c.outcome === 'ERROR') out.push(`      <error message="${xml(c.message)}"/>`);
      if (c.outcome === 'SKIPPED') out.push(`      <skipped message="${xml(c.message)}"/>`);
      out.push('    </testcase>');
    }
    out.push('  </testsuite>');
  }
  out.push('</testsuites>');
  return out.join('\n');
}

export type ReportFormat = 'table' | 'json' | 'junit';

export function formatReport(report: Report, format: ReportFormat): string {
  if (format === 'json') return JSON.stringify(report, null, 2);
  if (format === 'junit') return formatJunit([report]);
  return formatTable(report);
}
