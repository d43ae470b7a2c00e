/** Unit, fixture and reliability tests. Live tests (real AWS) have their own config. */
module.exports = {
  testEnvironment: 'node',
  // tasks/: a task's own tests (its reference solution's) live in its folder, so adding a task edits nothing else.
  roots: ['<rootDir>/tests', '<rootDir>/tasks'],
  testMatch: ['**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/tests/live/', '<rootDir>/tests/bench/'],
  transform: { '^.+\\.(t|j)s$': ['@swc/jest', { jsc: { target: 'es2022' } }] },
  setupFiles: ['<rootDir>/tests/support/setup-env.ts'],
  testTimeout: 30000,
  // CDK and the AWS SDK are large; recycle a worker whose heap has grown rather than run out of memory.
  workerIdleMemoryLimit: '1024MB',
  // Both cores: the suite is CPU-bound (CDK synthesis, replaying fixtures).
  maxWorkers: 2,
};
