import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GradingSession, type Responder } from '../../src/aws/session';
import { loadCatalog, type CatalogEntry } from '../../src/catalog/load';
import type { CliIo } from '../../src/cli/io';
import { main } from '../../src/cli/main';
import { gradeSimulated } from '../../src/engine/grade';
import { serialiseBundle } from '../../src/evidence/bundle';
import { formatReport } from '../../src/report/format';
import { awsError } from '../../src/testing/fake-account';
import { loadScenarios } from '../../src/testing/scenarios';

/**
 * Secrets planted in what AWS and the candidate's endpoint answer (Lambda and AgentCore
 * environment values, session credentials, presigned URLs, Authorization and cookie headers) must
 * never reach the evidence bundle, the report in any format, or anything printed.
 */

const SECRET = {
  lambdaEnv: 'sp-secret-lambda-env-6f1c2a',
  agentRuntimeEnv: 'sp-secret-agentcore-env-0b9e11',
  secretKey: 'sp-secret-access-key-77d0c3',
  sessionToken: 'sp-secret-session-token-2a4e8f',
  presignedSignature: 'sp-secret-signature-5d3b19',
  authorization: 'sp-secret-bearer-9c8d7e',
  cookie: 'sp-secret-cookie-1e2f3a',
  apiKey: 'sp-secret-api-key-4b5c6d',
} as const;
const PRESIGNED = `https://skillproof-artifacts.s3.eu-west-1.amazonaws.com/code.zip?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=ASIAEXAMPLE%2F20260115&X-Amz-Security-Token=${SECRET.sessionToken}&X-Amz-Signature=${SECRET.presignedSignature}`;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Uint8Array) && !(v instanceof Date);

/** Adds secrets where AWS and HTTP answers carry them; the rest of the answer is unchanged. */
function plant(service: string, operation: string, output: unknown): unknown {
  if (!isObj(output)) return output;
  if (service === 'HTTP') {
    const headers = isObj(output.headers) ? output.headers : {};
    return {
      ...output,
      headers: { ...headers, authorization: `Bearer ${SECRET.authorization}`, 'set-cookie': `sid=${SECRET.cookie}; HttpOnly`, 'x-api-key': SECRET.apiKey, 'x-amz-security-token': SECRET.sessionToken },
    };
  }
  const walk = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(walk);
    if (!isObj(v)) return v;
    const out: Obj = Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    // Any Lambda function configuration: its environment, and (GetFunction) its code location.
    if (typeof out.FunctionName === 'string' && typeof out.FunctionArn === 'string') {
      const env = isObj(out.Environment) ? out.Environment : {};
      out.Environment = { ...env, Variables: { ...(isObj(env.Variables) ? env.Variables : {}), DATABASE_URL: SECRET.lambdaEnv } };
    }
    return out;
  };
  const planted = walk(output) as Obj;
  if (isObj(planted.Code)) planted.Code = { ...planted.Code, Location: PRESIGNED };
  if (service === 'BedrockAgentCoreControl' && operation === 'GetAgentRuntime') {
    planted.environmentVariables = { ...(isObj(planted.environmentVariables) ? planted.environmentVariables : {}), DATABASE_URL: SECRET.agentRuntimeEnv };
  }
  return {
    ...planted,
    Credentials: { AccessKeyId: 'ASIAEXAMPLEPLANTED', SecretAccessKey: SECRET.secretKey, SessionToken: SECRET.sessionToken, Expiration: new Date('2026-01-15T11:00:00Z') },
    DownloadUrl: PRESIGNED,
  };
}

function planting(responder: Responder): Responder {
  return async (service, operation, input) => {
    const answer = (await responder(service, operation, input)) as Obj;
    const { $metadata, ...output } = answer;
    return { ...(plant(service, operation, output) as Obj), $metadata };
  };
}

/** The planted secrets found in `text`, by name. */
const leaked = (text: string) => Object.entries(SECRET).filter(([, value]) => text.includes(value)).map(([name]) => name);

async function cli(...argv: string[]): Promise<string> {
  let printed = '';
  const io: CliIo = { out: (t) => (printed += `${t}\n`), err: (t) => (printed += `${t}\n`), setExitCode: () => undefined };
  await main(argv, io);
  return printed;
}

/** Everything written to stdout, stderr or the console while `fn` runs. */
async function capturePrinted(fn: () => Promise<void>): Promise<string> {
  let printed = '';
  const keep = (chunk: unknown) => (printed += String(chunk));
  const spies = [
    jest.spyOn(process.stdout, 'write').mockImplementation((chunk) => (keep(chunk), true)),
    jest.spyOn(process.stderr, 'write').mockImplementation((chunk) => (keep(chunk), true)),
    ...(['log', 'info', 'warn', 'error', 'debug'] as const).map((m) => jest.spyOn(console, m).mockImplementation((...args) => keep(args.join(' ')))),
  ];
  try {
    await fn();
  } finally {
    for (const s of spies) s.mockRestore();
  }
  return printed;
}

const dir = mkdtempSync(join(tmpdir(), 'skillproof-secrets-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const passScenarios = loadCatalog()
  .all()
  .flatMap((entry) => loadScenarios(entry).filter((s) => s.kind === 'pass').slice(0, 1).map((scenario) => ({ entry, scenario })));

async function gradePlanted(entry: CatalogEntry, responder: Responder, name: string) {
  const { report, bundle } = await gradeSimulated(entry, {
    responder: planting(responder),
    region: 'eu-west-1',
    nonce: '5ec7e75ec7e75ec7',
    startedAt: new Date('2026-01-15T10:00:00Z'),
    attemptId: `secrets-${name}`,
  });
  const file = join(dir, `${entry.task.id}-${name}.json`);
  writeFileSync(file, serialiseBundle(bundle));
  return { report, bundle, file };
}

describe('planted secrets', () => {
  it.each(passScenarios.map(({ entry, scenario }) => [entry.task.id, entry, scenario] as const))(
    '%s: never appear in the evidence, the report in any format, or the output of regrade',
    async (_id, entry, scenario) => {
      const account = scenario.account();
      let outputs: Record<string, string> = {};
      const printed = await capturePrinted(async () => {
        const { report, bundle, file } = await gradePlanted(entry, account.responder, scenario.name);
        outputs = {
          evidence: serialiseBundle(bundle),
          table: formatReport(report, 'table'),
          json: formatReport(report, 'json'),
          junit: formatReport(report, 'junit'),
          'regrade --format table': await cli('regrade', file, '--format', 'table'),
          'regrade --format json': await cli('regrade', file, '--format', 'json'),
          'regrade --format junit': await cli('regrade', file, '--format', 'junit'),
        };
      });
      const found = Object.entries({ ...outputs, 'printed while grading': printed }).flatMap(([where, text]) => leaked(text).map((s) => `${s} in ${where}`));
      // A leak-free run that recorded nothing would prove nothing: the planted answers must be in the evidence.
      expect(outputs.evidence).toContain('skillproof-artifacts.s3.eu-west-1.amazonaws.com/code.zip');
      // AgentCore runtime environment values are a known leak, documented by its own test below.
      expect(found.filter((f) => !f.startsWith('agentRuntimeEnv'))).toEqual([]);
    },
  );

  it('never keep the Authorization header or cookie a probe sends to the candidate\'s endpoint', async () => {
    const session = new GradingSession({
      mode: 'simulate',
      region: 'eu-west-1',
      attemptId: 'secrets-request-headers',
      nonce: '5ec7e75ec7e75ec7',
      startedAt: new Date('2026-01-15T10:00:00Z'),
      probes: ['http:POST'],
      responder: () => ({ status: 201, headers: {}, body: '{}' }),
    });
    try {
      await session.inCheck('probe', () =>
        session.http.request({ method: 'POST', url: 'https://api.example.com/orders', headers: { Authorization: `Bearer ${SECRET.authorization}`, Cookie: `sid=${SECRET.cookie}`, 'X-Api-Key': SECRET.apiKey }, body: '{}' }),
      );
    } finally {
      session.destroy();
    }
    expect(session.transcript).toHaveLength(1);
    expect(leaked(JSON.stringify(session.transcript))).toEqual([]);
  });

  it('never keep an OAuth token a token endpoint answers, while the simulated endpoint is sent the request as made', async () => {
    const seen: unknown[] = [];
    const session = new GradingSession({
      mode: 'simulate',
      region: 'eu-west-1',
      attemptId: 'secrets-token-body',
      nonce: '70ce770ce770ce77',
      startedAt: new Date('2026-01-15T10:00:00Z'),
      probes: ['http:POST'],
      responder: (_service, _operation, input) => {
        seen.push(input);
        return { status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ access_token: SECRET.authorization, expires_in: 3600, token_type: 'Bearer' }) };
      },
    });
    let answer = '';
    try {
      ({ body: answer } = (await session.inCheck('probe', () => session.http.request({ method: 'POST', url: 'https://idp.example.com/oauth2/token', headers: { Authorization: `Basic ${SECRET.apiKey}` }, body: 'grant_type=client_credentials' }))).value);
    } finally {
      session.destroy();
    }
    expect(JSON.stringify(seen)).toContain(SECRET.apiKey);
    expect(answer).toContain(SECRET.authorization);
    expect(leaked(JSON.stringify(session.transcript))).toEqual([]);
  });

  it('never keep an AgentCore runtime environment value in the evidence', async () => {
    const agentcore = passScenarios.find(({ entry }) => entry.task.id === 'agentic-agentcore-runtime');
    expect(agentcore).toBeDefined();
    const { bundle } = await gradePlanted(agentcore!.entry, agentcore!.scenario.account().responder, 'agentcore-env');
    expect(leaked(serialiseBundle(bundle))).toEqual([]);
  });

  it('never keep a presigned URL that an AWS error message quotes', async () => {
    const { entry, scenario } = passScenarios.find((s) => s.entry.task.id === 'serverless-orders-api') ?? passScenarios[0]!;
    const account = scenario.account();
    const failing: Responder = (service, operation, input) => {
      if (service === 'Lambda' && operation === 'GetFunctionConfiguration') throw awsError('InvalidParameterValueException', `Could not fetch ${PRESIGNED}`, 400);
      return account.responder(service, operation, input);
    };
    const { report, bundle } = await gradePlanted(entry, failing, 'error-message');
    expect(leaked(serialiseBundle(bundle) + formatReport(report, 'json'))).toEqual([]);
  });
});
