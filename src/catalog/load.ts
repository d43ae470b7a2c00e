import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import type { z } from 'zod';
import { assessmentSchema, type AssessmentDefinition } from '../model/assessment';
import { graderSchema, type LoadedGrader } from '../model/grader';
import { taskSchema, type TaskDefinition } from '../model/task';
import { matchesIamPattern } from './iam-pattern';

/** The repository root: tasks/ and graders/ live here. */
export const REPO_ROOT = resolve(__dirname, '..', '..');

export interface CatalogEntry {
  task: TaskDefinition;
  grader: LoadedGrader;
  taskDir: string;
  graderFile: string;
  /** The candidate's instructions (Markdown). */
  instructions: string;
}

/** A task or grader file that cannot be used, with the file and field to fix. */
export class DefinitionError extends Error {
  constructor(
    readonly file: string,
    readonly field: string | undefined,
    detail: string,
  ) {
    super(`${file}${field ? `: field ${field}` : ''}: ${detail}`);
    this.name = 'DefinitionError';
  }
}

export class Catalog {
  constructor(
    readonly root: string,
    private readonly entries: Map<string, CatalogEntry>,
    private readonly assessmentMap: Map<string, AssessmentDefinition> = new Map(),
  ) {}

  assessments(): AssessmentDefinition[] {
    return [...this.assessmentMap.keys()].sort().map((id) => this.assessmentMap.get(id)!);
  }

  assessment(id: string): AssessmentDefinition {
    const a = this.assessmentMap.get(id);
    if (!a) throw new DefinitionError(join('tasks', 'assessments', `${id}.ts`), undefined, `no assessment "${id}"; known assessments: ${[...this.assessmentMap.keys()].sort().join(', ') || '(none)'}`);
    return a;
  }

  /** An assessment id or a task id (practice) names what an attempt is for. */
  has(id: string): 'assessment' | 'task' | undefined {
    return this.assessmentMap.has(id) ? 'assessment' : this.entries.has(id) ? 'task' : undefined;
  }

  ids(): string[] {
    return [...this.entries.keys()].sort();
  }

  all(): CatalogEntry[] {
    return this.ids().map((id) => this.entries.get(id)!);
  }

  get(id: string): CatalogEntry {
    const entry = this.entries.get(id);
    if (!entry) {
      throw new DefinitionError(relative(process.cwd(), join(this.root, 'tasks', id)) || id, undefined, `no task "${id}"; known tasks: ${this.ids().join(', ') || '(none)'}`);
    }
    return entry;
  }
}

const cache = new Map<string, Catalog>();

/** Loads and validates every task in `<root>/tasks/*` with its grader. Throws on the first bad file. */
export function loadCatalog(root: string = REPO_ROOT): Catalog {
  const cached = cache.get(root);
  if (cached) return cached;
  const entries = new Map<string, CatalogEntry>();
  const tasksDir = join(root, 'tasks');
  const ids = existsSync(tasksDir)
    ? readdirSync(tasksDir, { withFileTypes: true })
        .filter((d) => d.isDirectory() && existsSync(join(tasksDir, d.name, 'task.ts')))
        .map((d) => d.name)
        .sort()
    : [];
  for (const id of ids) entries.set(id, loadEntry(root, id));
  const catalog = new Catalog(root, entries, loadAssessments(root, entries));
  cache.set(root, catalog);
  return catalog;
}

export function loadEntry(root: string, folder: string): CatalogEntry {
  const taskDir = join(root, 'tasks', folder);
  const taskFile = join(taskDir, 'task.ts');
  const rel = (p: string) => relative(root, p);
  const task = validateTask(importDefault(taskFile, rel(taskFile)), folder, rel(taskFile));
  const instructionsFile = join(taskDir, task.instructions);
  if (!existsSync(instructionsFile)) throw new DefinitionError(rel(taskFile), 'instructions', `${rel(instructionsFile)} does not exist`);

  const graderFile = join(root, 'graders', task.track, `${task.id}.ts`);
  if (!existsSync(graderFile)) throw new DefinitionError(rel(taskFile), 'track', `expects its grader at ${rel(graderFile)}, which does not exist`);
  const grader = validateGrader(importDefault(graderFile, rel(graderFile)), task, rel(graderFile));
  return { task, grader, taskDir, graderFile, instructions: readFileSync(instructionsFile, 'utf8') };
}

/**
 * Tasks, graders and assessments already imported (the generated src/catalog/bundled.ts, which a
 * Lambda bundle carries), with each task's instructions as text. Paths are relative to `tasks/` and
 * `graders/` as in the repository; the values are checked exactly as `loadCatalog` checks files.
 */
export interface CatalogModules {
  tasks: ReadonlyArray<{ folder: string; task: unknown; grader: unknown; graderFile: string; instructionsFile: string; instructions: string }>;
  assessments: ReadonlyArray<{ file: string; assessment: unknown }>;
}

/** A catalog from imported modules; `root` only names where they came from (error messages, `taskDir`). */
export function catalogFromModules(root: string, modules: CatalogModules): Catalog {
  const entries = new Map<string, CatalogEntry>();
  for (const m of [...modules.tasks].sort((a, b) => a.folder.localeCompare(b.folder))) {
    const taskFile = join('tasks', m.folder, 'task.ts');
    const task = validateTask(m.task, m.folder, taskFile);
    if (task.instructions !== m.instructionsFile) {
      throw new DefinitionError(taskFile, 'instructions', `names ${task.instructions}, but the bundled catalog carries ${m.instructionsFile}; regenerate it (npm run catalog:bundle)`);
    }
    const graderFile = join('graders', task.track, `${task.id}.ts`);
    if (m.graderFile !== graderFile) throw new DefinitionError(taskFile, 'track', `expects its grader at ${graderFile}, but the bundled catalog has ${m.graderFile}`);
    const grader = validateGrader(m.grader, task, graderFile);
    entries.set(task.id, { task, grader, taskDir: join(root, 'tasks', m.folder), graderFile: join(root, graderFile), instructions: m.instructions });
  }
  const assessments = new Map<string, AssessmentDefinition>();
  for (const m of [...modules.assessments].sort((a, b) => a.file.localeCompare(b.file))) {
    const a = validateAssessment(m.assessment, m.file, join('tasks', 'assessments', m.file), entries);
    assessments.set(a.id, a);
  }
  return new Catalog(root, entries, assessments);
}

function validateTask(value: unknown, folder: string, rel: string): TaskDefinition {
  const task = validate(taskSchema, value, rel);
  if (task.id !== folder) throw new DefinitionError(rel, 'id', `is "${task.id}" but the folder is "${folder}"; they must be equal`);
  for (const action of Object.keys(task.blueprint.grader.probeResources)) {
    if (!task.blueprint.grader.probes.includes(action)) throw new DefinitionError(rel, `blueprint.grader.probeResources.${action}`, `"${action}" is not one of blueprint.grader.probes`);
  }
  return task;
}

function validateGrader(value: unknown, task: TaskDefinition, rel: string): LoadedGrader {
  const grader = validate(graderSchema, value, rel) as LoadedGrader;
  checkGraderAgainstTask(grader, task, rel);
  return grader;
}

/** Loads `tasks/assessments/*.ts`: each names tasks of its own track that exist. */
export function loadAssessments(root: string, entries: Map<string, CatalogEntry>): Map<string, AssessmentDefinition> {
  const dir = join(root, 'tasks', 'assessments');
  const out = new Map<string, AssessmentDefinition>();
  if (!existsSync(dir)) return out;
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.ts')).sort()) {
    const path = join(dir, file);
    const rel = relative(root, path);
    const a = validateAssessment(importDefault(path, rel), file, rel, entries);
    out.set(a.id, a);
  }
  return out;
}

function validateAssessment(value: unknown, file: string, rel: string, entries: Map<string, CatalogEntry>): AssessmentDefinition {
  const a = validate(assessmentSchema, value, rel);
  if (`${a.id}.ts` !== file) throw new DefinitionError(rel, 'id', `is "${a.id}" but the file is ${file}; name the file <id>.ts`);
  a.tasks.forEach((t, i) => {
    const entry = entries.get(t);
    if (!entry) throw new DefinitionError(rel, `tasks.${i}`, `"${t}" is not a task (tasks: ${[...entries.keys()].join(', ')})`);
    if (entry.task.track !== a.track) throw new DefinitionError(rel, `tasks.${i}`, `"${t}" belongs to track ${entry.task.track}, not ${a.track}`);
  });
  if (new Set(a.tasks).size !== a.tasks.length) throw new DefinitionError(rel, 'tasks', 'lists a task twice');
  if (a.passRule !== 'all' && a.passRule.minTasksPassed > a.tasks.length) throw new DefinitionError(rel, 'passRule.minTasksPassed', `is ${a.passRule.minTasksPassed} but the assessment has ${a.tasks.length} tasks`);
  return a;
}

function importDefault(file: string, rel: string): unknown {
  let mod: { default?: unknown };
  try {
    // Task and grader files are TypeScript modules found at run time; tsx (CLI) or jest compiles them.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    mod = require(file) as { default?: unknown };
  } catch (e) {
    throw new DefinitionError(rel, undefined, `cannot be loaded: ${(e as Error).message.split('\n')[0]}`);
  }
  if (mod.default === undefined) throw new DefinitionError(rel, undefined, 'has no default export; end it with `export default defineTask({...})` or `export default defineGrader({...})`');
  return mod.default;
}

function validate<S extends z.ZodType>(schema: S, value: unknown, rel: string): z.output<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const field = issue.path.length ? issue.path.join('.') : undefined;
  let detail = issue.message;
  if (issue.code === 'unrecognized_keys') detail = `unknown key(s) ${issue.keys.map((k) => `"${k}"`).join(', ')}; check the spelling against the documented fields`;
  throw new DefinitionError(rel, field, detail);
}

function checkGraderAgainstTask(grader: LoadedGrader, task: TaskDefinition, rel: string): void {
  if (grader.task !== task.id) throw new DefinitionError(rel, 'task', `is "${grader.task}" but the file grades task "${task.id}"`);
  const ids = new Set<string>();
  grader.checks.forEach((c, i) => {
    if (ids.has(c.id)) throw new DefinitionError(rel, `checks.${i}.id`, `"${c.id}" is used by two checks; check ids must be unique`);
    ids.add(c.id);
  });
  grader.checks.forEach((c, i) => {
    c.dependsOn.forEach((d, j) => {
      if (!ids.has(d)) throw new DefinitionError(rel, `checks.${i}.dependsOn.${j}`, `"${d}" is not a check of this grader`);
    });
  });
  const cycle = findCycle(grader);
  if (cycle) throw new DefinitionError(rel, 'checks', `dependsOn forms a cycle: ${cycle.join(' -> ')}`);
  grader.probes.forEach((p, i) => {
    if (p.startsWith('http:')) return;
    if (!task.blueprint.grader.probes.some((allowed) => matchesIamPattern(allowed, p))) {
      throw new DefinitionError(rel, `probes.${i}`, `"${p}" is not among the task's blueprint.grader.probes (${task.blueprint.grader.probes.join(', ') || 'none'}); the grader role would not be allowed to call it`);
    }
  });
}

function findCycle(grader: LoadedGrader): string[] | undefined {
  const deps = new Map(grader.checks.map((c) => [c.id, c.dependsOn]));
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (id: string, path: string[]): string[] | undefined => {
    if (state.get(id) === 'done') return undefined;
    if (state.get(id) === 'visiting') return [...path.slice(path.indexOf(id)), id];
    state.set(id, 'visiting');
    for (const d of deps.get(id) ?? []) {
      const found = visit(d, [...path, id]);
      if (found) return found;
    }
    state.set(id, 'done');
    return undefined;
  };
  for (const id of deps.keys()) {
    const found = visit(id, []);
    if (found) return found;
  }
  return undefined;
}
