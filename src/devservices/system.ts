/**
 * The whole embedded system, started and supervised as `npm start` runs it: the Temporal
 * dev server, FerretDB and the SMTP sink (each unless the configuration points at one),
 * every worker pool and the API. Every process is restarted with backoff when it dies
 * (ManagedProcess); data is on disk, so a restarted server keeps it. `npm start` and the
 * fault suite (tests/faults) both start the system through here.
 */
import path from 'node:path';
import type { Config } from '../config';
import { POOL_NAMES, POOLS } from '../tasks/pools';
import { provision, waitForPort, type ManagedProcess, type RestartEvent } from './processes';
import { api, ferretDb, smtpSink, temporalDevServer, waitForPollers, waitForTemporal, workerPool, type StackLayout } from './stack';

export interface SystemOptions {
  /** Extra environment for every worker pool (e.g. WORKER_METRICS_ADDRESS=off). */
  workerEnv?: NodeJS.ProcessEnv;
  /** Extra environment for the API. */
  apiEnv?: NodeJS.ProcessEnv;
  /** Called whenever a process died and its restart is scheduled. */
  onRestart?: (event: RestartEvent) => void;
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
  const ready = (async () => {
    const checkStopped = () => {
      if (stopped) throw new Error('stopped while starting');
    };
    if (!config.external.temporal) {
      add(infra, temporalDevServer(provision('temporal'), config, layout));
      lines.push(`temporal    ${config.temporal.address}  (dev server, SQLite in ${path.join(layout.dataDir, 'temporal')})`);
      lines.push(`temporal ui ${config.temporal.uiUrl}`);
    } else {
      lines.push(`temporal    ${config.temporal.address}  (TEMPORAL_ADDRESS)`);
    }
    checkStopped();
    if (!config.external.mongodb) {
      const db = add(infra, ferretDb(provision('ferretdb'), config.dev.ferretdbPort, layout));
      lines.push(`mongodb     ${config.mongodbUri}  (FerretDB on SQLite in ${path.join(layout.dataDir, 'ferretdb')})`);
      await waitForPort(config.dev.ferretdbPort, 30_000, db);
    } else {
      lines.push(`mongodb     ${config.mongodbUri}  (MONGODB_URI)`);
    }
    checkStopped();
    if (!config.external.smtp) {
      const sink = add(infra, smtpSink(config, layout));
      lines.push(`smtp        ${config.smtpUrl}  (sink; inbox at http://127.0.0.1:${config.dev.smtpHttpPort})`);
      await waitForPort(config.dev.smtpPort, 30_000, sink);
    } else {
      lines.push(`smtp        ${config.smtpUrl}  (SMTP_URL)`);
    }
    await waitForTemporal(config, 60_000);
    checkStopped();
    for (const pool of POOL_NAMES) {
      add(apps, workerPool(pool, config, layout, options.workerEnv));
      lines.push(`worker      ${pool.padEnd(12)} queue ${POOLS[pool].queue}`);
    }
    const server = add(apps, api(config, layout, options.apiEnv));
    lines.push(`api         http://${config.api.host}:${config.api.port}  (docs at /docs, development mode: no API keys)`);
    await waitForPort(config.api.port, 60_000, server, config.api.host);
    await waitForPollers(config, 120_000);
  })().catch(async (error: unknown) => {
    await stop();
    throw error;
  });
  return { infra, apps, processes, lines, ready, stop };
}
