import { z } from 'zod';

/**
 * The outputs of a sandbox stack: the stack writes one CloudFormation output per field (key = the field
 * name in PascalCase) and graders and the CLI parse them back with this schema, so the two sides cannot
 * drift. Each field's description becomes the output's description.
 */

const arn = z.string().regex(/^arn:[a-z-]+:[a-z0-9-]+:[a-z0-9-]*:\d{12}:.+$/, 'must be an ARN');

const jsonText = z.string().transform((text, ctx) => {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    ctx.addIssue({ code: 'custom', message: 'must be JSON' });
    return z.NEVER;
  }
});

/** Physical names of the seeded resources, keyed by what the blueprint calls them. */
export const seedOutputsSchema = z.strictObject({
  /** SSM parameter name → ARN. */
  parameters: z.record(z.string(), z.string()),
  /** Blueprint `bucketLogicalId` → bucket name. */
  buckets: z.record(z.string(), z.string()),
  /** Blueprint `tableLogicalId` → table name. */
  tables: z.record(z.string(), z.string()),
  /** Blueprint `logicalId` of a seeded Cognito user pool → pool id (absent from stacks of older versions). */
  userPools: z.record(z.string(), z.string()).default({}),
});
export type SeedOutputs = z.output<typeof seedOutputsSchema>;

export const sandboxOutputsSchema = z.strictObject({
  attemptId: z.string().min(1).describe('The attempt this sandbox belongs to'),
  region: z.string().min(1).describe('The only region the candidate may act in'),
  candidateRoleArn: arn.describe("The candidate's role (assumed by the hub that hands out access)"),
  candidateRoleName: z.string().min(1).describe("The candidate's role name"),
  candidatePrincipalArn: z.string().min(1).describe('The principal trusted to assume the candidate role'),
  candidateBoundaryArn: arn.describe('Permissions boundary every role the candidate creates must carry'),
  candidateRolePath: z.string().startsWith('/').endsWith('/').describe('IAM path the candidate must give the roles they create'),
  graderRoleArn: arn.describe("The grader's role (trusted by the grading principal with sts:ExternalId)"),
  freezePolicyArn: arn.describe('Deny-all policy attached to the candidate role on expiry or submit'),
  expiresAt: z.iso.datetime().describe('When the candidate role is frozen (UTC)'),
  maxSessionSeconds: z.coerce.number().int().min(3600).max(43200).describe("The candidate role's MaxSessionDuration"),
  budgetName: z.string().min(1).describe('The AWS Budgets budget watching the sandbox account'),
  seeds: jsonText.pipe(seedOutputsSchema).describe('JSON: physical names of the seeded resources'),
});
export type SandboxOutputs = z.output<typeof sandboxOutputsSchema>;
export type SandboxOutputField = keyof SandboxOutputs;

export const SANDBOX_OUTPUT_FIELDS = Object.keys(sandboxOutputsSchema.shape) as SandboxOutputField[];

/** The CloudFormation output key of a field: `candidateRoleArn` → `CandidateRoleArn`. */
export function outputKey(field: SandboxOutputField): string {
  return field.charAt(0).toUpperCase() + field.slice(1);
}

export function outputDescription(field: SandboxOutputField): string {
  return sandboxOutputsSchema.shape[field].description ?? field;
}

export interface StackOutput {
  OutputKey?: string;
  OutputValue?: string;
}

/**
 * Parses a stack's outputs (as DescribeStacks returns them). Throws an error naming the stack and every
 * missing or malformed output, so a stack from an older SkillProof version is diagnosed, not misread.
 */
export function parseSandboxOutputs(outputs: readonly StackOutput[], stackName: string): SandboxOutputs {
  const byKey = new Map(outputs.map((o) => [o.OutputKey, o.OutputValue]));
  const raw = Object.fromEntries(SANDBOX_OUTPUT_FIELDS.map((field) => [field, byKey.get(outputKey(field))]));
  const parsed = sandboxOutputsSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const field = issue.path[0] as SandboxOutputField | undefined;
      if (!field) return `outputs: ${issue.message}`;
      return `output ${outputKey(field)}: ${raw[field] === undefined ? 'missing' : issue.message}`;
    });
    throw new Error(`stack ${stackName} does not have the outputs of a SkillProof sandbox (${problems.join('; ')}); was it deployed by this version of SkillProof?`);
  }
  return parsed.data;
}
