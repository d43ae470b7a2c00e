/** Live tests: deploy reference solutions and grade them against a real AWS account. See README. */
const base = require('./jest.config.js');
module.exports = {
  ...base,
  testMatch: ['<rootDir>/tests/live/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/'],
  testTimeout: 30 * 60 * 1000,
};
