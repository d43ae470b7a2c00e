import type { Command } from 'commander';
import { printJson, type CliIo } from './io';
import { withCatalog } from './catalog';

export function register(program: Command, io: CliIo): void {
  const tasks = program.command('tasks').description('list and show assessment tasks');
  tasks
    .command('list')
    .description('list every task')
    .option('--json', 'print JSON')
    .action((opts: { json?: boolean }) =>
      withCatalog((catalog) => {
        const rows = catalog.all().map(({ task, grader }) => ({ id: task.id, title: task.title, track: task.track, timeLimitMinutes: task.timeLimitMinutes, checks: grader.checks.length }));
        if (opts.json) return printJson(io, { tasks: rows });
        const w = Math.max(...rows.map((r) => r.id.length), 4);
        io.out(rows.map((r) => `${r.id.padEnd(w)}  ${r.track.padEnd(14)}  ${String(r.timeLimitMinutes).padStart(4)} min  ${r.title}`).join('\n') || 'no tasks');
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
        for (const c of checks) io.out(`  ${c.id.padEnd(28)} ${String(c.points).padStart(3)} pts${c.critical ? ' critical' : '         '}  ${c.visibility.padEnd(9)}  ${c.title}`);
        io.out(`\nCandidate services: ${task.blueprint.candidate.services.join(', ')}\nGrader reads: ${task.blueprint.grader.reads.join(', ')}\nGrader probes: ${[...task.blueprint.grader.probes, ...grader.probes].join(', ') || 'none'}\n`);
        io.out(instructions);
      }),
    );
}
