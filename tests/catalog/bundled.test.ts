import { readFileSync } from 'node:fs';
import { BUNDLED_CATALOG_FILE, renderBundledCatalog } from '../../src/catalog/bundle-catalog';
import { loadCatalog } from '../../src/catalog/load';
import { BUNDLED_ROOT, loadBundledCatalog, serviceCatalog } from '../../src/catalog/service-catalog';

describe('the bundled catalog (src/catalog/bundled.ts)', () => {
  it('is generated from the tasks and graders as they are now (run `npm run catalog:bundle` when this fails)', () => {
    expect(readFileSync(BUNDLED_CATALOG_FILE, 'utf8')).toBe(renderBundledCatalog());
  });

  it('holds the same tasks, graders, instructions and assessments as the repository', () => {
    const repo = loadCatalog();
    const bundled = loadBundledCatalog();
    expect(bundled.root).toBe(BUNDLED_ROOT);
    expect(bundled.ids()).toEqual(repo.ids());
    for (const id of repo.ids()) {
      const [a, b] = [repo.get(id), bundled.get(id)];
      expect(b.task).toEqual(a.task);
      expect(b.grader.checks.map((c) => c.id)).toEqual(a.grader.checks.map((c) => c.id));
      expect(b.instructions).toBe(a.instructions);
    }
    expect(bundled.assessments()).toEqual(repo.assessments());
  });

  it('is not what a checkout uses: the service reads tasks/ and graders/ when they are there', () => {
    expect(serviceCatalog()).toBe(loadCatalog());
  });
});
