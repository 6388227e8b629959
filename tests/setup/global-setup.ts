/**
 * Starts the real servers once for the whole suite: the Temporal dev server through
 * TestWorkflowEnvironment.createLocal (the CLI provisioned by temporal/provision.sh),
 * FerretDB (unless MONGODB_URI is set), the SMTP sink, every worker pool and the API, as
 * separate processes on free ports. A small control server lets tests kill, stop and
 * start those processes, as an operator would.
 */
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, projectRoot } from '../../src/config';
import { freePorts, ManagedProcess, provision, waitForPort } from '../../src/devservices/processes';
import {
  api,
  devServerDynamicConfigArgs,
  ferretDb,
  pythonWorkerPool,
  smtpSink,
  waitForPollers,
  workerPool,
  type StackLayout,
} from '../../src/devservices/stack';
import { pythonEnvironment } from '../../src/devservices/python-pool';
import { NODE_POOL_NAMES, POOL_NAMES } from '../../src/workflows/tasks/pools';
import { SEARCH_ATTRIBUTE_KEYS } from '../../src/temporal/search-attributes';
import { quietLogger } from '../../src/devservices/quiet-logger';
import { bundleWorkflows } from '../../src/workers/workflow-bundle';

export interface TestStack {
  env: TestWorkflowEnvironment;
  processes: Map<string, ManagedProcess>;
  control: Server;
  dataDir: string;
}

export default async function globalSetup(): Promise<void> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'orchestra-test-'));
  const layout: StackLayout = { dataDir, logDir: path.join(dataDir, 'logs'), echo: false };
  const temporalPath = provision('temporal');
  const env = await TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: temporalPath },
      searchAttributes: [...SEARCH_ATTRIBUTE_KEYS],
      ui: false,
      extraArgs: ['--log-level', 'warn', ...devServerDynamicConfigArgs()],
    },
  });

  const [apiPort, ferretdbPort, smtpPort, smtpHttpPort, controlPort, ...metricsPorts] = await freePorts(5 + POOL_NAMES.length);
  const bundlePath = path.join(dataDir, 'workflow-bundle.js');
  const { code } = await bundleWorkflows(quietLogger);
  writeFileSync(bundlePath, code);

  const externalMongo = process.env.MONGODB_URI;
  Object.assign(process.env, {
    ORCHESTRA_DATA_DIR: dataDir,
    TEMPORAL_ADDRESS: env.address,
    TEMPORAL_UI_URL: 'http://127.0.0.1:8233',
    MONGODB_URI: externalMongo || `mongodb://127.0.0.1:${ferretdbPort}/orchestra-test`,
    SMTP_URL: `smtp://127.0.0.1:${smtpPort}`,
    SMTP_SINK_PORT: String(smtpPort),
    SMTP_SINK_HTTP_PORT: String(smtpHttpPort),
    API_PORT: String(apiPort),
    WORKFLOW_BUNDLE_PATH: bundlePath,
    WORKER_SHUTDOWN_GRACE: '20s',
    // Built-in schedules exist but do not fire: a digest at 07:00 must not land mid-test.
    BUILTIN_SCHEDULES: 'paused',
    // Every test file shares this API and one address: a file that sends hundreds of requests
    // left the next one (a dashboard that polls) 429s. The rate limit's own tests start apps of their own.
    RATE_LIMIT_PER_MINUTE: '0',
    // The webhook tests' receivers listen on this machine, which the webhook policy refuses unless listed.
    WEBHOOK_ALLOWED_HOSTS: '127.0.0.1',
    WEBHOOK_SIGNING_SECRET: `test-${randomBytes(16).toString('hex')}`,
    ORCHESTRA_PYTHON_APP: 'orchestra_test_tasks:app',
    PYTHONPATH: [path.join(projectRoot, 'examples', 'celery-app'), path.join(projectRoot, 'tests', 'fixtures', 'celery')].join(path.delimiter),
    ORCHESTRA_TEST_API_URL: `http://127.0.0.1:${apiPort}`,
    ORCHESTRA_TEST_INBOX_URL: `http://127.0.0.1:${smtpHttpPort}`,
    ORCHESTRA_TEST_CONTROL_URL: `http://127.0.0.1:${controlPort}`,
  });
  const config = loadConfig();
  const processes = new Map<string, ManagedProcess>();
  const add = (p: ManagedProcess) => processes.set(p.spec.name, p);

  if (!externalMongo) {
    add(ferretDb(provision('ferretdb'), ferretdbPort, layout));
    await waitForPort(ferretdbPort, 30_000, processes.get('ferretdb'));
  }
  add(smtpSink(config, layout));
  // Each pool serves its SDK metrics on a free port, so parallel runs never collide.
  NODE_POOL_NAMES.forEach((pool, i) => {
    process.env[`ORCHESTRA_TEST_${pool.toUpperCase()}_METRICS_URL`] = `http://127.0.0.1:${metricsPorts[i]}/metrics`;
    add(workerPool(pool, config, layout, { WORKER_METRICS_ADDRESS: `127.0.0.1:${metricsPorts[i]}` }));
  });
  // The Python pool serves the example Celery app with the tests' own tasks (tests/fixtures/celery).
  const python = await pythonEnvironment(config);
  if (!python.ok) throw new Error(`the Python pool's environment: ${python.reason}`);
  add(pythonWorkerPool(python.python, config, layout));
  add(api(config, layout));
  await waitForPort(apiPort, 60_000, processes.get('api'));
  await waitForPort(smtpPort, 30_000, processes.get('smtp-sink'));
  await waitForPollers(config, 120_000, POOL_NAMES);

  const control = createServer(
    (req, res) =>
      void handleControl(processes, req.method ?? 'GET', req.url ?? '/').then(
        (body) => res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(body)),
        (error: Error) => res.writeHead(400).end(error.message),
      ),
  );
  await new Promise<void>((resolve) => control.listen(controlPort, '127.0.0.1', resolve));
  (globalThis as { __orchestraStack?: TestStack }).__orchestraStack = { env, processes, control, dataDir };
}

/** POST /kill/:name/:signal, POST /stop/:name, POST /start/:name, GET /pids. */
async function handleControl(processes: Map<string, ManagedProcess>, method: string, url: string): Promise<unknown> {
  const [, action, name, signal] = url.split('/');
  if (action === 'pids') return Object.fromEntries([...processes].map(([n, p]) => [n, p.pid]));
  const process = processes.get(name);
  if (!process || method !== 'POST') throw new Error(`unknown control request ${method} ${url}`);
  if (action === 'kill') process.kill((signal || 'SIGKILL') as NodeJS.Signals);
  else if (action === 'stop') await process.stop(30_000);
  else if (action === 'start') process.start();
  else throw new Error(`unknown action ${action}`);
  return { name, pid: process.pid };
}
