import { Aws, BootstraplessSynthesizer, CfnOutput, CfnParameter, Duration, Stack, Tags, type StackProps } from 'aws-cdk-lib';
import { CfnBudget, CfnBudgetsAction } from 'aws-cdk-lib/aws-budgets';
import {
  AccountRootPrincipal,
  ArnPrincipal,
  Effect,
  ManagedPolicy,
  PolicyDocument,
  PolicyStatement,
  Role,
  ServicePrincipal,
} from 'aws-cdk-lib/aws-iam';
import { CfnSchedule } from 'aws-cdk-lib/aws-scheduler';
import { Topic } from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import type { Blueprint } from '../../src/model/task';
import { mergeBlueprints, type SandboxPart } from './blueprint-merge';
import { acknowledge, wildcardFindings } from './nag-findings';
import {
  ATTEMPT_TAG,
  CANDIDATE_IAM_PATH,
  FREEZE_AT_PARAMETER,
  FREEZE_AT_PATTERN,
  MIN_ROLE_SESSION_SECONDS,
  SKILLPROOF_IAM_PATH,
  maxSessionSeconds,
  sandboxNames,
} from './sandbox-naming';
import { SANDBOX_OUTPUT_FIELDS, outputDescription, outputKey, type SandboxOutputField } from './sandbox-outputs';
import { boundaryDenies, candidateGrants, expiryDeny, graderStatements } from './sandbox-policies';
import { SandboxSeeds } from './sandbox-seeds';

/** Budget alert threshold, in percent of the budget. */
export const BUDGET_ALERT_PERCENT = 80;
/** At this percentage of the budget AWS Budgets freezes the candidate role. */
export const BUDGET_FREEZE_PERCENT = 100;
/**
 * Days the budget keeps counting after the time limit. What the candidate built keeps running after the
 * freeze (the final grading run needs it) until the pool reclaims and cleans the account, and the alert
 * should see what it costs meanwhile. A sandbox standing this long after its freeze is an operations
 * failure in its own right; AWS deletes a budget after its End.
 */
export const BUDGET_TAIL_DAYS = 14;

/**
 * The budget's period: from the lease's start to the time limit plus BUDGET_TAIL_DAYS, as the epoch
 * seconds AWS::Budgets::Budget's TimePeriod takes (its Start and End are strings; the CloudFormation
 * reference's example gives `"Start": "1225864800"`).
 */
export function leaseBudgetPeriod(leaseStart: Date, timeLimitMinutes: number): { start: string; end: string } {
  const start = Math.floor(leaseStart.getTime() / 1000);
  if (!Number.isFinite(start)) throw new Error('leaseStart is not a valid date');
  return { start: String(start), end: String(start + Math.ceil(timeLimitMinutes * 60) + BUDGET_TAIL_DAYS * 86_400) };
}

const EXTERNAL_ID = /^[\w+=,.@:/-]{2,1224}$/;

export interface TaskSandboxStackProps extends Omit<StackProps, 'synthesizer'> {
  attemptId: string;
  /** The tasks the sandbox hosts (one task, or every task of an assessment); their blueprints are merged. */
  tasks: readonly SandboxPart[];
  /** The `sts:ExternalId` the grading principal must present to assume GraderRole. */
  externalId: string;
  /** Principal allowed to assume GraderRole (the grading service). Default: this account. */
  graderPrincipalArn?: string;
  /** Principal allowed to assume CandidateRole (the hub that hands out access). Default: this account. */
  candidatePrincipalArn?: string;
  /** Minutes the candidate has; sets CandidateRole's maximum session (clamped to 1-12 h). */
  timeLimitMinutes: number;
  /** Budget in USD for the lease. Default: the sum of the tasks' budgets. */
  budgetUsd?: number;
  /**
   * When the lease starts (the deploy time): the budget counts cost from here, across month ends, for the
   * lease alone. Default: when the stack is synthesised, which `sandbox deploy` does just before CreateStack.
   */
  leaseStart?: Date;
  /** Addresses that receive the budget alert besides the stack's SNS topic. */
  budgetAlertEmails?: string[];
}

function principal(arn: string | undefined): ArnPrincipal {
  return arn === undefined ? new AccountRootPrincipal() : new ArnPrincipal(arn);
}

/**
 * One attempt's sandbox: what the candidate may do (CandidateRole within CandidateBoundary), what the grader
 * may do (GraderRole), the seeded resources, a budget and an expiry that freezes the candidate. Asset-free
 * (inline code only, no bootstrap resources): one CloudFormation CreateStack call deploys it.
 */
export class TaskSandboxStack extends Stack {
  readonly blueprint: Blueprint;
  readonly candidateRole: Role;
  readonly graderRole: Role;
  readonly candidateBoundary: ManagedPolicy;
  readonly freezePolicy: ManagedPolicy;

  constructor(scope: Construct, id: string, props: TaskSandboxStackProps) {
    const { attemptId, tasks, externalId, graderPrincipalArn, candidatePrincipalArn, timeLimitMinutes, budgetUsd, leaseStart, budgetAlertEmails, ...stackProps } = props;
    const names = sandboxNames(attemptId);
    super(scope, id, {
      stackName: names.stack,
      description: `SkillProof sandbox for attempt ${attemptId} (${tasks.map((t) => t.id).join(', ')})`,
      analyticsReporting: false,
      ...stackProps,
      synthesizer: new BootstraplessSynthesizer(),
    });
    if (!EXTERNAL_ID.test(externalId)) {
      throw new Error('externalId must be 2-1224 characters from letters, digits and +=,.@:/-_ (what sts:ExternalId accepts)');
    }
    if (!(timeLimitMinutes > 0)) throw new Error(`timeLimitMinutes must be positive (got ${timeLimitMinutes})`);
    const budgetPeriod = leaseBudgetPeriod(leaseStart ?? new Date(), timeLimitMinutes);
    const blueprint = mergeBlueprints(tasks);
    this.blueprint = blueprint;

    const freezeAt = new CfnParameter(this, FREEZE_AT_PARAMETER, {
      type: 'String',
      allowedPattern: FREEZE_AT_PATTERN,
      description: 'When the candidate role is frozen, UTC, yyyy-mm-ddThh:mm:ss (sandbox deploy sets it to now + the time limit)',
    });
    const expiresAtIso = `${freezeAt.valueAsString}Z`;

    const seeds = new SandboxSeeds(this, 'Seeds', { attemptId, seeds: blueprint.seed });

    // Built from its name rather than referenced: the boundary's own statements must name it.
    const boundaryArn = `arn:${Aws.PARTITION}:iam::${Aws.ACCOUNT_ID}:policy${SKILLPROOF_IAM_PATH}${names.candidateBoundary}`;
    const grants = candidateGrants(blueprint, boundaryArn);
    this.candidateBoundary = new ManagedPolicy(this, 'CandidateBoundary', {
      managedPolicyName: names.candidateBoundary,
      path: SKILLPROOF_IAM_PATH,
      description: 'Ceiling for the candidate role and every role the candidate creates',
      statements: [...grants, ...boundaryDenies(blueprint, seeds.parameterArns)],
    });

    this.freezePolicy = new ManagedPolicy(this, 'FreezePolicy', {
      managedPolicyName: names.freezePolicy,
      path: SKILLPROOF_IAM_PATH,
      description: 'Attached to the candidate role when the attempt is submitted or expires',
      statements: [new PolicyStatement({ sid: 'Frozen', effect: Effect.DENY, actions: ['*'], resources: ['*'] })],
    });

    this.candidateRole = new Role(this, 'CandidateRole', {
      roleName: names.candidateRole,
      path: SKILLPROOF_IAM_PATH,
      description: `Candidate access for attempt ${attemptId}`,
      assumedBy: principal(candidatePrincipalArn),
      permissionsBoundary: this.candidateBoundary,
      maxSessionDuration: Duration.seconds(maxSessionSeconds(timeLimitMinutes)),
      inlinePolicies: {
        access: new PolicyDocument({ statements: [...grants, expiryDeny(expiresAtIso)] }),
      },
    });

    for (const scope of [this.candidateRole, this.candidateBoundary]) {
      acknowledge(
        scope,
        "The candidate builds their own resources and names them: they get the blueprint's whole services, confined by CandidateBoundary's denies (SkillProof's resources, other regions, roles without the boundary).",
        wildcardFindings(this, grants),
      );
    }

    const grading = graderStatements(blueprint, attemptId);
    this.graderRole = new Role(this, 'GraderRole', {
      roleName: names.graderRole,
      path: SKILLPROOF_IAM_PATH,
      description: `Grader access for attempt ${attemptId}: reads and declared probes`,
      assumedBy: principal(graderPrincipalArn).withConditions({ StringEquals: { 'sts:ExternalId': externalId } }),
      maxSessionDuration: Duration.seconds(MIN_ROLE_SESSION_SECONDS),
      inlinePolicies: { grading: new PolicyDocument({ statements: grading }) },
    });
    acknowledge(
      this.graderRole,
      "The grader inspects the candidate's resources, whose names are not known in advance, with the blueprint's read actions and declared probes only.",
      wildcardFindings(this, grading),
    );

    this.addExpiry(names, freezeAt.valueAsString);
    const budgetName = this.addBudget(names, budgetUsd ?? blueprint.budgetUsd, budgetPeriod, budgetAlertEmails ?? []);

    const outputs: Record<SandboxOutputField, string> = {
      attemptId,
      region: Aws.REGION,
      candidateRoleArn: this.candidateRole.roleArn,
      candidateRoleName: this.candidateRole.roleName,
      candidatePrincipalArn: principalArn(candidatePrincipalArn),
      candidateBoundaryArn: this.candidateBoundary.managedPolicyArn,
      candidateRolePath: CANDIDATE_IAM_PATH,
      graderRoleArn: this.graderRole.roleArn,
      freezePolicyArn: this.freezePolicy.managedPolicyArn,
      expiresAt: expiresAtIso,
      maxSessionSeconds: String(maxSessionSeconds(timeLimitMinutes)),
      budgetName,
      seeds: this.toJsonString({ parameters: seeds.parameterNames, buckets: seeds.bucketNames, tables: seeds.tableNames, userPools: seeds.userPoolIds }),
    };
    for (const field of SANDBOX_OUTPUT_FIELDS) {
      const output = new CfnOutput(this, `Output${outputKey(field)}`, { value: outputs[field], description: outputDescription(field) });
      output.overrideLogicalId(outputKey(field));
    }

    Tags.of(this).add(ATTEMPT_TAG, attemptId);
  }

  /** A one-time EventBridge Scheduler schedule that attaches the freeze policy at FreezeAt (no code). */
  private addExpiry(names: ReturnType<typeof sandboxNames>, freezeAt: string): void {
    const role = new Role(this, 'ExpiryRole', {
      roleName: names.expiryRole,
      path: SKILLPROOF_IAM_PATH,
      description: 'Lets EventBridge Scheduler attach the freeze policy to the candidate role, and nothing else',
      assumedBy: new ServicePrincipal('scheduler.amazonaws.com').withConditions({ StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } }),
      inlinePolicies: { freeze: this.freezeOnlyPolicy() },
    });
    new CfnSchedule(this, 'ExpirySchedule', {
      name: names.expirySchedule,
      description: 'Freezes the candidate role when the time limit ends',
      scheduleExpression: `at(${freezeAt})`,
      scheduleExpressionTimezone: 'UTC',
      flexibleTimeWindow: { mode: 'OFF' },
      target: {
        arn: `arn:${Aws.PARTITION}:scheduler:::aws-sdk:iam:attachRolePolicy`,
        roleArn: role.roleArn,
        input: this.toJsonString({ RoleName: this.candidateRole.roleName, PolicyArn: this.freezePolicy.managedPolicyArn }),
        retryPolicy: { maximumRetryAttempts: 20, maximumEventAgeInSeconds: 3600 },
      },
    });
  }

  /**
   * The lease's budget: an alert at 80 %, and at 100 % AWS Budgets itself applies the freeze policy.
   *
   * TimeUnit CUSTOM makes the whole TimePeriod one budget period: Budget.TimeUnit is "the length of time
   * until a budget resets the actual and forecasted spend" (DAILY | MONTHLY | QUARTERLY | ANNUALLY | CUSTOM,
   * Budgets API reference and the SDK model), so a MONTHLY budget resets at the calendar month (a lease
   * from 31 January to 1 February would get two fresh allowances) and counts the month's spend before the
   * lease; a custom period from the lease start neither resets nor inherits. The budget covers the whole
   * account, which holds one lease at a time. Budgets data lags actual spend by hours (AWS updates budgets
   * several times a day), so the expiry schedule, not the budget, is the hard bound on time and the budget
   * is a backstop on money.
   */
  private addBudget(names: ReturnType<typeof sandboxNames>, budgetUsd: number, period: { start: string; end: string }, emails: string[]): string {
    const topic = new Topic(this, 'BudgetTopic', { topicName: names.budgetTopic, enforceSSL: true });
    topic.addToResourcePolicy(
      new PolicyStatement({
        sid: 'BudgetsPublish',
        principals: [new ServicePrincipal('budgets.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [topic.topicArn],
        conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } },
      }),
    );
    const subscribers = [{ subscriptionType: 'SNS', address: topic.topicArn }, ...emails.map((address) => ({ subscriptionType: 'EMAIL', address }))];
    const budget = new CfnBudget(this, 'Budget', {
      budget: {
        budgetName: names.budget,
        budgetType: 'COST',
        timeUnit: 'CUSTOM',
        timePeriod: period,
        budgetLimit: { amount: budgetUsd, unit: 'USD' },
      },
      notificationsWithSubscribers: [
        {
          notification: { notificationType: 'ACTUAL', comparisonOperator: 'GREATER_THAN', threshold: BUDGET_ALERT_PERCENT, thresholdType: 'PERCENTAGE' },
          subscribers,
        },
      ],
    });
    budget.node.addDependency(topic);

    const actionRole = new Role(this, 'BudgetActionRole', {
      roleName: names.budgetActionRole,
      path: SKILLPROOF_IAM_PATH,
      description: 'Lets AWS Budgets attach the freeze policy to the candidate role, and nothing else',
      assumedBy: new ServicePrincipal('budgets.amazonaws.com').withConditions({ StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } }),
      inlinePolicies: { freeze: this.freezeOnlyPolicy() },
    });
    const action = new CfnBudgetsAction(this, 'BudgetFreeze', {
      budgetName: names.budget,
      actionType: 'APPLY_IAM_POLICY',
      actionThreshold: { type: 'PERCENTAGE', value: BUDGET_FREEZE_PERCENT },
      approvalModel: 'AUTOMATIC',
      notificationType: 'ACTUAL',
      executionRoleArn: actionRole.roleArn,
      definition: { iamActionDefinition: { policyArn: this.freezePolicy.managedPolicyArn, roles: [this.candidateRole.roleName] } },
      subscribers: [{ type: 'SNS', address: topic.topicArn }],
    });
    action.node.addDependency(budget);
    return names.budget;
  }

  private freezeOnlyPolicy(): PolicyDocument {
    return new PolicyDocument({
      statements: [
        new PolicyStatement({
          actions: ['iam:AttachRolePolicy'],
          resources: [this.candidateRole.roleArn],
          conditions: { ArnEquals: { 'iam:PolicyARN': this.freezePolicy.managedPolicyArn } },
        }),
      ],
    });
  }


}

function principalArn(arn: string | undefined): string {
  return arn ?? `arn:${Aws.PARTITION}:iam::${Aws.ACCOUNT_ID}:root`;
}
