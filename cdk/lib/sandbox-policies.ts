import { Aws } from 'aws-cdk-lib';
import { Effect, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { Blueprint } from '../../src/model/task';
import { ATTEMPT_TAG, CANDIDATE_IAM_PATH, RESERVED_TAG_PATTERN, SKILLPROOF_IAM_PATH, SKILLPROOF_NAME_PREFIX } from './sandbox-naming';

/**
 * The policy statements of a sandbox, as pure functions of the blueprint, so the stack stays a list of
 * resources and each rule can be read (and tested) on its own.
 */

/** Services whose API is global (its calls report us-east-1); exempt from the region lock. */
export const GLOBAL_ACTIONS = [
  'iam:*',
  'sts:*',
  'organizations:*',
  'account:*',
  'budgets:*',
  'ce:*',
  'support:*',
  'health:*',
  'cloudfront:*',
  'route53:*',
  'globalaccelerator:*',
  'waf:*',
  'shield:*',
  's3:ListAllMyBuckets',
  's3:GetAccountPublicAccessBlock',
];

/**
 * Bedrock invocations a cross-Region inference profile routes from the sandbox's Region to a
 * destination Region. IAM and SCPs are evaluated again in the destination, with `aws:RequestedRegion`
 * set to it (or to `unspecified` for a global profile) and `bedrock:InferenceProfileArn` set to the
 * profile invoked in the source Region (Bedrock user guide, "Geographic cross-Region inference" and
 * "Global cross-Region inference", IAM policy requirements; aws-samples/service-control-policy-examples,
 * "Deny access … with Bedrock CRIS"; Innovation Sandbox on AWS issue #74). Converse and ConverseStream
 * are authorised as these two actions; agents, knowledge bases and AgentCore runtimes invoke models
 * through them with their own roles.
 */
export const CROSS_REGION_INFERENCE_ACTIONS = ['bedrock:InvokeModel', 'bedrock:InvokeModelWithResponseStream'];
/**
 * A guardrail with cross-Region inference (the Standard safeguard tier) is authorised in each
 * destination Region on its guardrail profile, `arn:…:bedrock:<destination>:<account>:guardrail-profile/…`
 * (Bedrock user guide, "Permissions for using cross-Region inference with Amazon Bedrock Guardrails").
 * ApplyGuardrail has no condition key naming the profile, so the exemption is by resource.
 */
export const CROSS_REGION_GUARDRAIL_ACTIONS = ['bedrock:ApplyGuardrail'];

/** One statement of a policy document, as JSON (the SCP is JSON; the boundary takes it with `PolicyStatement.fromJson`). */
export interface PolicyStatementJson {
  Sid: string;
  Effect: 'Deny';
  Action?: string[];
  NotAction?: string[];
  Resource?: string;
  NotResource?: string;
  Condition: Record<string, Record<string, string | string[]>>;
}

/**
 * The region lock: every action outside `regions` is denied, except global services and Bedrock's
 * cross-Region inference, exactly as AWS documents it: an invocation through an inference profile of an
 * allowed Region (`bedrock:InferenceProfileArn`), and a guardrail applied through a guardrail profile.
 * A direct InvokeModel in another Region, or any other action there, stays denied.
 */
export function regionLockStatements(sid: string, regions: string | string[], profileAccount = '*'): PolicyStatementJson[] {
  const outside = { StringNotEquals: { 'aws:RequestedRegion': regions } };
  const profiles = [regions]
    .flat()
    .flatMap((region) => ['inference-profile', 'application-inference-profile'].map((kind) => `arn:*:bedrock:${region}:${profileAccount}:${kind}/*`));
  return [
    { Sid: sid, Effect: 'Deny', NotAction: [...GLOBAL_ACTIONS, ...CROSS_REGION_INFERENCE_ACTIONS, ...CROSS_REGION_GUARDRAIL_ACTIONS], Resource: '*', Condition: outside },
    {
      Sid: `${sid}InferenceProfiles`,
      Effect: 'Deny',
      Action: CROSS_REGION_INFERENCE_ACTIONS,
      Resource: '*',
      Condition: { ...outside, ArnNotLike: { 'bedrock:InferenceProfileArn': profiles } },
    },
    { Sid: `${sid}GuardrailProfiles`, Effect: 'Deny', Action: CROSS_REGION_GUARDRAIL_ACTIONS, NotResource: 'arn:*:bedrock:*:*:guardrail-profile/*', Condition: outside },
  ];
}

/** Services the candidate always has, whatever the blueprint says: deploying with CloudFormation. */
export const BASELINE_SERVICES = ['cloudformation'];

/** Role actions the candidate may take only on roles carrying CandidateBoundary (the key is checked by IAM). */
export const BOUNDED_ROLE_ACTIONS = [
  'iam:CreateRole',
  'iam:PutRolePolicy',
  'iam:DeleteRolePolicy',
  'iam:AttachRolePolicy',
  'iam:DetachRolePolicy',
  'iam:PutRolePermissionsBoundary',
];
/** Role actions without the `iam:PermissionsBoundary` key, allowed only under the candidate path. */
export const CANDIDATE_PATH_ROLE_ACTIONS = [
  'iam:DeleteRole',
  'iam:UpdateRole',
  'iam:UpdateRoleDescription',
  'iam:UpdateAssumeRolePolicy',
  'iam:TagRole',
  'iam:UntagRole',
  'iam:PassRole',
];
export const CANDIDATE_PATH_POLICY_ACTIONS = [
  'iam:CreatePolicy',
  'iam:CreatePolicyVersion',
  'iam:DeletePolicy',
  'iam:DeletePolicyVersion',
  'iam:SetDefaultPolicyVersion',
  'iam:TagPolicy',
  'iam:UntagPolicy',
];

/** What the candidate may still do to SkillProof's own resources: look at them. */
export const PROTECTED_RESOURCE_READS = [
  'iam:Get*',
  'iam:List*',
  'cloudformation:Describe*',
  'cloudformation:List*',
  'lambda:Get*',
  'lambda:List*',
  's3:GetObject',
  's3:GetObjectVersion',
  's3:GetBucketLocation',
  's3:ListBucket',
  'dynamodb:Describe*',
  'dynamodb:GetItem',
  'dynamodb:BatchGetItem',
  'dynamodb:Query',
  'dynamodb:Scan',
  'ssm:DescribeParameters',
  'ssm:GetParameter',
  'ssm:GetParameters',
  'ssm:GetParameterHistory',
  'logs:Describe*',
  'logs:Get*',
  'logs:FilterLogEvents',
  'scheduler:Get*',
  'scheduler:List*',
  'sns:Get*',
  'sns:List*',
  'budgets:View*',
];

/** ARN patterns of everything SkillProof owns in a sandbox account, by the naming convention. */
export function protectedResourcePatterns(): string[] {
  const name = `${SKILLPROOF_NAME_PREFIX}*`;
  return [
    `arn:*:iam::*:role${SKILLPROOF_IAM_PATH}*`,
    `arn:*:iam::*:policy${SKILLPROOF_IAM_PATH}*`,
    `arn:*:cloudformation:*:*:stack/${name}`,
    `arn:*:lambda:*:*:function:${name}`,
    `arn:*:logs:*:*:log-group:/aws/lambda/${name}`,
    `arn:*:scheduler:*:*:schedule/*/${name}`,
    `arn:*:sns:*:*:${name}`,
    `arn:*:budgets::*:budget/${name}`,
    `arn:*:dynamodb:*:*:table/${name}`,
    `arn:*:s3:::${name}`,
  ];
}

const candidateArn = (kind: 'role' | 'policy') => `arn:${Aws.PARTITION}:iam::${Aws.ACCOUNT_ID}:${kind}${CANDIDATE_IAM_PATH}*`;

/**
 * What the candidate may do: every action of the blueprint's services, except IAM, where they may only
 * manage roles and policies under the candidate path, and only roles that carry CandidateBoundary.
 * The same statements are the boundary's ceiling, so a role the candidate creates can do no more.
 */
export function candidateGrants(blueprint: Blueprint, boundaryArn: string): PolicyStatement[] {
  const services = [...new Set([...BASELINE_SERVICES, ...blueprint.candidate.services])].sort();
  const statements = [
    new PolicyStatement({
      sid: 'BlueprintServices',
      actions: services.filter((s) => s !== 'iam').map((s) => `${s}:*`),
      resources: ['*'],
    }),
  ];
  if (services.includes('iam')) {
    statements.push(
      new PolicyStatement({ sid: 'IamRead', actions: ['iam:Get*', 'iam:List*'], resources: ['*'] }),
      new PolicyStatement({
        sid: 'RolesOnlyWithBoundary',
        actions: BOUNDED_ROLE_ACTIONS,
        resources: [candidateArn('role')],
        conditions: { StringEquals: { 'iam:PermissionsBoundary': boundaryArn } },
      }),
      new PolicyStatement({ sid: 'CandidatePathRoles', actions: CANDIDATE_PATH_ROLE_ACTIONS, resources: [candidateArn('role')] }),
      new PolicyStatement({ sid: 'CandidatePathPolicies', actions: CANDIDATE_PATH_POLICY_ACTIONS, resources: [candidateArn('policy')] }),
    );
  }
  return statements;
}

/**
 * The guard rails, in CandidateBoundary so they bind the candidate role and every role it creates:
 * the blueprint's denied actions, SkillProof's resources (by name and by tag), reserved tags, removing
 * a boundary, and other regions (but for Bedrock's cross-Region inference, see regionLockStatements).
 */
export function boundaryDenies(blueprint: Blueprint, seededParameterArns: string[]): PolicyStatement[] {
  const statements: PolicyStatement[] = [];
  if (blueprint.candidate.deniedActions.length > 0) {
    statements.push(new PolicyStatement({ sid: 'BlueprintDenied', effect: Effect.DENY, actions: blueprint.candidate.deniedActions, resources: ['*'] }));
  }
  const taggedServices = [...new Set([...BASELINE_SERVICES, ...blueprint.candidate.services])].filter((s) => s !== 'iam').sort();
  statements.push(
    new PolicyStatement({
      sid: 'ProtectSkillProofResources',
      effect: Effect.DENY,
      notActions: PROTECTED_RESOURCE_READS,
      resources: [...protectedResourcePatterns(), ...seededParameterArns],
    }),
    new PolicyStatement({
      sid: 'ProtectTaggedResources',
      effect: Effect.DENY,
      actions: taggedServices.flatMap((s) => [`${s}:Delete*`, `${s}:Put*`, `${s}:Update*`, `${s}:Untag*`]),
      resources: ['*'],
      conditions: { Null: { [`aws:ResourceTag/${ATTEMPT_TAG}`]: 'false' } },
    }),
    new PolicyStatement({
      sid: 'ReservedTagKeys',
      effect: Effect.DENY,
      actions: ['*'],
      resources: ['*'],
      conditions: { 'ForAnyValue:StringLike': { 'aws:TagKeys': [RESERVED_TAG_PATTERN] } },
    }),
    new PolicyStatement({
      sid: 'KeepBoundaries',
      effect: Effect.DENY,
      actions: ['iam:DeleteRolePermissionsBoundary', 'iam:DeleteUserPermissionsBoundary', 'iam:PutUserPermissionsBoundary'],
      resources: ['*'],
    }),
    ...regionLockStatements('RegionLock', Aws.REGION, Aws.ACCOUNT_ID).map((statement) => PolicyStatement.fromJson(statement)),
  );
  return statements;
}

/** Denies everything once the time limit has passed, even if the scheduled freeze never ran. */
export function expiryDeny(expiresAtIso: string): PolicyStatement {
  return new PolicyStatement({
    sid: 'Expired',
    effect: Effect.DENY,
    actions: ['*'],
    resources: ['*'],
    conditions: { DateGreaterThan: { 'aws:CurrentTime': expiresAtIso } },
  });
}

/**
 * The grader: the blueprint's reads, exactly its probes (on the resources the blueprint names for
 * them, every resource otherwise), and the sandbox stack's outputs.
 */
export function graderStatements(blueprint: Blueprint, attemptId: string): PolicyStatement[] {
  const statements = [
    new PolicyStatement({ sid: 'Reads', actions: blueprint.grader.reads, resources: ['*'] }),
    new PolicyStatement({ sid: 'SandboxOutputs', actions: ['cloudformation:DescribeStacks'], resources: [Aws.STACK_ID] }),
  ];
  const byResources = new Map<string, string[]>();
  for (const action of blueprint.grader.probes) {
    const resources = blueprint.grader.probeResources[action] ?? ['*'];
    const key = JSON.stringify(resources);
    byResources.set(key, [...(byResources.get(key) ?? []), action]);
  }
  let n = 0;
  for (const [key, actions] of byResources) {
    const resources = (JSON.parse(key) as string[]).map((r) => fillArnPattern(r, attemptId));
    statements.push(new PolicyStatement({ sid: n++ === 0 ? 'Probes' : `Probes${n}`, actions, resources }));
  }
  return statements;
}

/** Fills `{region}`, `{account}` and `{attempt}` in a blueprint ARN pattern. */
export function fillArnPattern(pattern: string, attemptId: string): string {
  return pattern.replace(/\{region\}/g, Aws.REGION).replace(/\{account\}/g, Aws.ACCOUNT_ID).replace(/\{attempt\}/g, attemptId);
}
