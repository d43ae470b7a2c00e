import { relative } from 'node:path';
import type { Command } from 'commander';
import type { CatalogEntry } from '../catalog/load';
import { withCatalog } from './catalog';
import { EXIT, printJson, type CliIo } from './io';
import { formatColumns } from './table';

export function register(program: Command, io: CliIo): void {
  const grader = program.command('grader').description("tools for assessment authors: test graders against their tasks' fixtures");
  grader
    .command('test [task-id]')
    .description("replay every fixture of every task (or one) through its grader; report any fixture that does not grade as it expects, a task with too few fixtures of a kind, and any recorded call the task's grader role would refuse")
    .option('--json', 'print JSON')
    .action((taskId: string | undefined, opts: { json?: boolean }) =>
      withCatalog(async (catalog) => {
        const { checkFixture, fixtureShortfalls, listFixtureFiles } = require('../testing/scenarios') as typeof import('../testing/scenarios');
        const { describeMissingPermission, missingGraderPermissions } = require('../testing/grader-permissions') as typeof import('../testing/grader-permissions');
        const entries: CatalogEntry[] = taskId ? [catalog.get(taskId)] : catalog.all();
        const rows = [];
        const tasks = [];
        for (const entry of entries) {
          const files = listFixtureFiles(entry);
          for (const f of files) {
            const v = await checkFixture(entry, f);
            rows.push({ task: entry.task.id, fixture: `${f.kind}/${f.name}`, status: v.report.status, mismatches: v.mismatches });
          }
          // The task as a whole: enough fixtures of each kind, and a grader role that allows every recorded call.
          const missingPermissions = await missingGraderPermissions(entry, files);
          const problems = [...fixtureShortfalls(files), ...missingPermissions.map(describeMissingPermission)];
          tasks.push({ task: entry.task.id, fixtures: files.length, problems, missingPermissions });
        }
        const bad = rows.filter((r) => r.mismatches.length > 0);
        const badTasks = tasks.filter((t) => t.problems.length > 0);
        if (opts.json) printJson(io, { fixtures: rows, tasks, mismatches: bad.length + badTasks.reduce((n, t) => n + t.problems.length, 0) });
        else {
          io.out(formatColumns(rows, [
            { header: 'RESULT', cell: (r) => (r.mismatches.length ? 'MISMATCH' : 'ok') },
            { header: 'TASK', cell: (r) => r.task },
            { header: 'FIXTURE', cell: (r) => r.fixture },
            { header: 'STATUS', cell: (r) => r.status },
          ]));
          // Details below the table, so its columns stay aligned.
          for (const r of bad) io.out(`\nMISMATCH  ${r.task} ${r.fixture}${r.mismatches.map((m) => `\n          ${m}`).join('')}`);
          for (const t of badTasks) io.out(`\nPROBLEM   ${t.task}${t.problems.map((p) => `\n          ${p}`).join('')}`);
          io.out(`\n${rows.length - bad.length} fixtures as expected, ${bad.length} mismatched; ${tasks.length - badTasks.length} of ${tasks.length} tasks with enough fixtures and a grader role that allows every recorded call`);
        }
        io.setExitCode(bad.length || badTasks.length ? EXIT.failed : EXIT.ok);
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
