import { z } from 'zod';

/** Stable identifiers: lower-case words joined by single hyphens. */
export const kebabId = z
  .string()
  .regex(/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/, 'must be kebab-case (lower-case words joined by hyphens), e.g. "serverless-orders-api"');

export const TRACKS = ['aws-serverless', 'aws-agentic-ai'] as const;
export type Track = (typeof TRACKS)[number];

/** An IAM action as written in a policy: `service:Action`, wildcards allowed. */
const iamAction = z
  .string()
  .regex(/^[a-z0-9-]+:[A-Za-z0-9*?]+$/, 'must be an IAM action such as "lambda:GetFunction" or "dynamodb:Describe*"');

const seedSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('ssm-parameter'),
    name: z.string().min(1),
    value: z.string(),
    description: z.string().optional(),
  }),
  z.strictObject({
    kind: z.literal('s3-object'),
    bucketLogicalId: kebabId,
    key: z.string().min(1),
    body: z.string(),
    contentType: z.string().optional(),
  }),
  z.strictObject({
    kind: z.literal('dynamodb-item'),
    tableLogicalId: kebabId,
    item: z.record(z.string(), z.unknown()),
    /** The table's partition key attribute (default: the item's first attribute); string or number. */
    partitionKey: z.string().min(1).optional(),
    /** The table's sort key attribute, if the table has one. */
    sortKey: z.string().min(1).optional(),
  }),
  /**
   * An Amazon Cognito user pool that issues machine tokens: named `skillproof-<attempt>-<logicalId>`, with a
   * hosted domain (its token endpoint), one resource server and app clients that have a secret and the
   * client-credentials grant. Graders read a client's secret and ask the pool for a token.
   */
  z.strictObject({
    kind: z.literal('cognito-user-pool'),
    logicalId: kebabId.max(30),
    resourceServer: z.strictObject({
      /** The resource server's identifier: scopes are `<identifier>/<scope>`. */
      identifier: z.string().regex(/^[\w.:/-]{1,256}$/),
      scopes: z.array(z.string().regex(/^[\w.-]{1,256}$/)).min(1),
    }),
    /** App clients by name, each granted some of the resource server's scopes (names without the identifier). */
    clients: z.array(z.strictObject({ name: z.string().regex(/^[\w\s+=,.@-]{1,128}$/), scopes: z.array(z.string().min(1)).min(1) })).min(1),
  }),
]);
export type SeedResource = z.infer<typeof seedSchema>;

export const blueprintSchema = z.strictObject({
  candidate: z.strictObject({
    /** IAM service prefixes the candidate may use (CloudFormation/CDK deploys are always allowed). */
    services: z.array(z.string().regex(/^[a-z0-9-]+$/, 'must be an IAM service prefix such as "lambda"')).min(1),
    /** Actions denied even though their service is allowed (e.g. "lambda:CreateFunctionUrlConfig"). */
    deniedActions: z.array(iamAction).default([]),
    /**
     * Actions the reference solution performs (e.g. "lambda:CreateFunction", "iam:PassRole"). The sandbox
     * tests prove, by offline IAM evaluation, that the candidate's role allows each one.
     */
    solutionActions: z.array(iamAction).default([]),
  }),
  grader: z.strictObject({
    /** Read-only IAM actions the grader's role needs. */
    reads: z.array(iamAction).min(1),
    /** Non-read actions the grader may perform as behavioural probes. */
    probes: z.array(iamAction).default([]),
    /**
     * Narrows probe actions to the resources they are for (ARN patterns; `{region}`, `{account}`
     * and `{attempt}` are filled in by the sandbox). A probe not listed here applies to every resource.
     */
    probeResources: z.record(iamAction, z.array(z.string().regex(/^arn:aws[\w-]*:[a-z0-9-]+:/, 'must be an ARN pattern such as "arn:aws:sqs:{region}:{account}:orders-queue"')).min(1)).default({}),
  }),
  seed: z.array(seedSchema).default([]),
  /**
   * Service quotas the sandbox account must have for a candidate to be able to pass (a new account's
   * Lambda concurrency of 10 makes reserved concurrency impossible). `skillproof sandbox deploy` reads
   * each one (Service Quotas) and refuses an account below the minimum, naming the quota.
   */
  accountQuotas: z
    .array(
      z.strictObject({
        /** Service Quotas service code, e.g. "lambda". */
        serviceCode: z.string().regex(/^[a-z0-9-]+$/, 'must be a Service Quotas service code such as "lambda"'),
        /** Service Quotas quota code, e.g. "L-B99A9384" (Lambda concurrent executions). */
        quotaCode: z.string().regex(/^L-[0-9A-F]{8}$/, 'must be a Service Quotas quota code such as "L-B99A9384"'),
        /** The quota's name as Service Quotas shows it, for messages. */
        name: z.string().min(3),
        minimum: z.number().positive(),
        /** Why the task needs it, for the operator who has to raise it. */
        why: z.string().min(10),
      }),
    )
    .optional(),
  /** Monthly budget for the sandbox, in USD; an alert fires at 80 %. */
  budgetUsd: z.number().positive().max(1000),
});
export type Blueprint = z.infer<typeof blueprintSchema>;
export type AccountQuota = NonNullable<Blueprint['accountQuotas']>[number];

export const passRuleSchema = z.strictObject({
  /** Fraction of scored points needed, 0..1. Critical checks must pass whatever the score. */
  passMark: z.number().min(0).max(1),
});
export type PassRule = z.infer<typeof passRuleSchema>;

export const taskSchema = z.strictObject({
  id: kebabId,
  title: z.string().min(3).max(120),
  track: z.enum(TRACKS),
  summary: z.string().min(10).max(400),
  timeLimitMinutes: z.number().int().min(10).max(24 * 60),
  /** Candidate instructions, relative to the task folder. */
  instructions: z.string().default('README.md'),
  blueprint: blueprintSchema,
  passRule: passRuleSchema,
});

export type TaskInput = z.input<typeof taskSchema>;
export type TaskDefinition = z.output<typeof taskSchema>;

/** Declares a task in `tasks/<task-id>/task.ts`. Validation happens when the catalog loads it. */
export function defineTask(task: TaskInput): TaskInput {
  return task;
}
