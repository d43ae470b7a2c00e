import type { Command } from 'commander';
import { readBundle } from '../evidence/bundle';
import { formatTable } from '../report/format';
import { withCatalog } from './catalog';
import type { CliIo } from './io';

/** The offline demo behind `npm start`: replays recorded evidence, needs no AWS account. */
export function register(program: Command, io: CliIo): void {
  program
    .command('demo')
    .description("offline demo: replay each task's passing fixture and one failing fixture and print their reports")
    .action(() =>
      withCatalog(async (catalog) => {
        const { regrade } = require('../engine/grade') as typeof import('../engine/grade');
        const { listFixtureFiles } = require('../testing/scenarios') as typeof import('../testing/scenarios');
        io.out('SkillProof demo: grading recorded evidence offline (no AWS account needed).\n');
        for (const entry of catalog.all()) {
          const files = listFixtureFiles(entry);
          for (const pick of [files.find((f) => f.kind === 'pass'), files.find((f) => f.kind === 'fail')]) {
            if (!pick) continue;
            const bundle = readBundle(pick.file);
            const { report } = await regrade(entry, bundle);
            io.out(`── ${pick.kind}/${pick.name}: ${bundle.expect?.description ?? ''}\n`);
            io.out(formatTable(report));
            io.out('');
          }
        }
        io.out('Next: `skillproof tasks list`, `skillproof grader test`, or grade your own account with `skillproof grade <task-id> --region <region>`.');
      }),
    );
}
