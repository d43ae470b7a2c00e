import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadCatalog, REPO_ROOT } from '../../../src/catalog/load';
import { portalCohorts } from '../../../src/cohorts/progress';
import { initIssuer } from '../../../src/credentials/issuer-keys';
import { startPortalServer, type RunningPortal, type ServerOptions } from '../../../src/server/app';
import type { CohortDeps } from '../../../src/server/cohorts';
import { createAdminToken } from '../../../src/server/portal';
import { SqliteStore } from '../../../src/store/sqlite-store';

export const ASSESSMENT = 'aws-serverless';
export const ASSESSMENT_TASKS = ['serverless-orders-api', 'serverless-queue-worker', 'serverless-order-workflow', 'serverless-safe-deploy'];

/** What one task's recorded evidence in a replay sandbox shows. */
export type Outcome = 'pass' | 'fail' | 'error';

export interface ApiResponse {
  status: number;
  headers: Headers;
  // Tests read what the API documents; the schemas are checked separately.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
  text: string;
}

export interface TestPortal extends RunningPortal {
  dir: string;
  store: SqliteStore;
  adminToken: string;
  /** Calls the JSON API; `token` goes in Authorization: Bearer. */
  api(method: string, path: string, options?: { token?: string; body?: unknown; headers?: Record<string, string> }): Promise<ApiResponse>;
  /**
   * A replay sandbox folder with one evidence file per task: the first fixture of the given kind
   * (default pass). Rewriting it later changes what a re-grade sees.
   */
  evidence(outcomes?: Partial<Record<string, Outcome>>, taskIds?: readonly string[]): string;
  /** Creates an attempt through the admin API; returns its id and access code. */
  newAttempt(candidate: string, options?: { target?: string; evidence?: string; timeLimitMinutes?: number }): Promise<{ attemptId: string; code: string }>;
  /** Signs a candidate in through the API; returns the session token. */
  signIn(code: string): Promise<string>;
  shutdown(): Promise<void>;
}

let evidenceCount = 0;

/**
 * A portal on 127.0.0.1, port 0, over a fresh data directory with an issuer (unless `issuer: false`)
 * and one admin token. Its cohort pages show the store's own cohorts, as `skillproof serve` does,
 * unless `cohorts` gives others (fakes) or `false` (none). A `now` clock is the store's clock too.
 */
export async function startTestPortal(options: Partial<Omit<ServerOptions, 'cohorts'>> & { cohorts?: CohortDeps | false; issuer?: boolean; issuerId?: string } = {}): Promise<TestPortal> {
  const { issuer = true, issuerId = 'did:web:localhost', cohorts, ...serverOptions } = options;
  const dir = mkdtempSync(join(tmpdir(), 'skillproof-portal-'));
  const store = SqliteStore.open(dir, serverOptions.now ? { now: serverOptions.now } : {});
  const catalog = serverOptions.catalog ?? loadCatalog();
  const cohortDeps = cohorts === false ? undefined : (cohorts ?? portalCohorts(store, catalog));
  if (issuer) await initIssuer(dir, store, { id: issuerId, name: 'SkillProof Test Issuer' });
  const { token: adminToken } = await createAdminToken(store, 'test-admin', 'test');
  const running = await startPortalServer({
    dataDir: dir,
    store,
    badges: store,
    catalog,
    ...(cohortDeps ? { cohorts: cohortDeps } : {}),
    host: '127.0.0.1',
    port: 0,
    checkIntervalMs: 200,
    submitWaitMs: 5000,
    // Every test client signs in from 127.0.0.1; the limit has its own test.
    signInPerMinute: 10_000,
    log: () => undefined,
    ...serverOptions,
  });

  const api: TestPortal['api'] = async (method, path, { token, body, headers = {} } = {}) => {
    const sent = new Headers(headers);
    if (token) sent.set('authorization', `Bearer ${token}`);
    if (body !== undefined && !sent.has('content-type')) sent.set('content-type', 'application/json');
    const response = await fetch(`${running.url}${path}`, {
      method,
      headers: sent,
      ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
    });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON: keep the text
    }
    return { status: response.status, headers: response.headers, body: parsed, text };
  };

  const evidence: TestPortal['evidence'] = (outcomes = {}, taskIds = ASSESSMENT_TASKS) => {
    const folder = join(dir, `evidence-${(evidenceCount += 1)}`);
    writeEvidence(folder, outcomes, taskIds);
    return folder;
  };

  return {
    ...running,
    dir,
    store,
    adminToken,
    api,
    evidence,
    async newAttempt(candidate, { target = ASSESSMENT, evidence: folder, timeLimitMinutes } = {}) {
      const sandbox = { kind: 'replay', path: folder ?? evidence({}, target === ASSESSMENT ? ASSESSMENT_TASKS : [target]) };
      const r = await api('POST', '/api/admin/attempts', { token: adminToken, body: { candidate, target, sandbox, ...(timeLimitMinutes ? { timeLimitMinutes } : {}) } });
      if (r.status !== 201) throw new Error(`creating an attempt failed: ${r.status} ${r.text}`);
      return { attemptId: r.body.attempt.id, code: r.body.accessCode.code };
    },
    async signIn(code) {
      const r = await api('POST', '/api/sign-in', { body: { accessCode: code } });
      if (r.status !== 200) throw new Error(`sign-in failed: ${r.status} ${r.text}`);
      return r.body.token;
    },
    async shutdown() {
      await running.close(2000);
      store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** (Re)writes a replay folder: for each task, the first fixture of its outcome. */
export function writeEvidence(folder: string, outcomes: Partial<Record<string, Outcome>>, taskIds: readonly string[] = ASSESSMENT_TASKS): void {
  rmSync(folder, { recursive: true, force: true });
  mkdirSync(folder, { recursive: true });
  for (const taskId of taskIds) {
    const kind = outcomes[taskId] ?? 'pass';
    const source = join(REPO_ROOT, 'tasks', taskId, 'fixtures', kind);
    const file = readdirSync(source).filter((f) => f.endsWith('.json')).sort()[0];
    if (!file) throw new Error(`no ${kind} fixture for ${taskId}`);
    copyFileSync(join(source, file), join(folder, `${taskId}.json`));
  }
}

/** Polls until the attempt's grading is no longer running. */
export async function gradingDone(portal: TestPortal, attemptId: string, token: string): Promise<ApiResponse> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    const r = await portal.api('GET', `/api/attempts/${attemptId}`, { token });
    if (r.body?.grading?.state !== 'running') return r;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`attempt ${attemptId} is still being graded`);
}
