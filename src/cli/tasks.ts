import { Option, type Command } from 'commander';
import { CliError, EXIT, printJson, type CliIo } from './io';
import { withCatalog } from './catalog';
import { TRACKS } from '../model/task';
import { formatColumns } from './table';

export function register(program: Command, io: CliIo): void {
  const tasks = program.command('tasks').alias('task').description('list, show and create assessment tasks');
  tasks
    .command('list')
    .description('list every task')
    .option('--json', 'print JSON')
    .action((opts: { json?: boolean }) =>
      withCatalog((catalog) => {
        const rows = catalog.all().map(({ task, grader }) => ({ id: task.id, title: task.title, track: task.track, timeLimitMinutes: task.timeLimitMinutes, checks: grader.checks.length }));
        if (opts.json) return printJson(io, { tasks: rows });
        if (rows.length === 0) return io.out('no tasks');
        io.out(
          formatColumns(rows, [
            { header: 'TASK', cell: (r) => r.id },
            { header: 'TRACK', cell: (r) => r.track },
            { header: 'MINUTES', cell: (r) => r.timeLimitMinutes },
            { header: 'CHECKS', cell: (r) => r.checks },
            { header: 'TITLE', cell: (r) => r.title },
          ]),
        );
      }),
    );
  tasks
    .command('show <task-id>')
    .description("show a task: summary, blueprint, checks and the candidate's instructions")
    .option('--json', 'print JSON')
    .action((id: string, opts: { json?: boolean }) =>
      withCatalog((catalog) => {
        const { task, grader, instructions } = catalog.get(id);
        const checks = grader.checks.map(({ run: _run, ...c }) => c);
        if (opts.json) return printJson(io, { ...task, checks, instructions });
        io.out(`${task.title} (${task.id})\ntrack ${task.track} · ${task.timeLimitMinutes} min · pass mark ${task.passRule.passMark * 100} %\n\n${task.summary}\n`);
        io.out('Checks:');
        io.out(
          formatColumns(
            checks,
            [
              { header: 'CHECK', cell: (c) => c.id },
              { header: 'POINTS', cell: (c) => c.points },
              { header: 'CRITICAL', cell: (c) => (c.critical ? 'yes' : '') },
              { header: 'VISIBILITY', cell: (c) => c.visibility },
              { header: 'TITLE', cell: (c) => c.title },
            ],
            '  ',
          ),
        );
        io.out(`\nCandidate services: ${task.blueprint.candidate.services.join(', ')}\nGrader reads: ${task.blueprint.grader.reads.join(', ')}\nGrader probes: ${[...task.blueprint.grader.probes, ...grader.probes].join(', ') || 'none'}\n`);
        io.out(instructions);
      }),
    );
  tasks
    .command('new <task-id>')
    .description('scaffold a task in tasks/<task-id>/ and graders/<track>/<task-id>.ts: a small working example (task, README, grader, solution and its test, fixture scenarios) with its fixtures recorded, ready for `grader test`')
    .addOption(new Option('--track <track>', 'the track the task belongs to').choices([...TRACKS]).makeOptionMandatory())
    .option('--json', 'print JSON')
    .action(async (id: string, opts: { track: string; json?: boolean }) => {
      const { REPO_ROOT } = require('../catalog/load') as typeof import('../catalog/load');
      const { NewTaskError, scaffoldTask } = require('../authoring/new-task') as typeof import('../authoring/new-task');
      let result;
      try {
        result = await scaffoldTask(REPO_ROOT, id, opts.track);
      } catch (e) {
        if (e instanceof NewTaskError) throw new CliError(e.message, EXIT.usage);
        throw e;
      }
      if (opts.json) return printJson(io, result);
      io.out([...result.files, ...result.fixtures].map((f) => `wrote ${f}`).join('\n'));
      io.out(`\nNext: bin/skillproof grader test ${id}   (then make the example your own: graders/README.md, "A new task, end to end")`);
    });
}
