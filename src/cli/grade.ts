import { readFileSync, writeFileSync } from 'node:fs';
import type { JSONWebKeySet } from 'jose';
import { Option, type Command } from 'commander';
import { bundleHash, readBundle, serialiseBundle, type EvidenceBundle } from '../evidence/bundle';
import { formatReport, type ReportFormat } from '../report/format';
import { withCatalog } from './catalog';
import { CliError, EXIT, type CliIo } from './io';
import { exitCodeFor, formatOption } from './options';
import { checkLine, startProgress } from './progress';

interface GradeOpts {
  roleArn?: string;
  externalId?: string;
  account?: string;
  region?: string;
  attempt?: string;
  evidenceOut?: string;
  sign?: boolean;
  dataDir?: string;
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
    .option('--sign', "with --evidence-out: sign the evidence with the issuer key of the data directory (attempts' evidence is always signed once there is an issuer)")
    .option('--data-dir <dir>', 'with --sign: the data directory holding the issuer key (default: $SKILLPROOF_HOME, else ~/.skillproof)')
    .addOption(new Option('--scope <scope>', 'final: every check; progress: visible checks only').choices(['final', 'progress']).default('final'))
    .addOption(formatOption())
    .action((taskId: string, opts: GradeOpts) =>
      withCatalog(async (catalog) => {
        const entry = catalog.get(taskId);
        if (opts.account && !/^\d{12}$/.test(opts.account)) throw new CliError(`--account must be a 12-digit AWS account id, got "${opts.account}"`);
        if (opts.roleArn && !opts.externalId) throw new CliError('--role-arn needs --external-id: grader roles trust SkillProof only with the attempt\'s external id');
        if (opts.sign && !opts.evidenceOut) throw new CliError('--sign signs the evidence file; give --evidence-out <file> too');
        const signer = opts.sign ? await evidenceSigner(opts.dataDir) : undefined;
        const { gradeLive } = require('../engine/grade') as typeof import('../engine/grade');
        const progress = startProgress(io, { json: opts.format !== 'table' });
        let done = 0;
        progress.status(`grading ${taskId}: connecting to AWS…`);
        let outcome;
        try {
          outcome = await gradeLive(entry, {
            ...(opts.region ? { region: opts.region } : {}),
            ...(opts.roleArn ? { roleArn: opts.roleArn, externalId: opts.externalId } : {}),
            ...(opts.account ? { expectedAccount: opts.account } : {}),
            ...(opts.attempt ? { attemptId: opts.attempt } : {}),
            scope: opts.scope,
            onCheck: (result) => {
              progress.line(checkLine(undefined, result));
              progress.status(`grading ${taskId}: ${++done} check(s) done…`);
            },
          });
        } catch (e) {
          progress.done();
          // No credentials: SkillProof could not grade (incomplete), the command itself was fine.
          throw new CliError((e as Error).message, (e as Error).name === 'NoAwsCredentialsError' ? EXIT.incomplete : EXIT.usage);
        }
        progress.done();
        const bundle = signer ? await signer.sign(outcome.bundle) : outcome.bundle;
        if (opts.evidenceOut) writeFileSync(opts.evidenceOut, serialiseBundle(bundle));
        io.out(formatReport(outcome.report, opts.format));
        if (opts.evidenceOut && opts.format === 'table') {
          io.out(`\nevidence: ${opts.evidenceOut} (sha256 ${bundle.sha256}${signer ? `, signed by ${signer.issuerId}` : ', unsigned'})`);
        }
        io.setExitCode(exitCodeFor(outcome.report));
      }),
    );

  program
    .command('regrade <evidence-file>')
    .description("grade an evidence bundle again, offline, with the current grader code; says whether the bundle is signed and by whom")
    .addOption(formatOption())
    .option('--jwks <file>', "check the bundle's signature with this published issuer JWKS (default: the data directory's issuer, if any)")
    .option('--data-dir <dir>', 'data directory whose issuer key checks the signature (default: $SKILLPROOF_HOME, else ~/.skillproof)')
    .option('--require-signature', 'refuse (exit 2) a bundle that is not signed by a key the JWKS holds')
    .action((file: string, opts: RegradeOpts) =>
      withCatalog(async (catalog) => {
        const bundle = readBundle(file);
        if (catalog.has(bundle.task.id) !== 'task') {
          throw new CliError(`${file}: field task.id: "${bundle.task.id}" is not a task here (tasks: ${catalog.ids().join(', ')}); the evidence comes from a SkillProof with other tasks`);
        }
        const seal = await checkSeal(file, bundle, opts);
        const entry = catalog.get(bundle.task.id);
        const { regrade } = require('../engine/grade') as typeof import('../engine/grade');
        const { report } = await regrade(entry, bundle);
        io.out(formatReport(report, opts.format));
        // JSON and JUnit stay exactly the report on stdout; the seal and signature go to stderr there.
        (opts.format === 'table' ? io.out : io.err)(`${opts.format === 'table' ? '\n' : ''}${seal.join('\n')}`);
        io.setExitCode(exitCodeFor(report));
      }),
    );
}

/** Signs with the data directory's issuer: --sign without one is a usage error, not an unsigned file. */
async function evidenceSigner(dataDir: string | undefined): Promise<{ issuerId: string; sign: (b: EvidenceBundle) => Promise<EvidenceBundle> }> {
  const { resolveDataDir } = require('../store/data-dir') as typeof import('../store/data-dir');
  const { hasIssuer, loadIssuer } = require('../credentials/issuer-keys') as typeof import('../credentials/issuer-keys');
  const { signBundle } = require('../evidence/signature') as typeof import('../evidence/signature');
  const dir = resolveDataDir(dataDir ? { dataDir } : {});
  if (!hasIssuer(dir)) throw new CliError(`--sign needs an issuer key, and there is none in ${dir}; run \`skillproof issuer init\` there, or pass --data-dir`);
  const issuer = await loadIssuer(dir);
  return { issuerId: issuer.id, sign: (b) => signBundle(b, { issuerId: issuer.id, key: issuer.key }) };
}

interface RegradeOpts {
  format: ReportFormat;
  jwks?: string;
  dataDir?: string;
  requireSignature?: boolean;
}

/** The issuer key set that checks evidence signatures: --jwks, else the data directory's issuer, else none. */
function trustedKeys(opts: RegradeOpts): { jwks?: JSONWebKeySet; from?: string } {
  if (opts.jwks) {
    try {
      const jwks = JSON.parse(readFileSync(opts.jwks, 'utf8')) as JSONWebKeySet;
      if (!Array.isArray(jwks?.keys)) throw new Error('no "keys" array');
      return { jwks, from: opts.jwks };
    } catch (e) {
      throw new CliError(`--jwks ${opts.jwks}: not a JWKS (${(e as Error).message}); \`skillproof issuer jwks\` prints the issuer's`);
    }
  }
  const { resolveDataDir } = require('../store/data-dir') as typeof import('../store/data-dir');
  const { hasIssuer, readIssuerPublicInfo } = require('../credentials/issuer-keys') as typeof import('../credentials/issuer-keys');
  const dataDir = resolveDataDir(opts.dataDir ? { dataDir: opts.dataDir } : {});
  return hasIssuer(dataDir) ? { jwks: readIssuerPublicInfo(dataDir).jwks, from: `the issuer in ${dataDir}` } : {};
}

/**
 * Lines saying what protects this bundle. The sha256 seal was checked on reading (anyone can
 * recompute it); the signature shows the issuer produced this exact content. A signature that
 * does not match is refused: the bundle was edited after signing.
 */
async function checkSeal(file: string, bundle: EvidenceBundle, opts: RegradeOpts): Promise<string[]> {
  const { checkBundleSignature } = require('../evidence/signature') as typeof import('../evidence/signature');
  const keys = trustedKeys(opts);
  const check = await checkBundleSignature(bundle, keys.jwks);
  const lines = [`evidence   ${file}: sha256 ${bundle.sha256 ?? bundleHash(bundle)} (${bundle.sha256 ? 'content matches its seal' : 'not sealed'})`];
  switch (check.state) {
    case 'invalid':
      throw new CliError(
        `${file}: the evidence signature${check.issuer ? ` of ${check.issuer}` : ''} does not verify: ${check.reason}. Regrading it would judge content the issuer never signed; use the original file.`,
      );
    case 'valid':
      lines.push(`signature  VALID: signed by ${check.issuer} with key ${check.kid} at ${check.signedAt} (checked with ${keys.from})`);
      break;
    case 'unverified':
      if (opts.requireSignature) throw new CliError(`${file}: signed by ${check.issuer} (key ${check.kid}) but not checked: ${check.reason}; pass --jwks with the issuer's published JWKS`);
      lines.push(`signature  NOT CHECKED: says it was signed by ${check.issuer} with key ${check.kid} at ${check.signedAt}, but ${check.reason}; pass --jwks with the issuer's published JWKS`);
      break;
    case 'unsigned':
      if (opts.requireSignature) throw new CliError(`${file}: the evidence is not signed, and --require-signature was given`);
      lines.push('signature  NONE: unsigned; the seal shows the file is intact, but anyone who edits it can recompute the seal, so it does not show who produced it');
      break;
  }
  return lines;
}
