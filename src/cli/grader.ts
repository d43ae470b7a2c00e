import { relative } from 'node:path';
import type { Command } from 'commander';
import type { CatalogEntry } from '../catalog/load';
import { withCatalog } from './catalog';
import { EXIT, printJson, type CliIo } from './io';

export function register(program: Command, io: CliIo): void {
  const grader = program.command('grader').description("tools for assessment authors: test graders against their tasks' fixtures");
  grader
    .command('test [task-id]')
    .description('replay every fixture of every task (or one) through its grader and report any fixture that does not grade as it expects')
    .option('--json', 'print JSON')
    .action((taskId: string | undefined, opts: { json?: boolean }) =>
      withCatalog(async (catalog) => {
        const { checkFixture, listFixtureFiles } = require('../testing/scenarios') as typeof import('../testing/scenarios');
        const entries: CatalogEntry[] = taskId ? [catalog.get(taskId)] : catalog.all();
        const rows = [];
        for (const entry of entries) {
          const files = listFixtureFiles(entry);
          if (files.length === 0) rows.push({ task: entry.task.id, fixture: '(none)', status: '-', mismatches: ['the task has no fixtures'] });
          for (const f of files) {
            const v = await checkFixture(entry, f);
            rows.push({ task: entry.task.id, fixture: `${f.kind}/${f.name}`, status: v.report.status, mismatches: v.mismatches });
          }
        }
        const bad = rows.filter((r) => r.mismatches.length > 0);
        if (opts.json) printJson(io, { fixtures: rows, mismatches: bad.length });
        else {
          for (const r of rows) io.out(`${r.mismatches.length ? 'MISMATCH' : 'ok      '}  ${r.task}  ${r.fixture.padEnd(40)} ${r.status}${r.mismatches.map((m) => `\n          ${m}`).join('')}`);
          io.out(`\n${rows.length - bad.length} fixtures as expected, ${bad.length} mismatched`);
        }
        io.setExitCode(bad.length ? EXIT.failed : EXIT.ok);
      }),
    );
  grader
    .command('record [task-id]')
    .description("re-record the fixtures of a task (or all) from its fixtures/scenarios.ts simulated accounts")
    .action((taskId: string | undefined) =>
      withCatalog(async (catalog) => {
        const { writeFixtures } = require('../testing/scenarios') as typeof import('../testing/scenarios');
        const entries = taskId ? [catalog.get(taskId)] : catalog.all();
        for (const entry of entries) for (const file of await writeFixtures(entry)) io.out(`wrote ${relative(process.cwd(), file)}`);
      }),
    );
}
