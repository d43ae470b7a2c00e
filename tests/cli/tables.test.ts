import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadCatalog } from '../../src/catalog/load';
import type { CliIo } from '../../src/cli/io';
import { main } from '../../src/cli/main';
import { formatColumns } from '../../src/cli/table';
import { listFixtureFiles } from '../../src/testing/scenarios';

let dataDir: string;
beforeAll(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'skillproof-cli-tables-'));
});
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

async function cli(...argv: string[]): Promise<{ code: number; out: string }> {
  let out = '';
  const io: CliIo = { out: (t) => void (out += `${t}\n`), err: () => undefined, setExitCode: () => undefined };
  const code = await main(argv, io);
  return { code, out };
}

/**
 * Finds the table (a header line followed by a rule of dashes) in `text` and checks that every row
 * has its columns where the rule puts them: two spaces before each column after the first.
 */
function expectAlignedTable(text: string, headers: string[]): void {
  const lines = text.split('\n');
  const at = lines.findIndex((l, i) => /^\s*-+( {2}-+)+$/.test(lines[i + 1] ?? '') && headers.every((h) => l.includes(h)));
  expect(at).toBeGreaterThanOrEqual(0);
  const rule = lines[at + 1] as string;
  const starts = [...rule.matchAll(/-+/g)].map((m) => m.index);
  expect(starts).toHaveLength(headers.length);
  const header = lines[at] as string;
  headers.forEach((h, i) => expect(header.indexOf(h)).toBeGreaterThanOrEqual(starts[i] as number));
  const end = lines.findIndex((l, i) => i > at + 1 && l.trim() === '');
  const rows = lines.slice(at + 2, end === -1 ? undefined : end);
  expect(rows.length).toBeGreaterThan(0);
  for (const row of rows) {
    // A row whose last cells are empty ends early (no trailing spaces).
    for (const start of starts.slice(1).filter((x) => x < row.length)) expect(row.slice(start - 2, start)).toBe('  ');
    expect(row).toBe(row.trimEnd());
  }
}

describe('CLI tables', () => {
  it('formatColumns puts a header and a rule over aligned columns, numbers to the right', () => {
    const text = formatColumns(
      [
        { id: 'a', n: 5, t: 'short' },
        { id: 'longer-id', n: 120, t: 'x' },
      ],
      [
        { header: 'ID', cell: (r) => r.id },
        { header: 'N', cell: (r) => r.n },
        { header: 'TITLE', cell: (r) => r.t },
      ],
    );
    expect(text.split('\n')).toEqual(['ID           N  TITLE', '---------  ---  -----', 'a            5  short', 'longer-id  120  x']);
  });

  it.each([
    ['tasks list', ['tasks', 'list'], ['TASK', 'TRACK', 'MINUTES', 'CHECKS', 'TITLE']],
    ['tasks show', ['tasks', 'show', 'serverless-orders-api'], ['CHECK', 'POINTS', 'CRITICAL', 'VISIBILITY', 'TITLE']],
    ['assessments list', ['assessments', 'list'], ['ASSESSMENT', 'TRACK', 'TASKS', 'MINUTES', 'TITLE']],
    ['assessments show', ['assessments', 'show', 'aws-serverless'], ['TASK', 'MINUTES', 'CHECKS', 'TITLE']],
  ])('%s has headers and aligned columns', async (_name, argv, headers) => {
    const r = await cli(...argv);
    expect(r.code).toBe(0);
    expectAlignedTable(r.out, headers);
  });

  it('attempt list and admin token list have headers and aligned columns', async () => {
    const catalog = loadCatalog();
    const pass = listFixtureFiles(catalog.get('serverless-orders-api')).find((f) => f.kind === 'pass')!.file;
    const fail = listFixtureFiles(catalog.get('serverless-orders-api')).find((f) => f.kind === 'fail')!.file;
    await cli('issuer', 'init', '--data-dir', dataDir);
    await cli('attempt', 'start', 'serverless-orders-api', '--candidate', 'cand-1', '--replay', pass, '--data-dir', dataDir);
    await cli('attempt', 'start', 'serverless-orders-api', '--candidate', 'a-much-longer-candidate-id', '--replay', fail, '--data-dir', dataDir);
    expectAlignedTable((await cli('attempt', 'list', '--data-dir', dataDir)).out, ['ATTEMPT', 'STATE', 'KIND', 'TARGET', 'CANDIDATE', 'CREATED']);

    await cli('admin', 'token', 'create', '--name', 'ops', '--data-dir', dataDir);
    await cli('admin', 'token', 'create', '--name', 'a longer token name', '--data-dir', dataDir);
    expectAlignedTable((await cli('admin', 'token', 'list', '--data-dir', dataDir)).out, ['TOKEN ID', 'NAME', 'CREATED', 'REVOKED']);
  });

  it('the grading report has a header over its result, check and points columns', async () => {
    const file = listFixtureFiles(loadCatalog().get('serverless-orders-api')).find((f) => f.kind === 'fail')!.file;
    const r = await cli('regrade', file);
    const lines = r.out.split('\n');
    const header = lines.find((l) => /^ {2}RESULT +CHECK +POINTS$/.test(l));
    expect(header).toBeDefined();
    const pointsEnd = (header as string).length;
    for (const l of lines.filter((x) => /^ {2}(PASS|FAIL|ERROR|SKIP) /.test(x))) expect(l.replace(/ \*$/, '').length).toBe(pointsEnd);
  });
});
