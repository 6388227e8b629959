/**
 * Four projects (README, Tests and CI). `unit` and `deploy` need no server: nothing is
 * started for them. `integration` and `browser` talk to the real servers that globalSetup
 * starts; both name the same globalSetup file, and jest runs a hook file once per run
 * however many projects name it, so one `npm test` starts the servers once (and only when
 * a test of one of these projects runs). The fault suite has its own config
 * (tests/faults/jest.config.js, `npm run test:faults`).
 */
const base = {
  rootDir: __dirname,
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': 'ts-jest' },
};
const servers = {
  globalSetup: '<rootDir>/tests/setup/global-setup.ts',
  globalTeardown: '<rootDir>/tests/setup/global-teardown.ts',
};

module.exports = {
  projects: [
    // Code alone: no server, no network beyond an in-process server on a loopback port.
    { ...base, displayName: 'unit', testMatch: ['<rootDir>/tests/unit/**/*.test.ts', '<rootDir>/tests/replay/**/*.test.ts'] },
    // The compose, Caddy and Kubernetes files, parsed and checked against the code.
    { ...base, displayName: 'deploy', testMatch: ['<rootDir>/tests/deploy/**/*.test.ts'] },
    { ...base, ...servers, displayName: 'integration', testMatch: ['<rootDir>/tests/integration/**/*.test.ts'] },
    { ...base, ...servers, displayName: 'browser', testMatch: ['<rootDir>/tests/browser/**/*.test.ts'] },
  ],
  // Global options (jest reads these from the top level only).
  testTimeout: 120000,
  // One test file at a time: the integration tests share one set of servers (and kill its processes).
  maxWorkers: 1,
  reporters: ['default', '<rootDir>/tests/setup/summary-reporter.js'],
};
