/** One suite: unit tests and integration tests against real servers that globalSetup starts. */
module.exports = {
  testEnvironment: 'node',
  transform: { "^.+\\.ts$": "ts-jest" },
  testMatch: ['<rootDir>/tests/**/*.test.ts'],
  globalSetup: '<rootDir>/tests/setup/global-setup.ts',
  globalTeardown: '<rootDir>/tests/setup/global-teardown.ts',
  testTimeout: 120000,
  maxWorkers: 1,
  reporters: ['default', '<rootDir>/tests/setup/summary-reporter.js'],
};
