import type { Command } from 'commander';
import { withCatalog } from './catalog';
import { printJson, type CliIo } from './io';
import { formatColumns } from './table';

export function register(program: Command, io: CliIo): void {
  const assessments = program.command('assessments').description('list and show assessments (the micro-credentials)');
  assessments
    .command('list')
    .description('list every assessment')
    .option('--json', 'print JSON')
    .action((opts: { json?: boolean }) =>
      withCatalog((catalog) => {
        const rows = catalog.assessments().map((a) => ({ id: a.id, title: a.title, track: a.track, tasks: a.tasks.length, timeLimitMinutes: a.timeLimitMinutes }));
        if (opts.json) return printJson(io, { assessments: rows });
        if (rows.length === 0) return io.out('no assessments');
        io.out(
          formatColumns(rows, [
            { header: 'ASSESSMENT', cell: (r) => r.id },
            { header: 'TRACK', cell: (r) => r.track },
            { header: 'TASKS', cell: (r) => r.tasks },
            { header: 'MINUTES', cell: (r) => r.timeLimitMinutes },
            { header: 'TITLE', cell: (r) => r.title },
          ]),
        );
      }),
    );
  assessments
    .command('show <assessment-id>')
    .description('show an assessment: what it certifies, how it is earned, its tasks')
    .option('--json', 'print JSON')
    .action((id: string, opts: { json?: boolean }) =>
      withCatalog((catalog) => {
        const a = catalog.assessment(id);
        const tasks = a.tasks.map((t) => {
          const { task, grader } = catalog.get(t);
          return { id: task.id, title: task.title, timeLimitMinutes: task.timeLimitMinutes, checks: grader.checks.length };
        });
        if (opts.json) return printJson(io, { ...a, tasks });
        const rule = a.passRule === 'all' ? 'every task passed' : `at least ${a.passRule.minTasksPassed} of ${a.tasks.length} tasks passed`;
        io.out(`${a.title} (${a.id}) · ${a.track} · ${a.achievementType} · ${a.timeLimitMinutes} min · pass: ${rule}${a.validForDays ? ` · valid ${a.validForDays} days` : ''}\n`);
        io.out(`${a.description}\n\nCriteria: ${a.criteria}\n\nTasks:`);
        io.out(
          formatColumns(
            tasks,
            [
              { header: 'TASK', cell: (t) => t.id },
              { header: 'MINUTES', cell: (t) => t.timeLimitMinutes },
              { header: 'CHECKS', cell: (t) => t.checks },
              { header: 'TITLE', cell: (t) => t.title },
            ],
            '  ',
          ),
        );
      }),
    );
}
