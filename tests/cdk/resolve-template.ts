/**
 * Resolves a synthesised template's intrinsic functions to plain values, as CloudFormation would in a
 * given account and region, so its policies can be fed to an offline IAM evaluator. Physical names are
 * those the template sets, or CloudFormation-style generated ones.
 */

export interface Deployment {
  accountId: string;
  region: string;
  stackName: string;
  parameters: Record<string, string>;
}

interface Resource {
  Type: string;
  Properties?: Record<string, unknown>;
}

export interface CfnTemplate {
  Parameters?: Record<string, unknown>;
  Resources: Record<string, Resource>;
  Outputs?: Record<string, { Value: unknown }>;
  Rules?: unknown;
}

export class ResolvedTemplate {
  readonly partition = 'aws';

  constructor(
    readonly template: CfnTemplate,
    readonly deployment: Deployment,
  ) {}

  get stackId(): string {
    const { region, accountId, stackName } = this.deployment;
    return `arn:aws:cloudformation:${region}:${accountId}:stack/${stackName}/0a1b2c3d-1111-2222-3333-444455556666`;
  }

  resource(logicalId: string): Resource {
    const resource = this.template.Resources[logicalId];
    if (!resource) throw new Error(`no resource ${logicalId}`);
    return resource;
  }

  /** The one resource of a type whose logical id starts with `prefix`. */
  find(type: string, prefix = ''): { logicalId: string; resource: Resource } {
    const found = Object.entries(this.template.Resources).filter(([id, r]) => r.Type === type && id.startsWith(prefix));
    if (found.length !== 1) throw new Error(`expected one ${type} starting ${prefix}, found ${found.length}`);
    const [logicalId, resource] = found[0]!;
    return { logicalId, resource };
  }

  private prop(logicalId: string, name: string): string | undefined {
    const value = this.resource(logicalId).Properties?.[name];
    return value === undefined ? undefined : String(this.resolve(value));
  }

  private generatedName(logicalId: string): string {
    return `${this.deployment.stackName}-${logicalId}-a1b2c3`.toLowerCase();
  }

  ref(logicalId: string): string {
    const pseudo: Record<string, string> = {
      'AWS::AccountId': this.deployment.accountId,
      'AWS::Region': this.deployment.region,
      'AWS::Partition': this.partition,
      'AWS::URLSuffix': 'amazonaws.com',
      'AWS::StackName': this.deployment.stackName,
      'AWS::StackId': this.stackId,
    };
    if (pseudo[logicalId] !== undefined) return pseudo[logicalId];
    if (this.template.Parameters?.[logicalId] !== undefined) {
      const value = this.deployment.parameters[logicalId];
      if (value === undefined) throw new Error(`no value for parameter ${logicalId}`);
      return value;
    }
    const { Type } = this.resource(logicalId);
    switch (Type) {
      case 'AWS::IAM::Role':
        return this.prop(logicalId, 'RoleName') ?? this.generatedName(logicalId);
      case 'AWS::IAM::ManagedPolicy':
      case 'AWS::SNS::Topic':
        return this.arn(logicalId);
      case 'AWS::SSM::Parameter':
        return this.prop(logicalId, 'Name') ?? this.generatedName(logicalId);
      case 'AWS::DynamoDB::Table':
        return this.prop(logicalId, 'TableName') ?? this.generatedName(logicalId);
      case 'AWS::Lambda::Function':
        return this.prop(logicalId, 'FunctionName') ?? this.generatedName(logicalId);
      case 'AWS::Logs::LogGroup':
        return this.prop(logicalId, 'LogGroupName') ?? this.generatedName(logicalId);
      default:
        return this.generatedName(logicalId);
    }
  }

  arn(logicalId: string): string {
    const { accountId: a, region: r } = this.deployment;
    const { Type } = this.resource(logicalId);
    switch (Type) {
      case 'AWS::IAM::Role':
        return `arn:aws:iam::${a}:role${this.prop(logicalId, 'Path') ?? '/'}${this.ref(logicalId)}`;
      case 'AWS::IAM::ManagedPolicy':
        return `arn:aws:iam::${a}:policy${this.prop(logicalId, 'Path') ?? '/'}${this.prop(logicalId, 'ManagedPolicyName') ?? this.generatedName(logicalId)}`;
      case 'AWS::SNS::Topic':
        return `arn:aws:sns:${r}:${a}:${this.prop(logicalId, 'TopicName') ?? this.generatedName(logicalId)}`;
      case 'AWS::S3::Bucket':
        return `arn:aws:s3:::${this.ref(logicalId)}`;
      case 'AWS::DynamoDB::Table':
        return `arn:aws:dynamodb:${r}:${a}:table/${this.ref(logicalId)}`;
      case 'AWS::Lambda::Function':
        return `arn:aws:lambda:${r}:${a}:function:${this.ref(logicalId)}`;
      case 'AWS::Logs::LogGroup':
        return `arn:aws:logs:${r}:${a}:log-group:${this.ref(logicalId)}:*`;
      default:
        throw new Error(`no ARN rule for ${Type}`);
    }
  }

  resolve(value: unknown): unknown {
    if (Array.isArray(value)) return value.map((v) => this.resolve(v));
    if (value === null || typeof value !== 'object') return value;
    const v = value as Record<string, unknown>;
    const keys = Object.keys(v);
    if (keys.length === 1) {
      const [key] = keys as [string];
      const arg = v[key];
      switch (key) {
        case 'Ref':
          return this.ref(arg as string);
        case 'Fn::GetAtt': {
          const [id, attribute] = arg as [string, string];
          if (attribute === 'Arn') return this.arn(id);
          if (attribute === 'RoleId') return `AROA${id.toUpperCase().slice(0, 16)}`;
          throw new Error(`no rule for Fn::GetAtt ${id}.${attribute}`);
        }
        case 'Fn::Join': {
          const [separator, parts] = arg as [string, unknown[]];
          return (this.resolve(parts) as unknown[]).join(separator);
        }
        case 'Fn::Select': {
          const [index, list] = arg as [number, unknown];
          return (this.resolve(list) as unknown[])[index];
        }
        case 'Fn::Split': {
          const [separator, text] = arg as [string, unknown];
          return String(this.resolve(text)).split(separator);
        }
        case 'Fn::Sub': {
          const [text, vars] = typeof arg === 'string' ? [arg, {}] : (arg as [string, Record<string, unknown>]);
          return text.replace(/\$\{([^}]+)\}/g, (_m, name: string) => {
            if (name in vars) return String(this.resolve(vars[name]));
            const [id, attribute] = name.split('.');
            return attribute ? String(this.resolve({ 'Fn::GetAtt': [id, attribute] })) : this.ref(name);
          });
        }
      }
    }
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, this.resolve(x)]));
  }
}
