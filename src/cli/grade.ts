import { writeFileSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { readBundle, serialiseBundle } from '../evidence/bundle';
import { formatReport, type ReportFormat } from '../report/format';
import { withCatalog } from './catalog';
import { CliError, EXIT, type CliIo } from './io';
import { exitCodeFor, formatOption } from './options';

interface GradeOpts {
  roleArn?: string;
  externalId?: string;
  account?: string;
  region?: string;
  attempt?: string;
  evidenceOut?: string;
  format: ReportFormat;
  scope: 'final' | 'progress';
}

export function register(program: Command, io: CliIo): void {
  program
    .command('grade <task-id>')
    .description('grade a task against a real AWS account (or the endpoint in AWS_ENDPOINT_URL)')
    .option('--role-arn <arn>', "the sandbox's grader role to assume (default: grade with your own credentials)")
    .option('--external-id <id>', "the attempt's external id (required with --role-arn)")
    .option('--account <id>', 'the account the sandbox is in; any other account makes the run incomplete')
    .option('--region <region>', 'AWS region (default: AWS_REGION or your profile)')
    .option('--attempt <id>', 'attempt id, recorded in the evidence and the role session name')
    .option('--evidence-out <file>', 'write the evidence bundle (report + every AWS call) here')
    .addOption(new Option('--scope <scope>', 'final: every check; progress: visible checks only').choices(['final', 'progress']).default('final'))
    .addOption(formatOption())
    .action((taskId: string, opts: GradeOpts) =>
      withCatalog(async (catalog) => {
        const entry = catalog.get(taskId);
        if (opts.account && !/^\d{12}$/.test(opts.account)) throw new CliError(`--account must be a 12-digit AWS account id, got "${opts.account}"`);
        if (opts.roleArn && !opts.externalId) throw new CliError('--role-arn needs --external-id: grader roles trust SkillProof only with the attempt\'s external id');
        const { gradeLive } = require('../engine/grade') as typeof import('../engine/grade');
        let outcome;
        try {
          outcome = await gradeLive(entry, {
            ...(opts.region ? { region: opts.region } : {}),
            ...(opts.roleArn ? { roleArn: opts.roleArn, externalId: opts.externalId } : {}),
            ...(opts.account ? { expectedAccount: opts.account } : {}),
            ...(opts.attempt ? { attemptId: opts.attempt } : {}),
            scope: opts.scope,
          });
        } catch (e) {
          // No credentials: SkillProof could not grade (incomplete), the command itself was fine.
          throw new CliError((e as Error).message, (e as Error).name === 'NoAwsCredentialsError' ? EXIT.incomplete : EXIT.usage);
        }
        if (opts.evidenceOut) writeFileSync(opts.evidenceOut, serialiseBundle(outcome.bundle));
        io.out(formatReport(outcome.report, opts.format));
        if (opts.evidenceOut && opts.format === 'table') io.out(`\nevidence: ${opts.evidenceOut} (sha256 ${outcome.bundle.sha256})`);
        io.setExitCode(exitCodeFor(outcome.report));
      }),
    );

  program
    .command('regrade <evidence-file>')
    .description('grade an evidence bundle again, offline, with the current grader code')
    .addOption(formatOption())
    .action((file: string, opts: { format: ReportFormat }) =>
      withCatalog(async (catalog) => {
        const bundle = readBundle(file);
        if (catalog.has(bundle.task.id) !== 'task') {
          throw new CliError(`${file}: field task.id: "${bundle.task.id}" is not a task here (tasks: ${catalog.ids().join(', ')}); the evidence comes from a SkillProof with other tasks`);
        }
        const entry = catalog.get(bundle.task.id);
        const { regrade } = require('../engine/grade') as typeof import('../engine/grade');
        const { report } = await regrade(entry, bundle);
        io.out(formatReport(report, opts.format));
        io.setExitCode(exitCodeFor(report));
      }),
    );
}
