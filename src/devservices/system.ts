/**
 * The whole embedded system, started and supervised as `npm start` runs it: the Temporal
 * dev server, FerretDB and the SMTP sink (each unless the configuration points at one),
 * every worker pool and the API. Every process is restarted with backoff when it dies
 * (ManagedProcess); data is on disk, so a restarted server keeps it. `npm start` and the
 * fault suite (tests/faults) both start the system through here.
 */
import path from 'node:path';
import type { Config } from '../config';
import { NODE_POOL_NAMES, POOLS, PYTHON_POOL, type PoolName } from '../workflows/tasks/pools';
import { pythonEnvironment } from './python-pool';
import { waitForPort, type ManagedProcess, type RestartEvent } from './processes';
import { elapsed, provisionAll } from './provisioning';
import {
  api,
  ensureSearchAttributes,
  ferretDb,
  pythonWorkerPool,
  smtpSink,
  temporalDevServer,
  waitForPollers,
  waitForTemporal,
  workerPool,
  type StackLayout,
} from './stack';

export interface SystemOptions {
  /** Extra environment for every worker pool (e.g. WORKER_METRICS_ADDRESS=off). */
  workerEnv?: NodeJS.ProcessEnv;
  /** Extra environment for the API. */
  apiEnv?: NodeJS.ProcessEnv;
  /** Called whenever a process died and its restart is scheduled. */
  onRestart?: (event: RestartEvent) => void;
  /** Each service's line (where it listens), with the elapsed time, as soon as it answers. */
  onLine?: (line: string) => void;
  /** Progress while binaries are built and processes start: elapsed time and what is left. */
  onProgress?: (line: string) => void;
  /** When the clock for elapsed times started (default: now). */
  startedAt?: number;
}

export interface System {
  /** Servers: stopped last. */
  infra: ManagedProcess[];
  /** API and workers: stopped first, so running tasks may finish. */
  apps: ManagedProcess[];
  /** By name: temporal, ferretdb, smtp-sink, worker-<pool>, api. */
  processes: Map<string, ManagedProcess>;
  /** One line per service: where it listens. */
  lines: string[];
  /** Resolves when every pool polls and the API listens; on failure, what was started is stopped. */
  ready: Promise<void>;
  /** Stops the API and workers first, then the servers; safe to call while starting. */
  stop(): Promise<void>;
}

/** Starts everything; `ready` says when it is up. The processes are in `system` from their start on. */
export function startSystem(config: Config, layout: StackLayout, options: SystemOptions = {}): System {
  const lines: string[] = [];
  const infra: ManagedProcess[] = [];
  const apps: ManagedProcess[] = [];
  const processes = new Map<string, ManagedProcess>();
  const add = (list: ManagedProcess[], p: ManagedProcess) => {
    list.push(p);
    processes.set(p.spec.name, p);
    p.onRestart = options.onRestart;
    return p;
  };
  let stopped = false;
  const stop = async () => {
    stopped = true;
    await Promise.all(apps.map((p) => p.stop(35_000)));
    await Promise.all(infra.map((p) => p.stop(15_000)));
  };
  const startedAt = options.startedAt ?? Date.now();
  // Each service's line is printed (onLine) as soon as that service answers, not all at the end.
  const readyLine = (line: string) => {
    lines.push(line);
    options.onLine?.(`[${elapsed(startedAt)}] ${line}`);
  };
  const ready = (async () => {
    const checkStopped = () => {
      if (stopped) throw new Error('stopped while starting');
    };
    const appsLeft = `${NODE_POOL_NAMES.length + (config.python.app ? 1 : 0)} worker pools, the API`;
    // The Python pool's environment is made (once) while the servers start.
    if (config.python.app) {
      options.onProgress?.(
        `[${elapsed(startedAt)}] ORCHESTRA_PYTHON_APP=${config.python.app}: making the Python pool's environment with python/setup-env.sh (once, about 20 s; cached in ${config.cacheDir})`,
      );
    }
    const pythonEnv = config.python.app ? pythonEnvironment(config) : undefined;
    const tools = [...(config.external.temporal ? [] : ['temporal' as const]), ...(config.external.mongodb ? [] : ['ferretdb' as const])];
    const binaries = await provisionAll(tools, {
      logDir: layout.logDir,
      report: options.onProgress ?? (() => undefined),
      after: ['start the servers', appsLeft],
      startedAt,
    });
    checkStopped();
    // The servers start together; each line appears when its server answers.
    const servers: Array<Promise<void>> = [];
    if (!config.external.temporal) {
      const server = add(infra, temporalDevServer(binaries.temporal, config, layout));
      servers.push(
        waitForTemporal(config, 60_000, server).then(async () => {
          const added = await ensureSearchAttributes(config);
          if (added.length) readyLine(`temporal    registered search attributes ${added.join(', ')} (new in this version)`);
          readyLine(`temporal    ${config.temporal.address}  (dev server, SQLite in ${path.join(layout.dataDir, 'temporal')})`);
          readyLine(`temporal ui ${config.temporal.uiUrl}`);
        }),
      );
    } else {
      servers.push(waitForTemporal(config, 60_000).then(() => readyLine(`temporal    ${config.temporal.address}  (TEMPORAL_ADDRESS)`)));
    }
    if (!config.external.mongodb) {
      const db = add(infra, ferretDb(binaries.ferretdb, config.dev.ferretdbPort, layout));
      servers.push(
        waitForPort(config.dev.ferretdbPort, 30_000, db).then(() =>
          readyLine(`mongodb     ${config.mongodbUri}  (FerretDB on SQLite in ${path.join(layout.dataDir, 'ferretdb')})`),
        ),
      );
    } else {
      readyLine(`mongodb     ${config.mongodbUri}  (MONGODB_URI)`);
    }
    if (!config.external.smtp) {
      const sink = add(infra, smtpSink(config, layout));
      servers.push(
        waitForPort(config.dev.smtpPort, 30_000, sink).then(() =>
          readyLine(`smtp        ${config.smtpUrl}  (sink; inbox at http://127.0.0.1:${config.dev.smtpHttpPort})`),
        ),
      );
    } else {
      readyLine(`smtp        ${config.smtpUrl}  (SMTP_URL)`);
    }
    await Promise.all(servers);
    checkStopped();
    options.onProgress?.(`[${elapsed(startedAt)}] servers up; starting ${appsLeft} (each line appears when it polls or listens)`);
    const pools: PoolName[] = [...NODE_POOL_NAMES];
    for (const pool of NODE_POOL_NAMES) add(apps, workerPool(pool, config, layout, options.workerEnv));
    const python = await pythonEnv;
    if (python?.ok) {
      add(apps, pythonWorkerPool(python.python, config, layout, options.workerEnv));
      pools.push(PYTHON_POOL);
    } else if (python) {
      readyLine(`worker      ${PYTHON_POOL.padEnd(12)} skipped: ${python.reason} (ORCHESTRA_PYTHON_APP=${config.python.app})`);
    }
    const server = add(apps, api(config, layout, options.apiEnv));
    await Promise.all([
      ...pools.map((pool) =>
        waitForPollers(config, 120_000, [pool]).then(
          () => readyLine(`worker      ${pool.padEnd(12)} queue ${POOLS[pool].queue}`),
          (error: unknown) => {
            // The user's Celery app may not import: the rest of the system runs, and says where to look.
            if (pool !== PYTHON_POOL) throw error;
            readyLine(`worker      ${pool.padEnd(12)} not polling yet (restarting with backoff); see ${path.join(layout.logDir, `worker-${pool}.log`)}`);
          },
        ),
      ),
      waitForPort(config.api.port, 60_000, server, config.api.host).then(() =>
        readyLine(`api         http://${config.api.host}:${config.api.port}  (docs at /docs, dashboard at /ui, development mode: no API keys)`),
      ),
    ]);
  })().catch(async (error: unknown) => {
    await stop();
    throw error;
  });
  return { infra, apps, processes, lines, ready, stop };
}
