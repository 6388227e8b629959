/**
 * `npm start`: the whole system on one machine with no Docker. Starts the Temporal dev
 * server, FerretDB and the SMTP sink (each unless the environment points at one), every
 * worker pool and the API; prints where each listens; Ctrl-C stops them all. Data lives
 * under data/ (ORCHESTRA_DATA_DIR), so the next start resumes where this one stopped.
 * Any process that dies (a server too) is started again, with backoff.
 */
import { mkdirSync, watch } from 'node:fs';
import path from 'node:path';
import { loadConfig, projectRoot, type Config } from '../config';
import { freePortOrExplain } from './ports';
import type { ManagedProcess } from '../devservices/processes';
import type { StackLayout } from '../devservices/stack';
import { startSystem } from '../devservices/system';
import { elapsed } from '../devservices/provisioning';

async function main(): Promise<void> {
  process.env.ORCHESTRA_LOG_PRETTY ??= 'true';
  const config = loadConfig();
  const layout: StackLayout = { dataDir: config.dataDir, logDir: path.join(config.dataDir, 'logs'), echo: true };
  mkdirSync(layout.logDir, { recursive: true });
  try {
    await checkPorts(config);
  } catch (error) {
    console.error(`\ncannot start: ${(error as Error).message}`);
    process.exit(1);
  }
  // Every process, servers included, is started again when it dies (with backoff; see
  // src/devservices/processes.ts); the line saying so is printed as it happens.
  const startedAt = Date.now();
  const system = startSystem(config, layout, { startedAt, onLine: (line) => console.log(`  ${line}`), onProgress: (line) => console.log(line) });
  let stopping = false;
  const stopAll = async (code: number) => {
    if (stopping) return;
    stopping = true;
    console.log('\nstopping: API and workers first (running tasks may finish), then the servers...');
    await system.stop();
    console.log('stopped; `npm start` resumes from data in', config.dataDir);
    process.exit(code);
  };
  process.on('SIGINT', () => void stopAll(0));
  process.on('SIGTERM', () => void stopAll(0));

  try {
    await system.ready;
  } catch (error) {
    if (stopping) return;
    console.error(`\ncannot start: ${(error as Error).message}`);
    await stopAll(1);
    return;
  }
  console.log(
    `\nOrchestra is up after ${elapsed(startedAt)} (logs in ${layout.logDir}):\n${system.lines.map((l) => `  ${l}`).join('\n')}\n\nCtrl-C stops everything.`,
  );
  if (process.argv.includes('--watch')) watchSources(system.apps);
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
    wanted.push(
      [config.dev.smtpPort, 'the SMTP sink', 'SMTP_SINK_PORT (or set SMTP_URL)'],
      [config.dev.smtpHttpPort, 'the SMTP sink inbox', 'SMTP_SINK_HTTP_PORT'],
    );
  }
  const problems = (await Promise.all(wanted.map(([port, what, env]) => freePortOrExplain(port, what, env)))).filter(Boolean);
  if (problems.length) throw new Error(`\n  ${problems.join('\n  ')}\n(is another \`npm start\` running?)`);
}

void main();
