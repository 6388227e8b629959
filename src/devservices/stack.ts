/**
 * The services of the embedded default, described once for `npm start` and the tests:
 * the Temporal dev server, FerretDB, the SMTP sink, every worker pool and the API.
 */
import { Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Config } from '../config';
import { NODE_POOL_NAMES, POOLS, PYTHON_POOL, type PoolName } from '../workflows/tasks/pools';
import { pythonPoolCommand } from './python-pool';
import { SEARCH_ATTRIBUTE_KEYS, SEARCH_ATTRIBUTES } from '../temporal/search-attributes';
import { SearchAttributeType } from '@temporalio/common';
import { ManagedProcess, tsEntry, waitForPort, type ServiceSpec } from './processes';

export interface StackLayout {
  dataDir: string;
  logDir: string;
  echo: boolean;
}

/**
 * Dynamic config for the one-shard dev server. Its history service reads new transfer tasks
 * through a limiter of 20 loads a second per shard, so every hop of every run waits for the
 * next 50 ms refill (see README, Performance). A dev server has one shard: lift the limit.
 */
export const DEV_SERVER_DYNAMIC_CONFIG: readonly string[] = [
  'history.transferProcessorMaxPollRPS=1000',
  // Task queue priority (a request's `priority`): server 1.29 dispatches by priorityKey only
  // with the new matcher, off by default there (docs/canvas.md, "Priority").
  'matching.useNewMatcher=true',
];

/**
 * SQLite settings of the embedded default (README, "Durability"). WAL with synchronous=NORMAL
 * commits without an fsync per transaction: a killed process loses nothing (the WAL is in
 * the OS's page cache), a power loss may drop the last transactions before a checkpoint.
 * The defaults (rollback journal, synchronous=FULL) fsync every commit, which made every
 * step of every run wait on the disk.
 */
export const DEV_SERVER_SQLITE_PRAGMAS: readonly string[] = ['journal_mode=wal', 'synchronous=normal'];
/** FerretDB opens its SQLite files in WAL mode itself; this adds synchronous=NORMAL (the driver's `_pragma` URL parameter). */
export const FERRETDB_SQLITE_PARAMS = '_pragma=synchronous(normal)';

export const devServerDynamicConfigArgs = (): string[] => DEV_SERVER_DYNAMIC_CONFIG.flatMap((value) => ['--dynamic-config-value', value]);

/** `dynamicConfig` replaces DEV_SERVER_DYNAMIC_CONFIG (bench/dispatch.ts measures with and without it). */
export function temporalDevServer(
  binary: string,
  config: Config,
  layout: StackLayout,
  dynamicConfig: readonly string[] = DEV_SERVER_DYNAMIC_CONFIG,
): ManagedProcess {
  mkdirSync(path.join(layout.dataDir, 'temporal'), { recursive: true });
  const args = [
    'server',
    'start-dev',
    '--db-filename',
    path.join(layout.dataDir, 'temporal', 'temporal.db'),
    '--ip',
    '127.0.0.1',
    '--port',
    String(config.dev.temporalPort),
    '--ui-port',
    String(config.dev.temporalUiPort),
    '--namespace',
    config.temporal.namespace,
    '--log-level',
    'warn',
    ...DEV_SERVER_SQLITE_PRAGMAS.flatMap((pragma) => ['--sqlite-pragma', pragma]),
    ...dynamicConfig.flatMap((value) => ['--dynamic-config-value', value]),
    ...SEARCH_ATTRIBUTES.flatMap((a) => ['--search-attribute', `${a.name}=${a.type}`]),
  ];
  // Restarted when it dies: the SQLite file keeps every run, so it resumes where it stopped.
  return new ManagedProcess({ name: 'temporal', command: binary, args, logFile: path.join(layout.logDir, 'temporal.log'), restart: true });
}

export function ferretDb(binary: string, port: number, layout: StackLayout): ManagedProcess {
  const dir = path.join(layout.dataDir, 'ferretdb');
  mkdirSync(dir, { recursive: true });
  const args = [
    '--handler=sqlite',
    `--sqlite-url=file:${dir}/?${FERRETDB_SQLITE_PARAMS}`,
    `--state-dir=${dir}`,
    `--listen-addr=127.0.0.1:${port}`,
    '--debug-addr=-',
    '--telemetry=disable',
    '--log-level=warn',
  ];
  // Restarted when it dies; its data is in SQLite files under `dir`.
  return new ManagedProcess({ name: 'ferretdb', command: binary, args, logFile: path.join(layout.logDir, 'ferretdb.log'), restart: true });
}

export function smtpSink(config: Config, layout: StackLayout): ManagedProcess {
  const entry = tsEntry('src/devservices/smtp-sink-main.ts');
  return new ManagedProcess({
    name: 'smtp-sink',
    ...entry,
    env: {
      SMTP_SINK_PORT: String(config.dev.smtpPort),
      SMTP_SINK_HTTP_PORT: String(config.dev.smtpHttpPort),
      SMTP_SINK_DIR: path.join(layout.dataDir, 'mail'),
    },
    logFile: path.join(layout.logDir, 'smtp-sink.log'),
    restart: true,
  });
}

/**
 * The embedded default's WEBHOOK_SIGNING_SECRET when none is configured: made once, kept
 * in the data directory, so webhook signatures stay the same across restarts.
 */
export function embeddedSigningSecret(dataDir: string): string {
  const file = path.join(dataDir, 'webhook-signing-secret');
  if (!existsSync(file)) {
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(file, randomBytes(32).toString('base64url'), { mode: 0o600, flag: 'wx' });
  }
  return readFileSync(file, 'utf8').trim();
}

/**
 * The environment every app process of the embedded default gets, so they all point at
 * the same services. It is the explicit development mode: the API checks no keys.
 */
export function appEnv(config: Config): NodeJS.ProcessEnv {
  return {
    ORCHESTRA_DEV_MODE: 'true',
    ORCHESTRA_DATA_DIR: config.dataDir,
    TEMPORAL_ADDRESS: config.temporal.address,
    TEMPORAL_NAMESPACE: config.temporal.namespace,
    TEMPORAL_UI_URL: config.temporal.uiUrl,
    MONGODB_URI: config.mongodbUri,
    SMTP_URL: config.smtpUrl,
    API_HOST: config.api.host,
    API_PORT: String(config.api.port),
    WEBHOOK_SIGNING_SECRET: config.webhooks.signingSecret ?? embeddedSigningSecret(config.dataDir),
    ...(config.workflowBundlePath ? { WORKFLOW_BUNDLE_PATH: config.workflowBundlePath } : {}),
  };
}

export function workerPool(pool: PoolName, config: Config, layout: StackLayout, extraEnv: NodeJS.ProcessEnv = {}): ManagedProcess {
  const spec: ServiceSpec = {
    name: `worker-${pool}`,
    ...tsEntry('src/workers/main.ts', ['--pool', pool]),
    env: { ...appEnv(config), ORCHESTRA_SERVICE: `worker-${pool}`, ...extraEnv },
    logFile: path.join(layout.logDir, `worker-${pool}.log`),
    echo: layout.echo,
    restart: true,
  };
  return new ManagedProcess(spec);
}

/** The Python pool (./python-pool.ts), supervised like the others: a kill -9 restarts it and its lost steps retry. */
export function pythonWorkerPool(python: string, config: Config, layout: StackLayout, extraEnv: NodeJS.ProcessEnv = {}): ManagedProcess {
  const { command, args, env } = pythonPoolCommand(python, config);
  return new ManagedProcess({
    name: `worker-${PYTHON_POOL}`,
    command,
    args,
    env: { ...appEnv(config), ...env, ORCHESTRA_SERVICE: `worker-${PYTHON_POOL}`, ...extraEnv },
    logFile: path.join(layout.logDir, `worker-${PYTHON_POOL}.log`),
    echo: layout.echo,
    restart: true,
  });
}

export function api(config: Config, layout: StackLayout, extraEnv: NodeJS.ProcessEnv = {}): ManagedProcess {
  return new ManagedProcess({
    name: 'api',
    ...tsEntry('src/api/main.ts'),
    env: { ...appEnv(config), ORCHESTRA_SERVICE: 'api', ...extraEnv },
    logFile: path.join(layout.logDir, 'api.log'),
    echo: layout.echo,
    restart: true,
  });
}

/** Waits until the namespace answers (the dev server creates it shortly after listening). */
export async function waitForTemporal(config: Config, timeoutMs: number, server?: ManagedProcess): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const [host, port] = config.temporal.address.split(':');
  await waitForPort(Number(port), timeoutMs, server, host);
  const connection = await Connection.connect({ address: config.temporal.address });
  try {
    for (;;) {
      try {
        await connection.workflowService.describeNamespace({ namespace: config.temporal.namespace });
        return;
      } catch (error) {
        if (Date.now() > deadline) throw new Error(`Temporal namespace ${config.temporal.namespace} is not ready: ${(error as Error).message}`);
        await new Promise((resolve) => setTimeout(resolve, 300));
      }
    }
  } finally {
    await connection.close();
  }
}

/**
 * Registers the search attributes a dev server made before one was added (`--search-attribute`
 * registers them only when it creates its database): an older data/ gets the new ones.
 */
export async function ensureSearchAttributes(config: Config): Promise<string[]> {
  const connection = await Connection.connect({ address: config.temporal.address });
  try {
    const namespace = config.temporal.namespace;
    const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
    const missing = SEARCH_ATTRIBUTE_KEYS.filter((key) => !(customAttributes && key.name in customAttributes));
    if (missing.length === 0) return [];
    const { INDEXED_VALUE_TYPE_KEYWORD_LIST, INDEXED_VALUE_TYPE_KEYWORD } = temporal.api.enums.v1.IndexedValueType;
    const searchAttributes = Object.fromEntries(
      missing.map((key) => [key.name, key.type === SearchAttributeType.KEYWORD_LIST ? INDEXED_VALUE_TYPE_KEYWORD_LIST : INDEXED_VALUE_TYPE_KEYWORD]),
    );
    await connection.operatorService.addSearchAttributes({ namespace, searchAttributes });
    return missing.map((key) => key.name);
  } finally {
    await connection.close();
  }
}

/** Waits until every pool's task queue has a poller (the Node.js pools unless told): the workers are connected and polling. */
export async function waitForPollers(config: Config, timeoutMs: number, pools: readonly PoolName[] = NODE_POOL_NAMES): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const connection = await Connection.connect({ address: config.temporal.address });
  try {
    for (const pool of pools) {
      const taskQueueType =
        POOLS[pool].runs === 'workflows'
          ? temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW
          : temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY;
      for (;;) {
        const response = await connection.workflowService.describeTaskQueue({
          namespace: config.temporal.namespace,
          taskQueue: { name: POOLS[pool].queue },
          taskQueueType,
        });
        if ((response.pollers ?? []).length > 0) break;
        if (Date.now() > deadline) throw new Error(`no worker polls ${POOLS[pool].queue} after ${timeoutMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, 300));
      }
    }
  } finally {
    await connection.close();
  }
}
