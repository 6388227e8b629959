/**
 * The layers of src/ (README, Architecture), checked by `npm run lint`. Each imports only
 * the layers below it:
 *   roots     src/api/main.ts, src/api/app.ts, src/workers, src/cli, src/devservices
 *   features  src/app, src/activities, the rest of src/api (runs, workflow and schedule routes)
 *   HTTP kit  src/http (problems, auth, body, route docs, the routes' context)
 *   domain    src/canvas (validation), src/schedules, src/triggers, src/temporal, src/tasks, src/db,
 *             src/spam, src/validation, src/webhooks, src/telemetry, src/config.ts,
 *             src/logging.ts
 *   sandbox   src/workflows: the workflow bundle, which imports nothing else but types
 */
const ROOTS = ['^src/api/(main|app)\\.ts$', '^src/(workers|cli|devservices)/'];
const FEATURES = ['^src/(app|activities)/', '^src/api/'];
const HTTP_KIT = ['^src/http/'];
const DOMAIN = ['^src/(canvas|schedules|triggers|temporal|tasks|db|spam|validation|webhooks|telemetry)/', '^src/(config|logging)\\.ts$'];
const SANDBOX = '^src/workflows/';

module.exports = {
  forbidden: [
    { name: 'no-cycle', severity: 'error', comment: 'An import cycle ties modules that should stand alone.', from: {}, to: { circular: true } },
    {
      name: 'sandbox-imports-only-itself',
      severity: 'error',
      comment: 'Workflow code runs in the sandbox for every run: it may import the sandbox folder, @temporalio/workflow and types, nothing else.',
      from: { path: SANDBOX },
      to: { pathNot: [SANDBOX, '^node_modules/@temporalio/(workflow|common)/'], dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'sandbox-below-all',
      severity: 'error',
      comment: 'Not even types from above the sandbox.',
      from: { path: SANDBOX },
      to: { path: ['^src/', '^node_modules/(zod|mongoose|koa)'], pathNot: SANDBOX },
    },
    { name: 'domain-below-http-and-features', severity: 'error', from: { path: DOMAIN }, to: { path: [...HTTP_KIT, ...FEATURES, ...ROOTS] } },
    { name: 'http-kit-below-features', severity: 'error', from: { path: HTTP_KIT }, to: { path: [...FEATURES, ...ROOTS] } },
    { name: 'features-below-roots', severity: 'error', from: { path: FEATURES, pathNot: ROOTS }, to: { path: ROOTS } },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    preserveSymlinks: true,
    exclude: { path: '^src/dashboard/' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
  },
};
