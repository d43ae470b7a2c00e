import { GetFunctionConfigurationCommand, GetPolicyCommand, LambdaClient, type GetFunctionConfigurationCommandOutput } from '@aws-sdk/client-lambda';
import type { CheckContext } from '../../src/model/grader';
import { orNotFound } from './aws-calls';

/** Splits a possibly qualified function ARN (`...:function:name:alias`) into name and qualifier. */
export function parseFunctionArn(arn: string): { name: string; qualifier?: string; unqualifiedArn: string } {
  const parts = arn.split(':');
  const name = parts[6] ?? arn;
  const qualifier = parts[7];
  return { name, ...(qualifier ? { qualifier } : {}), unqualifiedArn: parts.slice(0, 7).join(':') };
}

/** The function's configuration, or undefined when it does not exist. */
export function getFunctionConfiguration(ctx: CheckContext, functionArn: string): Promise<GetFunctionConfigurationCommandOutput | undefined> {
  const { unqualifiedArn, qualifier } = parseFunctionArn(functionArn);
  return orNotFound(ctx.client(LambdaClient).send(new GetFunctionConfigurationCommand({ FunctionName: unqualifiedArn, ...(qualifier ? { Qualifier: qualifier } : {}) })));
}

interface ResourcePolicyStatement {
  Sid?: string;
  Effect?: string;
  Principal?: string | { Service?: string | string[]; AWS?: string | string[] };
  Action?: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

export interface InvokeGrant {
  sid: string;
  principal: string;
  /** The SourceArn patterns the grant is limited to (empty: any source). */
  sourceArns: string[];
  /** Other condition keys (SourceAccount, PrincipalOrgID…). */
  otherConditions: string[];
}

/** Who may invoke the function (statements granting lambda:InvokeFunction), or undefined without a policy. */
export async function invokeGrants(ctx: CheckContext, functionArn: string): Promise<InvokeGrant[] | undefined> {
  const { unqualifiedArn, qualifier } = parseFunctionArn(functionArn);
  const res = await orNotFound(ctx.client(LambdaClient).send(new GetPolicyCommand({ FunctionName: unqualifiedArn, ...(qualifier ? { Qualifier: qualifier } : {}) })));
  if (!res?.Policy) return undefined;
  const doc = JSON.parse(res.Policy) as { Statement?: ResourcePolicyStatement | ResourcePolicyStatement[] };
  const statements = Array.isArray(doc.Statement) ? doc.Statement : doc.Statement ? [doc.Statement] : [];
  const grants: InvokeGrant[] = [];
  for (const [i, s] of statements.entries()) {
    if (s.Effect !== 'Allow') continue;
    const actions = [s.Action ?? []].flat();
    if (!actions.some((a) => /^(lambda:\*|lambda:InvokeFunction|\*)$/i.test(a))) continue;
    const conditions = Object.values(s.Condition ?? {}).flatMap((byKey) => Object.entries(byKey));
    const sourceArns = conditions.filter(([k]) => k.toLowerCase() === 'aws:sourcearn').flatMap(([, v]) => [v].flat());
    const otherConditions = conditions.filter(([k]) => k.toLowerCase() !== 'aws:sourcearn').map(([k]) => k);
    for (const principal of principalsOf(s.Principal)) grants.push({ sid: s.Sid ?? `statement ${i + 1}`, principal, sourceArns, otherConditions });
  }
  return grants;
}

function principalsOf(p: ResourcePolicyStatement['Principal']): string[] {
  if (p === undefined) return [];
  if (typeof p === 'string') return [p];
  return [...[p.Service ?? []].flat(), ...[p.AWS ?? []].flat()];
}
