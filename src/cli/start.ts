/**
 * `npm start`: the whole system on one machine with no Docker. Starts the Temporal dev
 * server, FerretDB and the SMTP sink (each unless the environment points at one), every
 * worker pool and the API; prints where each listens; Ctrl-C stops them all. Data lives
 * under data/ (ORCHESTRA_DATA_DIR), so the next start resumes where this one stopped.
 */
import { mkdirSync, watch } from 'node:fs';
import path from 'node:path';
import { loadConfig, projectRoot, type Config } from '../config';
import { freePortOrExplain } from './ports';
import { provision, waitForPort, type ManagedProcess } from '../devservices/processes';
import { api, ferretDb, smtpSink, temporalDevServer, waitForPollers, waitForTemporal, workerPool, type StackLayout } from '../devservices/stack';
import { POOL_NAMES, POOLS } from '../tasks/pools';

async function main(): Promise<void> {
  process.env.ORCHESTRA_LOG_PRETTY ??= 'true';
  const config = loadConfig();
  const layout: StackLayout = { dataDir: config.dataDir, logDir: path.join(config.dataDir, 'logs'), echo: true };
  mkdirSync(layout.logDir, { recursive: true });
  const lines: string[] = [];
  const infra: ManagedProcess[] = [];
  const apps: ManagedProcess[] = [];
  let stopping = false;

  const stopAll = async (code: number) => {
    if (stopping) return;
    stopping = true;
    console.log('\nstopping: API and workers first (running tasks may finish), then the servers...');
    await Promise.all(apps.map((p) => p.stop(35_000)));
    await Promise.all(infra.map((p) => p.stop(15_000)));
    console.log('stopped; `npm start` resumes from data in', config.dataDir);
    process.exit(code);
  };
  process.on('SIGINT', () => void stopAll(0));
  process.on('SIGTERM', () => void stopAll(0));

  try {
    await checkPorts(config);
    if (!config.external.temporal) {
      const binary = provision('temporal');
      infra.push(temporalDevServer(binary, config, layout));
      lines.push(`temporal    ${config.temporal.address}  (dev server, SQLite in ${path.join(config.dataDir, 'temporal')})`);
      lines.push(`temporal ui ${config.temporal.uiUrl}`);
    } else {
      lines.push(`temporal    ${config.temporal.address}  (TEMPORAL_ADDRESS)`);
    }
    if (!config.external.mongodb) {
      const binary = provision('ferretdb');
      const db = ferretDb(binary, config.dev.ferretdbPort, layout);
      infra.push(db);
      lines.push(`mongodb     ${config.mongodbUri}  (FerretDB on SQLite in ${path.join(config.dataDir, 'ferretdb')})`);
      await waitForPort(config.dev.ferretdbPort, 30_000, db);
    } else {
      lines.push(`mongodb     ${config.mongodbUri}  (MONGODB_URI)`);
    }
    if (!config.external.smtp) {
      const sink = smtpSink(config, layout);
      infra.push(sink);
      lines.push(`smtp        ${config.smtpUrl}  (sink; inbox at http://127.0.0.1:${config.dev.smtpHttpPort})`);
      await waitForPort(config.dev.smtpPort, 30_000, sink);
    } else {
      lines.push(`smtp        ${config.smtpUrl}  (SMTP_URL)`);
    }
    await waitForTemporal(config, 60_000);

    for (const pool of POOL_NAMES) {
      apps.push(workerPool(pool, config, layout));
      lines.push(`worker      ${pool.padEnd(12)} queue ${POOLS[pool].queue}`);
    }
    const server = api(config, layout);
    apps.push(server);
    lines.push(`api         http://${config.api.host}:${config.api.port}  (docs at /docs, development mode: no API keys)`);
    await waitForPort(config.api.port, 60_000, server, config.api.host);
    await waitForPollers(config, 120_000);
  } catch (error) {
    console.error(`\ncannot start: ${(error as Error).message}`);
    await stopAll(1);
    return;
  }
  console.log(`\nOrchestra is up (logs in ${layout.logDir}):\n${lines.map((l) => `  ${l}`).join('\n')}\n\nCtrl-C stops everything.`);
  if (process.argv.includes('--watch')) watchSources(apps);
}

/**
 * `npm run dev`: restart the API and the workers when a source file changes (Celery's
 * auto-reload), leaving the Temporal server and the database running. A worker stopping
 * for a reload lets its running tasks finish, as on any graceful shutdown.
 */
function watchSources(apps: ManagedProcess[]): void {
  let timer: NodeJS.Timeout | undefined;
  let restarting = Promise.resolve();
  watch(path.join(projectRoot, 'src'), { recursive: true }, (_event, file) => {
    if (!file || !file.endsWith('.ts')) return;
    clearTimeout(timer);
    timer = setTimeout(() => {
      restarting = restarting.then(async () => {
        console.log(`\n${file} changed: restarting the API and the workers`);
        await Promise.all(apps.map((p) => p.stop(35_000)));
        apps.forEach((p) => p.start());
      });
    }, 300);
  });
  console.log('watching src/ for changes');
}

/** Every port this start will bind must be free; if not, say which and how to move it. */
async function checkPorts(config: Config): Promise<void> {
  const wanted: Array<[number, string, string]> = [[config.api.port, 'the API', 'API_PORT']];
  if (!config.external.temporal) {
    wanted.push([config.dev.temporalPort, 'the Temporal dev server', 'TEMPORAL_PORT'], [config.dev.temporalUiPort, 'the Temporal Web UI', 'TEMPORAL_UI_PORT']);
  }
  if (!config.external.mongodb) wanted.push([config.dev.ferretdbPort, 'FerretDB', 'FERRETDB_PORT (or set MONGODB_URI to a MongoDB you run)']);
  if (!config.external.smtp) {
    wanted.push([config.dev.smtpPort, 'the SMTP sink', 'SMTP_SINK_PORT (or set SMTP_URL)'], [config.dev.smtpHttpPort, 'the SMTP sink inbox', 'SMTP_SINK_HTTP_PORT']);
  }
  const problems = (await Promise.all(wanted.map(([port, what, env]) => freePortOrExplain(port, what, env)))).filter(Boolean);
  if (problems.length) throw new Error(`\n  ${problems.join('\n  ')}\n(is another \`npm start\` running?)`);
}

void main();
