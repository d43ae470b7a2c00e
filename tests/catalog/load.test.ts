import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DefinitionError, loadCatalog, loadEntry, REPO_ROOT } from '../../src/catalog/load';

const goodTask = {
  id: 'demo-task',
  title: 'Demo task',
  track: 'aws-serverless',
  summary: 'A task used to test the loader.',
  timeLimitMinutes: 30,
  blueprint: { candidate: { services: ['lambda'] }, grader: { reads: ['lambda:GetFunction'], probes: ['sqs:SendMessage'] }, budgetUsd: 5 },
  passRule: { passMark: 1 },
};
const goodGrader = `module.exports.default = { task: 'demo-task', probes: PROBES, checks: [
  { id: 'a', title: 'Check a', points: 1, hint: 'a helpful hint', run: async () => ({ outcome: 'PASS', message: 'ok' }) },
  { id: 'b', title: 'Check b', points: 1, hint: 'a helpful hint', dependsOn: DEPS, run: async () => ({ outcome: 'PASS', message: 'ok' }) },
]};`;

function fixtureRoot(task: object, graderSource: string, folder = 'demo-task'): string {
  const root = mkdtempSync(join(tmpdir(), 'skillproof-catalog-'));
  mkdirSync(join(root, 'tasks', folder), { recursive: true });
  mkdirSync(join(root, 'graders', 'aws-serverless'), { recursive: true });
  writeFileSync(join(root, 'tasks', folder, 'task.ts'), `module.exports.default = ${JSON.stringify(task)};`);
  writeFileSync(join(root, 'tasks', folder, 'README.md'), '# Demo');
  writeFileSync(join(root, 'graders', 'aws-serverless', `${(task as { id: string }).id}.ts`), graderSource);
  return root;
}
const grader = (probes = "['sqs:SendMessage']", deps = "['a']") => goodGrader.replace('PROBES', probes).replace('DEPS', deps);

function loadError(root: string, folder = 'demo-task'): DefinitionError {
  try {
    loadEntry(root, folder);
  } catch (e) {
    if (e instanceof DefinitionError) return e;
    throw e;
  }
  throw new Error('expected a DefinitionError');
}

describe('catalog', () => {
  it('loads every task and grader on disk', () => {
    const catalog = loadCatalog(REPO_ROOT);
    expect(catalog.ids()).toContain('serverless-orders-api');
    for (const entry of catalog.all()) {
      expect(entry.graderFile).toContain(`graders/${entry.task.track}/${entry.task.id}.ts`);
      expect(entry.instructions.length).toBeGreaterThan(200);
    }
  });

  it('loads a well-formed definition', () => {
    expect(loadEntry(fixtureRoot(goodTask, grader()), 'demo-task').grader.checks).toHaveLength(2);
  });

  it.each([
    ['an unknown key', { ...goodTask, colour: 'blue' }, 'tasks/demo-task/task.ts', /unknown key\(s\) "colour"/],
    ['a bad field', { ...goodTask, timeLimitMinutes: 'soon' }, 'tasks/demo-task/task.ts: field timeLimitMinutes', /expected number/],
    ['a nested bad field', { ...goodTask, blueprint: { ...goodTask.blueprint, grader: { reads: ['GetFunction'] } } }, 'field blueprint.grader.reads.0', /IAM action/],
    ['an id that is not the folder', { ...goodTask, id: 'other-task' }, 'field id', /folder is "demo-task"/],
    [
      'a probe scoped that it does not declare',
      { ...goodTask, blueprint: { ...goodTask.blueprint, grader: { ...goodTask.blueprint.grader, probeResources: { 'sqs:DeleteQueue': ['arn:aws:sqs:{region}:{account}:q'] } } } },
      'field blueprint.grader.probeResources.sqs:DeleteQueue',
      /is not one of blueprint.grader.probes/,
    ],
  ])('rejects a task with %s, naming file and field', (_what, task, where, detail) => {
    const root = fixtureRoot(task, grader().replace("'demo-task'", `'${(task as { id: string }).id}'`));
    const err = loadError(root);
    expect(err.message).toContain(where);
    expect(err.message).toMatch(detail);
  });

  it.each([
    ['a dependsOn naming no check', grader("['sqs:SendMessage']", "['nope']"), 'field checks.1.dependsOn.0', /"nope" is not a check/],
    ['a dependency cycle', grader("['sqs:SendMessage']", "['b']"), 'field checks', /cycle: b -> b/],
    ['a probe the blueprint does not grant', grader("['sqs:DeleteQueue']"), 'field probes.0', /not among the task's blueprint/],
    ['an empty answer not named as Service.Operation', grader().replace("probes: ['sqs:SendMessage'],", "probes: ['sqs:SendMessage'], validEmptyAnswers: ['s3:GetBucketVersioning'],"), 'field validEmptyAnswers.0', /"Service.Operation"/],
    ['a check without a hint', "module.exports.default = { task: 'demo-task', checks: [{ id: 'a', title: 'Check a', points: 1, run: async () => 1 }] };", 'field checks.0.hint', /expected string/],
    ['no default export', 'module.exports.x = 1;', 'graders/aws-serverless/demo-task.ts', /no default export/],
    ['a syntax error', 'module.exports.default = {', 'graders/aws-serverless/demo-task.ts', /cannot be loaded/],
  ])('rejects a grader with %s, naming file and field', (_what, source, where, detail) => {
    const err = loadError(fixtureRoot(goodTask, source));
    expect(err.message).toContain(where);
    expect(err.message).toMatch(detail);
  });
});

describe('assessments', () => {
  const assessment = (tasks: string[], extra = '') =>
    `module.exports.default = { id: 'demo-cred', title: 'Demo credential', track: 'aws-serverless', description: 'What the holder of this demo credential did.', criteria: 'Pass the demo task in a live sandbox account.', tasks: ${JSON.stringify(tasks)}, timeLimitMinutes: 60 ${extra} };`;
  const withAssessment = (source: string, file = 'demo-cred.ts') => {
    const root = fixtureRoot(goodTask, grader());
    mkdirSync(join(root, 'tasks', 'assessments'));
    writeFileSync(join(root, 'tasks', 'assessments', file), source);
    return root;
  };
  const errorOf = (root: string) => {
    try {
      loadCatalog(root);
    } catch (e) {
      return (e as Error).message;
    }
    throw new Error('expected an error');
  };

  it('loads an assessment of existing tasks, defaulting to "every task passed"', () => {
    const a = loadCatalog(withAssessment(assessment(['demo-task']))).assessment('demo-cred');
    expect(a).toMatchObject({ tasks: ['demo-task'], passRule: 'all', achievementType: 'MicroCredential' });
  });

  it.each([
    ['an unknown task', assessment(['no-task']), 'demo-cred.ts: field tasks.0: "no-task" is not a task'],
    ['a pass rule it cannot meet', assessment(['demo-task'], ", passRule: { minTasksPassed: 2 }"), 'field passRule.minTasksPassed: is 2 but the assessment has 1 tasks'],
    ['an id that is not its file name', assessment(['demo-task']), 'field id: is "demo-cred" but the file is other.ts'],
  ])('rejects %s', (_what, source, message) => {
    const root = withAssessment(source, message.includes('other.ts') ? 'other.ts' : 'demo-cred.ts');
    expect(errorOf(root)).toContain(message);
  });
});
