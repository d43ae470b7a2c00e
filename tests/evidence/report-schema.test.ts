import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../../src/catalog/load';
import { reportJsonSchema } from '../../src/model/report-schema';

describe('report schema', () => {
  it('the published JSON Schema matches the code (regenerate it if this fails)', () => {
    const onDisk = JSON.parse(readFileSync(join(REPO_ROOT, 'src/model/report.v1.schema.json'), 'utf8'));
    expect(onDisk).toEqual(JSON.parse(JSON.stringify(reportJsonSchema())));
  });
});
