import type { CatalogEntry } from '../catalog/load';
import { iamRequestsOf } from '../aws/iam-requests';
import { readBundle } from '../evidence/bundle';
import { graderRoleOf } from '../sandbox/grader-role';
import type { FixtureFile } from './scenarios';

/** An IAM request a fixture's grader made that the task's grader role would refuse. */
export interface MissingPermission {
  action: string;
  resource: string;
  reason: string;
  /** The recorded calls that need it, as `Service.Operation`. */
  calls: string[];
  /** The fixtures that made them, as `kind/name`. */
  fixtures: string[];
  /** False when the resource could not be told from the call (judged as `*`). */
  exactResource: boolean;
}

/**
 * Invariant 8: every call recorded in a task's fixtures (each try, probes included) is allowed by the
 * grader role the task's sandbox stack grants, evaluated offline. Returns what is missing, each
 * action and resource once.
 */
export async function missingGraderPermissions(entry: CatalogEntry, fixtures: readonly FixtureFile[]): Promise<MissingPermission[]> {
  const role = graderRoleOf(entry.task);
  const missing = new Map<string, MissingPermission>();
  for (const fixture of fixtures) {
    const { run, transcript } = readBundle(fixture.file);
    const site = { region: run.region, accountId: run.accountId };
    for (const call of transcript) {
      for (const request of await iamRequestsOf(call, site)) {
        const decision = role.decide(request, site, run.attemptId);
        if (decision.allowed) continue;
        const key = JSON.stringify([request.action, request.resource, decision.reason]);
        const found = missing.get(key) ?? { action: request.action, resource: request.resource, reason: decision.reason ?? 'not granted', calls: [], fixtures: [], exactResource: request.exactResource };
        const callName = `${call.service}.${call.operation}`;
        if (!found.calls.includes(callName)) found.calls.push(callName);
        const label = `${fixture.kind}/${fixture.name}`;
        if (!found.fixtures.includes(label)) found.fixtures.push(label);
        missing.set(key, found);
      }
    }
  }
  return [...missing.values()].sort((a, b) => (a.action === b.action ? (a.resource < b.resource ? -1 : 1) : a.action < b.action ? -1 : 1));
}

/** One line an author can act on: the action, the resource, who calls it and what to change. */
export function describeMissingPermission(m: MissingPermission): string {
  const where = m.fixtures.length > 2 ? `${m.fixtures.slice(0, 2).join(', ')} and ${m.fixtures.length - 2} more` : m.fixtures.join(', ');
  const unknown = m.exactResource ? '' : ` (SkillProof cannot tell which resource ${m.calls.join(', ')} acts on, so only a grant on every resource allows it)`;
  return `the grader role does not allow ${m.action} on ${m.resource}: ${m.reason}${unknown}; called as ${m.calls.join(', ')} in ${where}. Add ${m.action} to blueprint.grader.reads, or to blueprint.grader.probes with probeResources covering the resource`;
}
