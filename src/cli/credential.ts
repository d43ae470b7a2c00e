import { existsSync, readFileSync, statSync } from 'node:fs';
import type { Command } from 'commander';
import type { OpenBadgeCredential } from '../credentials/open-badge';
import type { VerificationReason, VerificationResult } from '../credentials/verify';
import type { CredentialRecord } from '../store/types';
import { actor, dataDirOption, storeOption, withWorkspace, type DataDirOpts, type Workspace } from './attempt';
import { CliError, EXIT, printJson, type CliIo } from './io';
import { formatColumns } from './table';

interface JsonOpts extends DataDirOpts {
  json?: boolean;
}

type CredentialState = 'active' | 'revoked' | 'expired';

function stateOf(record: CredentialRecord, now = new Date()): CredentialState {
  if (record.revokedAt) return 'revoked';
  return record.validUntil && Date.parse(record.validUntil) <= now.getTime() ? 'expired' : 'active';
}

function summary(record: CredentialRecord) {
  const credential = record.credential as unknown as OpenBadgeCredential;
  const achievement = credential.credentialSubject.achievement;
  return {
    id: record.id,
    attemptId: record.attemptId,
    candidateId: record.candidateId,
    state: stateOf(record),
    achievement: { id: achievement.id, name: achievement.name },
    issuer: credential.issuer.id,
    subject: credential.credentialSubject.id ?? null,
    kid: record.kid,
    validFrom: record.validFrom,
    validUntil: record.validUntil,
    issuedAt: record.issuedAt,
    revokedAt: record.revokedAt,
    revocationReason: record.revocationReason,
  };
}

function detail(record: CredentialRecord) {
  const credential = record.credential as unknown as OpenBadgeCredential;
  return {
    ...summary(record),
    statusList: credential.credentialStatus ? { url: credential.credentialStatus.statusListCredential, index: record.statusIndex } : null,
    evidence: credential.evidence.map((e) => ({ id: e.id, name: e.name })),
    credential,
    jwt: record.jwt,
  };
}

function printDetail(io: CliIo, record: CredentialRecord): void {
  const d = detail(record);
  const issuer = d.credential.issuer;
  io.out(`Credential ${d.id}: ${d.achievement.name} (${d.state})`);
  io.out(`  achievement ${d.achievement.id} · ${d.credential.credentialSubject.achievement.achievementType}`);
  io.out(`  issuer      ${issuer.name} (${issuer.id}), key ${d.kid}`);
  io.out(`  subject     ${d.subject ?? '(identified by hash only)'} · candidate ${d.candidateId} · attempt ${d.attemptId}`);
  io.out(`  valid       from ${d.validFrom}${d.validUntil ? ` until ${d.validUntil}` : ', no expiry'}`);
  for (const e of d.evidence) io.out(`  evidence    ${e.id} (${e.name})`);
  if (d.statusList) io.out(`  status      index ${d.statusList.index} of ${d.statusList.url}`);
  if (d.revokedAt) io.out(`  revoked     ${d.revokedAt}: ${d.revocationReason ?? ''}`);
}

async function getCredential(ws: Workspace, id: string): Promise<CredentialRecord> {
  const { normaliseCredentialId } = require('../credentials/issue') as typeof import('../credentials/issue');
  const record = await ws.store.getCredential(normaliseCredentialId(id));
  if (!record) throw new CliError(`No credential "${id}" in ${ws.dataDir}; \`skillproof credential list\` shows the credentials it holds.`);
  return record;
}

async function issue(ws: Workspace, io: CliIo, attemptId: string, opts: JsonOpts & { quiet?: boolean }): Promise<void> {
  const { loadIssuer } = require('../credentials/issuer-keys') as typeof import('../credentials/issuer-keys');
  const { issueCredential } = require('../credentials/issue') as typeof import('../credentials/issue');
  const { assessmentIssuance } = require('../credentials/assessment-achievement') as typeof import('../credentials/assessment-achievement');
  const attempt = await ws.store.getAttempt(attemptId);
  // Practice attempts have no assessment; issuing refuses them with the state machine's reason.
  const assessment = attempt?.kind === 'assessment' ? ws.catalog().assessment(attempt.targetId) : undefined;
  const issuer = await loadIssuer(ws.dataDir, ws.store);
  const { credential, created } = await issueCredential(
    {
      store: ws.store,
      issuer,
      actor: actor('admin'),
      ...(assessment ? assessmentIssuance(assessment) : { achievement: (a) => assessmentIssuance(ws.catalog().assessment(a.targetId)).achievement(a) }),
    },
    attemptId,
  );
  if (opts.json) return printJson(io, { ...detail(credential), created });
  if (opts.quiet) return io.out(credential.id);
  io.out(created ? `Issued credential ${credential.id} for attempt ${attemptId}.` : `Attempt ${attemptId} already has credential ${credential.id}; here it is again.`);
  printDetail(io, credential);
  io.out(`Next: \`skillproof credential show ${credential.id} --jwt > credential.jwt\`, then \`skillproof credential verify credential.jwt\`.`);
}

async function show(ws: Workspace, io: CliIo, id: string, opts: JsonOpts & { jwt?: boolean }): Promise<void> {
  const record = await getCredential(ws, id);
  if (opts.jwt) return io.out(record.jwt);
  if (opts.json) return printJson(io, detail(record));
  printDetail(io, record);
}

/** A compact JWT given on the command line, or the path of a file holding one. */
function readJwt(input: string): string {
  const compact = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;
  if (compact.test(input.trim())) return input.trim();
  if (!existsSync(input)) throw new CliError(`"${input.length > 60 ? `${input.slice(0, 60)}…` : input}" is neither a compact JWT nor a file`);
  if (statSync(input).isDirectory()) throw new CliError(`${input} is a directory; give the file holding the credential's JWT`);
  let text: string;
  try {
    text = readFileSync(input, 'utf8').trim();
  } catch (e) {
    throw new CliError(`cannot read ${input}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  if (!compact.test(text)) {
    throw new CliError(`${input} does not hold a compact JWT (three base64url parts separated by dots); \`skillproof credential show <id> --jwt\` prints one`);
  }
  return text;
}

const VERDICT: Record<VerificationReason, string> = {
  signature: 'INVALID SIGNATURE',
  expired: 'EXPIRED',
  'not-yet-valid': 'NOT YET VALID',
  revoked: 'REVOKED',
  malformed: 'MALFORMED',
  'unknown-key': 'UNKNOWN KEY',
  'status-unavailable': 'STATUS UNAVAILABLE',
};

/** The first line of a failed verification; a status that could not be checked is not called invalid. */
function verdictLine(result: VerificationResult, about: string): string {
  const verdict = VERDICT[result.reason ?? 'malformed'];
  const why = result.message ?? result.reason;
  return result.reason === 'status-unavailable'
    ? `${verdict}: the revocation status of credential${about} could not be checked: ${why}.`
    : `${verdict}: credential${about} is not valid: ${why}.`;
}

/** What both verify paths report of a verification: the credential, its id, " <id> (<name>)" for messages, and the JSON members they share. */
function verified(result: VerificationResult) {
  const credential = result.credential as Partial<OpenBadgeCredential> | undefined;
  const id = typeof credential?.id === 'string' ? credential.id : null;
  const name = credential?.credentialSubject?.achievement?.name;
  return {
    credential,
    id,
    about: id ? ` ${id}${name ? ` (${name})` : ''}` : '',
    json: { id, valid: result.valid, ...(result.reason ? { reason: result.reason, message: result.message } : {}), statusChecked: result.statusChecked },
    validity: `  valid       from ${credential?.validFrom ?? '?'}${credential?.validUntil ? ` until ${credential.validUntil}` : ', no expiry'}`,
  };
}

async function verify(ws: Workspace, io: CliIo, input: string, opts: JsonOpts): Promise<void> {
  const jwt = readJwt(input);
  const { loadIssuer } = require('../credentials/issuer-keys') as typeof import('../credentials/issuer-keys');
  const { localStatusListResolver } = require('../credentials/issue') as typeof import('../credentials/issue');
  const { createVerifier } = require('../credentials/verify') as typeof import('../credentials/verify');
  // The trust anchor is this data directory's public JWKS; the revocation status comes from its own store, so no network is needed.
  const issuer = await loadIssuer(ws.dataDir);
  const result: VerificationResult = await createVerifier({ jwks: issuer.jwks, resolveStatusList: localStatusListResolver({ store: ws.store, issuer }) })(jwt);
  const { credential, id, about, json, validity } = verified(result);
  const stored = id ? await ws.store.getCredential(id) : undefined;
  io.setExitCode(verifyExitCode(result));
  if (opts.json) {
    return printJson(io, {
      ...json,
      ...(stored?.revokedAt ? { revokedAt: stored.revokedAt, revocationReason: stored.revocationReason } : {}),
      ...(credential ? { credential } : {}),
    });
  }
  if (!result.valid) {
    io.out(verdictLine(result, about));
    if (result.reason === 'revoked'  && stored?.revokedAt) io.out(`  revoked at ${stored.revokedAt}: ${stored.revocationReason ?? ''}`);
    return;
  }
  const issued = credential?.issuer;
  io.out(`VALID: credential${about}`);
  io.out(`  issued by   ${issued?.name ?? ''} (${issued?.id ?? ''}), signature checked with ${issuer.kid}`);
  io.out(validity);
  io.out(`  status      ${result.statusChecked ? 'not revoked (checked against the local status list)' : 'no revocation status to check'}`);
}

interface PublicVerifyOpts extends JsonOpts {
  jwks: string;
  statusList?: string;
  /** False with --no-status-check: the verifier accepts that revocation is not checked. */
  statusCheck: boolean;
}

/** Fetches a published status list credential (a compact VC-JWT) from its statusListCredential URL. */
export async function fetchStatusList(url: string, timeoutMs = 10_000): Promise<string> {
  const parsed = new URL(url);
  const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(parsed.hostname);
  if (parsed.protocol !== 'https:' && !(parsed.protocol === 'http:' && loopback)) throw new Error(`refusing to fetch ${url}: status lists are fetched over https`);
  let response: Response;
  try {
    response = await fetch(url, { headers: { accept: 'application/vc+jwt, application/jwt, text/plain' }, signal: AbortSignal.timeout(timeoutMs), redirect: 'follow' });
  } catch (e) {
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    throw new Error(`GET ${url}: ${cause?.code ?? cause?.message ?? (e as Error).message}`);
  }
  if (!response.ok) throw new Error(`GET ${url}: HTTP ${response.status}`);
  const text = (await response.text()).trim();
  if (!/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(text)) throw new Error(`GET ${url} did not answer with a compact JWT`);
  return text;
}

/** "12 min", "3 h", "2 days": how long ago `iso` was. */
function age(iso: string, now = Date.now()): string {
  const seconds = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (seconds < 120) return `${seconds} s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
  if (seconds < 172_800) return `${Math.round(seconds / 3600)} h`;
  return `${Math.round(seconds / 86_400)} days`;
}

/** Exit code of a verification: 0 valid, 1 invalid/expired/revoked, 3 revocation status could not be checked (not known to be invalid). */
function verifyExitCode(result: VerificationResult): number {
  if (result.valid) return EXIT.ok;
  return result.reason === 'status-unavailable' ? EXIT.incomplete : EXIT.invalid;
}

/**
 * Verification by anyone, with no data directory: the issuer's published JWKS is the trust
 * anchor. The revocation status comes from --status-list, or else from the credential's own
 * statusListCredential URL. A credential whose status could not be checked is not called valid
 * (exit 3) unless --no-status-check says the verifier accepts that.
 */
async function verifyWithPublicKeys(io: CliIo, input: string, opts: PublicVerifyOpts): Promise<void> {
  const jwt = readJwt(input);
  const { createVerifier } = require('../credentials/verify') as typeof import('../credentials/verify');
  if (opts.statusList && !opts.statusCheck) throw new CliError('--status-list and --no-status-check contradict each other; give one');
  let jwks: { keys: object[] };
  try {
    jwks = JSON.parse(readFileSync(opts.jwks, 'utf8')) as { keys: object[] };
    if (!Array.isArray(jwks?.keys)) throw new Error('no "keys" array');
  } catch (e) {
    throw new CliError(`--jwks ${opts.jwks}: not a JWKS (${(e as Error).message}); download the issuer's /.well-known/jwks.json or run "skillproof issuer jwks > jwks.json" where the issuer lives`);
  }
  const statusList = opts.statusList ? readJwt(opts.statusList) : undefined;
  const fetched: string[] = [];
  const resolveStatusList = statusList
    ? async () => statusList
    : opts.statusCheck
      ? async (url: string) => {
          fetched.push(url);
          return fetchStatusList(url);
        }
      : undefined;
  const verifier = createVerifier({ jwks: jwks as never, ...(resolveStatusList ? { resolveStatusList } : {}) });
  const result = await verifier(jwt);
  const { credential, about, json, validity } = verified(result);
  const revocable = Boolean(credential?.credentialStatus);
  const source = statusList ? opts.statusList : fetched[0];
  io.setExitCode(verifyExitCode(result));
  if (opts.json) {
    return printJson(io, {
      ...json,
      ...(result.statusList ? { statusList: { ...result.statusList, source, ageSeconds: Math.round((Date.now() - Date.parse(result.statusList.validFrom)) / 1000) } } : {}),
      ...(credential ? { credential } : {}),
    });
  }
  if (!result.valid) {
    io.out(verdictLine(result, about));
    if (result.reason === 'status-unavailable') {
      io.out(
        `  Its revocation status could not be checked, so it is not reported valid (exit 3). Download the status list its credentialStatus names ` +
          `(${credential?.credentialStatus?.statusListCredential ?? 'its statusListCredential URL'}) and pass it with --status-list, ` +
          'or pass --no-status-check to accept the credential without a revocation check.',
      );
    }
    return;
  }
  io.out(revocable && !result.statusChecked ? `VALID SIGNATURE, REVOCATION NOT CHECKED: credential${about}` : `VALID: credential${about}`);
  io.out(`  issued by   ${credential?.issuer?.name ?? ''} (${credential?.issuer?.id ?? ''}), signature checked with ${opts.jwks}`);
  io.out(validity);
  if (result.statusList) {
    const list = result.statusList;
    io.out(`  status      not revoked, per status list ${list.url} (${statusList ? `from ${opts.statusList}` : 'fetched now'})`);
    io.out(`              the list was signed ${age(list.validFrom)} ago (${list.validFrom})${list.validUntil ? ` and is valid until ${list.validUntil}` : ''}; a revocation after it was signed is not in it`);
  } else if (revocable) {
    io.out('  status      NOT CHECKED (--no-status-check): the credential may have been revoked');
  } else {
    io.out('  status      the credential names no status list, so it cannot be revoked');
  }
}

async function revoke(ws: Workspace, io: CliIo, id: string, opts: JsonOpts & { reason: string }): Promise<void> {
  const reason = opts.reason.trim();
  if (!reason) throw new CliError('--reason must say why the credential is revoked; it is kept in the audit log');
  const before = await getCredential(ws, id);
  const { revokeCredential } = require('../credentials/issue') as typeof import('../credentials/issue');
  const record = await revokeCredential({ store: ws.store, actor: actor('admin') }, before.id, reason);
  if (opts.json) return printJson(io, { ...summary(record), alreadyRevoked: Boolean(before.revokedAt) });
  if (before.revokedAt) {
    io.out(`Credential ${record.id} was already revoked at ${record.revokedAt} (${record.revocationReason ?? ''}); nothing changed.`);
    return;
  }
  const status = detail(record).statusList;
  io.out(`Revoked credential ${record.id}: ${reason}.`);
  if (status) io.out(`Verifiers see it through bit ${status.index} of the status list ${status.url}.`);
}

async function list(ws: Workspace, io: CliIo, opts: JsonOpts): Promise<void> {
  const rows = (await ws.store.listCredentials()).map(summary);
  if (opts.json) return printJson(io, { credentials: rows });
  if (rows.length === 0) return io.out('no credentials; `skillproof credential issue <attempt-id>` issues one for a passed assessment attempt');
  io.out(
    formatColumns(rows, [
      { header: 'CREDENTIAL', cell: (r) => r.id },
      { header: 'STATE', cell: (r) => r.state },
      { header: 'ACHIEVEMENT', cell: (r) => r.achievement.name },
      { header: 'ATTEMPT', cell: (r) => r.attemptId },
      { header: 'CANDIDATE', cell: (r) => r.candidateId },
      { header: 'VALID FROM', cell: (r) => r.validFrom },
    ]),
  );
}

export function register(program: Command, io: CliIo): void {
  const credential = program.command('credential').description('issue, show, verify, revoke and list Open Badges 3.0 credentials');
  credential
    .command('issue <attempt-id>')
    .description("issue the credential of a passed assessment attempt (a second call returns the same one)")
    .addOption(dataDirOption())
    .addOption(storeOption())
    .option('--json', 'print JSON')
    .option('--quiet', 'print only the credential id (for scripts)')
    .action((id: string, opts: JsonOpts & { quiet?: boolean }) => withWorkspace(opts, (ws) => issue(ws, io, id, opts)));
  credential
    .command('show <credential-id>')
    .description('show a credential')
    .option('--jwt', 'print the compact JWT (VC-JWT) alone')
    .addOption(dataDirOption())
    .addOption(storeOption())
    .option('--json', 'print JSON')
    .action((id: string, opts: JsonOpts & { jwt?: boolean }) => withWorkspace(opts, (ws) => show(ws, io, id, opts)));
  credential
    .command('verify <jwt-or-file>')
    .description(
      "verify a credential with the issuer's public key and its status list (exit 0 valid; 1 invalid, expired or revoked; 3 revocation status could not be checked)",
    )
    .addOption(dataDirOption())
    .addOption(storeOption())
    .option('--jwks <file>', "verify with this published JWKS instead of a data directory's issuer (anyone can; `skillproof issuer jwks` prints it)")
    .option('--status-list <jwt-or-file>', "with --jwks: the status list credential to check revocation against (default: fetch it from the credential's credentialStatus URL)")
    .option('--no-status-check', 'with --jwks: accept the credential without checking whether it was revoked')
    .option('--json', 'print JSON')
    .action((input: string, opts: JsonOpts & { jwks?: string; statusList?: string; statusCheck: boolean }) => {
      if (!opts.jwks && (opts.statusList || !opts.statusCheck)) {
        throw new CliError('--status-list and --no-status-check go with --jwks; with a data directory the revocation status comes from its own store');
      }
      return opts.jwks ? verifyWithPublicKeys(io, input, { ...opts, jwks: opts.jwks }) : withWorkspace(opts, (ws) => verify(ws, io, input, opts));
    });
  credential
    .command('revoke <credential-id>')
    .description('revoke a credential: its status list bit is set from now on')
    .requiredOption('--reason <text>', 'why (kept in the audit log)')
    .addOption(dataDirOption())
    .addOption(storeOption())
    .option('--json', 'print JSON')
    .action((id: string, opts: JsonOpts & { reason: string }) => withWorkspace(opts, (ws) => revoke(ws, io, id, opts)));
  credential
    .command('list')
    .description('every credential in the data directory')
    .addOption(dataDirOption())
    .addOption(storeOption())
    .option('--json', 'print JSON')
    .action((opts: JsonOpts) => withWorkspace(opts, (ws) => list(ws, io, opts)));
}
