import { Stack, Validations } from 'aws-cdk-lib';
import type { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IConstruct } from 'constructs';

/** Renders a resolved value the way cdk-nag names it in a finding id (`<Logical.Arn>`, `<AWS::Region>`). */
function render(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object') {
    const v = value as Record<string, unknown>;
    if ('Ref' in v) return `<${String(v.Ref)}>`;
    if ('Fn::GetAtt' in v) return `<${(v['Fn::GetAtt'] as string[]).join('.')}>`;
    if ('Fn::Join' in v) {
      const [separator, parts] = v['Fn::Join'] as [string, unknown[]];
      return parts.map(render).join(separator);
    }
  }
  return JSON.stringify(value);
}

/** The AwsSolutions-IAM5 finding ids (wildcard actions and resources) that these Allow statements raise. */
export function wildcardFindings(scope: IConstruct, statements: PolicyStatement[]): string[] {
  const stack = Stack.of(scope);
  const findings = new Set<string>();
  for (const statement of statements) {
    const json = stack.resolve(statement.toStatementJson()) as { Effect: string; Action?: unknown; Resource?: unknown };
    if (json.Effect !== 'Allow') continue;
    for (const action of [json.Action ?? []].flat()) if (String(action).includes('*')) findings.add(`AwsSolutions-IAM5[Action::${String(action)}]`);
    for (const resource of [json.Resource ?? []].flat()) {
      const rendered = render(resource);
      if (rendered.includes('*')) findings.add(`AwsSolutions-IAM5[Resource::${rendered}]`);
    }
  }
  return [...findings].sort();
}

/** Acknowledges cdk-nag findings on a construct, each with the same reason. */
export function acknowledge(scope: IConstruct, reason: string, ids: string[]): void {
  Validations.of(scope).acknowledge(...ids.map((id) => ({ id, reason })));
}
