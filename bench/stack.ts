/**
 * The system under test. Either started here, as `npm start` and the tests start it (the
 * Temporal dev server, FerretDB, the SMTP sink, every worker pool and the API, each its
 * own process on free ports in a temporary folder, through src/devservices), or an
 * already running one given by --url (then CPU and memory of its processes are unknown).
 */
import { bundleWorkflows } from '../src/workers/workflow-bundle';
import { existsSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, type Config } from '../src/config';
import { freePorts, ManagedProcess, provision, tsEntry, waitForPort } from '../src/devservices/processes';
import { appEnv, ferretDb, smtpSink, temporalDevServer, waitForPollers, waitForTemporal, type StackLayout } from '../src/devservices/stack';
import { NODE_POOL_NAMES } from '../src/workflows/tasks/pools';
import { quietLogger } from '../src/devservices/quiet-logger';

export interface System {
  apiUrl: string;
  temporalAddress: string;
  namespace: string;
  /** Started here (true) or attached to with --url (false). */
  owned: boolean;
  /** Where logs and data live (a temporary folder), when owned. */
  dataDir: string | undefined;
  /** PIDs of the processes by name (temporal, worker-<pool>, api, ...); empty when not owned. */
  pids(): Record<string, number>;
  /** Starts another process of our own (a reference worker or server) that stop() also ends. */
  spawn(name: string, file: string, args: string[]): ManagedProcess;
  /** Signals one of our processes (SIGSTOP / SIGCONT to pause a pool); false if it is not ours. */
  signal(name: string, signal: NodeJS.Signals): boolean;
  stop(): Promise<void>;
}

export interface StartOptions {
  /**
   * Where the dev server's SQLite file lives: 'disk' (the default: the temporary folder, as
   * `npm start` keeps it under data/, with the same pragmas) or 'tmpfs' (/dev/shm, a
   * variant that takes the machine's disk out of what is measured).
   */
  temporalDb: 'tmpfs' | 'disk';
  /** Node flags for some app processes by name, e.g. {api: ['--cpu-prof', ...]}. */
  nodeFlags?: Record<string, string[]>;
  /** Print progress lines. */
  log: (line: string) => void;
}

/** Quiet logs and no per-key rate limit: the load generator is one client sending thousands. */
const BENCH_APP_ENV: NodeJS.ProcessEnv = {
  LOG_LEVEL: 'warn',
  BUILTIN_SCHEDULES: 'off',
  TEMPORAL_LOG_LEVEL: 'WARN',
  ORCHESTRA_LOG_PRETTY: 'false',
  RATE_LIMIT_PER_MINUTE: '0',
  WORKER_METRICS_ADDRESS: 'off',
};

export async function startSystem(options: StartOptions): Promise<System> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'orchestra-bench-'));
  const layout: StackLayout = { dataDir, logDir: path.join(dataDir, 'logs'), echo: false };
  // Distinct ports in one batch (freePort() one at a time may hand the same port out twice).
  const [temporalPort, temporalUiPort, ferretdbPort, smtpPort, smtpHttpPort, apiPort] = await freePorts(6);
  Object.assign(process.env, {
    ORCHESTRA_DATA_DIR: dataDir,
    TEMPORAL_PORT: String(temporalPort),
    TEMPORAL_UI_PORT: String(temporalUiPort),
    TEMPORAL_ADDRESS: `127.0.0.1:${temporalPort}`,
    TEMPORAL_UI_URL: `http://127.0.0.1:${temporalUiPort}`,
    FERRETDB_PORT: String(ferretdbPort),
    MONGODB_URI: `mongodb://127.0.0.1:${ferretdbPort}/orchestra-bench`,
    SMTP_SINK_PORT: String(smtpPort),
    SMTP_SINK_HTTP_PORT: String(smtpHttpPort),
    SMTP_URL: `smtp://127.0.0.1:${smtpPort}`,
    API_HOST: '127.0.0.1',
    API_PORT: String(apiPort),
    WORKFLOW_BUNDLE_PATH: path.join(dataDir, 'workflow-bundle.js'),
  });
  const config = loadConfig();
  const processes = new Map<string, ManagedProcess>();
  const add = (p: ManagedProcess): ManagedProcess => (processes.set(p.spec.name, p), p);
  // temporalDevServer() keeps its database in <dataDir>/temporal; a link moves it to tmpfs.
  const shm = options.temporalDb === 'tmpfs' && existsSync('/dev/shm') ? mkdtempSync('/dev/shm/orchestra-bench-') : undefined;
  if (shm) symlinkSync(shm, path.join(dataDir, 'temporal'));
  const system: System = {
    apiUrl: `http://127.0.0.1:${apiPort}`,
    temporalAddress: config.temporal.address,
    namespace: config.temporal.namespace,
    owned: true,
    dataDir,
    pids: () => Object.fromEntries([...processes].filter(([, p]) => p.pid !== undefined).map(([name, p]) => [name, p.pid as number])),
    spawn: (name, file, args) => add(appProcess(name, file, args, config, layout, options.nodeFlags?.[name] ?? [])),
    signal: (name, signal) => {
      const p = processes.get(name);
      p?.kill(signal);
      return p !== undefined;
    },
    stop: async () => {
      const apps = [...processes.values()].filter((p) => !['temporal', 'ferretdb', 'smtp-sink'].includes(p.spec.name));
      await Promise.all(apps.map((p) => p.stop(20_000)));
      await Promise.all([...processes.values()].filter((p) => !apps.includes(p)).map((p) => p.stop(10_000)));
      if (shm) rmSync(shm, { recursive: true, force: true });
    },
  };

  try {
    options.log(`starting the system in ${dataDir}${shm ? ` (the dev server's SQLite file on tmpfs, ${shm})` : ''}`);
    const bundling = bundleWorkflows(quietLogger).then(({ code }) => writeFileSync(config.workflowBundlePath!, code));
    add(temporalDevServer(provision('temporal'), config, layout));
    const db = add(ferretDb(provision('ferretdb'), ferretdbPort, layout));
    const sink = add(smtpSink(config, layout));
    await Promise.all([waitForPort(ferretdbPort, 30_000, db), waitForPort(smtpPort, 30_000, sink), waitForTemporal(config, 60_000), bundling]);
    // The Python pool starts in scenario h, which gives it a Celery app (bench/celery/tasks.py).
    for (const pool of NODE_POOL_NAMES) system.spawn(`worker-${pool}`, 'src/workers/main.ts', ['--pool', pool]);
    const api = system.spawn('api', 'src/api/main.ts', []);
    await waitForPort(apiPort, 90_000, api);
    await waitForPollers(config, 120_000);
    return system;
  } catch (error) {
    await system.stop().catch(() => undefined);
    throw new Error(`${(error as Error).message} (logs in ${layout.logDir})`);
  }
}

/** An app process as src/devservices/stack.ts makes them, plus node flags (for --cpu-prof). */
function appProcess(name: string, file: string, args: string[], config: Config, layout: StackLayout, nodeFlags: string[]): ManagedProcess {
  const entry = tsEntry(file, args);
  return new ManagedProcess({
    name,
    command: entry.command,
    args: [...nodeFlags, ...entry.args],
    env: { ...appEnv(config), ORCHESTRA_SERVICE: name, ...BENCH_APP_ENV },
    logFile: path.join(layout.logDir, `${name}.log`),
    restart: false,
  });
}

/** Attaches to a running API (--url) and its Temporal (--temporal or TEMPORAL_ADDRESS). */
export function attachSystem(apiUrl: string, temporalAddress: string, namespace: string): System {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'orchestra-bench-'));
  const layout: StackLayout = { dataDir, logDir: path.join(dataDir, 'logs'), echo: false };
  const config = { ...loadConfig(), temporal: { address: temporalAddress, namespace, uiUrl: '' } };
  const own = new Map<string, ManagedProcess>();
  return {
    apiUrl: apiUrl.replace(/\/$/, ''),
    temporalAddress,
    namespace,
    owned: false,
    dataDir,
    pids: () => Object.fromEntries([...own].filter(([, p]) => p.pid !== undefined).map(([name, p]) => [name, p.pid as number])),
    spawn: (name, file, args) => {
      const p = appProcess(name, file, args, config, layout, []);
      own.set(name, p);
      return p;
    },
    signal: (name, signal) => {
      const p = own.get(name);
      p?.kill(signal);
      return p !== undefined;
    },
    stop: async () => {
      await Promise.all([...own.values()].map((p) => p.stop(10_000)));
    },
  };
}

export function removeDataDir(system: System): void {
  if (system.dataDir) rmSync(system.dataDir, { recursive: true, force: true });
}
