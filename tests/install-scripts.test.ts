import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../src/catalog/load';

/**
 * npm 11 warns on every install about dependencies whose install scripts package.json's
 * `allowScripts` does not decide on, and a later npm blocks them. Every package the lockfile marks
 * `hasInstallScript` must be approved (true) or denied (false) by name.
 */
describe('package.json allowScripts', () => {
  const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { allowScripts?: Record<string, boolean> };
  const lock = JSON.parse(readFileSync(join(REPO_ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { hasInstallScript?: boolean }> };
  const withScripts = [...new Set(Object.entries(lock.packages).filter(([path, p]) => path && p.hasInstallScript).map(([path]) => path.replace(/^.*node_modules\//, '')))].sort();

  it('decides on every dependency with an install script', () => {
    expect(withScripts.length).toBeGreaterThan(0);
    const allow = pkg.allowScripts ?? {};
    const names = Object.keys(allow).map((k) => k.replace(/(?<=.)@.*$/, ''));
    expect(withScripts.filter((name) => !names.includes(name))).toEqual([]);
  });

  it('runs the scripts the project needs: esbuild (tsx), @swc/core (jest) and better-sqlite3 (the store)', () => {
    expect(pkg.allowScripts).toMatchObject({ esbuild: true, '@swc/core': true, 'better-sqlite3': true });
  });
});
