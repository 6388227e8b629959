/**
 * `npm run test:faults`: kill -9 each process of the running system under load and check
 * that nothing accepted is lost or doubled. Its own config (files end in .faults.ts), so
 * `npm test` does not run it; it starts its own system, as `npm start` does.
 */
module.exports = {
  rootDir: '../..',
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': 'ts-jest' },
  testMatch: ['<rootDir>/tests/faults/**/*.faults.ts'],
  testTimeout: 60 * 60 * 1000,
  maxWorkers: 1,
};
