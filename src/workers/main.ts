/** Entry point of one worker pool: `npm run worker -- --pool ml`. */
import type { Duration } from '@temporalio/common';
import { spawn } from 'node:child_process';
import { loadConfig, type Config } from '../config';
import { pythonEnvironment, pythonPoolCommand } from '../devservices/python-pool';
import { closeActivityDeps, createActivityDeps } from '../activities';
import { connectDatabase, disconnectDatabase } from '../db/mongo';
import { initModels } from '../app/models';
import { connectWorker } from '../temporal/clients';
import { POOL_NAMES, POOLS, PYTHON_POOL, type PoolName } from '../workflows/tasks/pools';
import { checkWorkers, serveWorkerHealth } from './health';
import { logger } from '../logging';
import { createPoolWorker, createRateLimitedWorkers } from './pool';
import { installRuntime } from './runtime';
import { startTracing } from '../telemetry/start';
import { syncBuiltinSchedulesWithOwnClient } from '../schedules/startup';

function poolFromArgs(argv: string[]): PoolName {
  const index = argv.indexOf('--pool');
  const name = index >= 0 ? argv[index + 1] : process.env.WORKER_POOL;
  if (!name || !(POOL_NAMES as string[]).includes(name)) {
    console.error(`usage: npm run worker -- --pool <${POOL_NAMES.join('|')}>`);
    process.exit(2);
  }
  return name as PoolName;
}

/** The Python pool is a Python process: this one makes its environment, runs it and passes signals on. */
async function runPythonPool(config: Config): Promise<void> {
  if (!config.python.app) {
    console.error('the python pool serves a Celery app: set ORCHESTRA_PYTHON_APP=<module>:<attribute> (README, "Bring your Celery tasks")');
    process.exit(2);
  }
  const env = await pythonEnvironment(config);
  if (!env.ok) {
    console.error(`the python pool cannot start: ${env.reason}`);
    process.exit(2);
  }
  const { command, args, env: poolEnv } = pythonPoolCommand(env.python, config);
  const child = spawn(command, args, { stdio: 'inherit', env: { ...process.env, ...poolEnv } });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}

async function main(): Promise<void> {
  const pool = poolFromArgs(process.argv.slice(2));
  const config = loadConfig();
  if (pool === PYTHON_POOL) return runPythonPool(config);
  const metricsAddress = config.workerMetricsAddress(pool, POOL_NAMES.indexOf(pool));
  installRuntime(metricsAddress);
  // Before the workers are made: they take their interceptors (and the traced bundle) from it.
  const tracing = await startTracing(config, `orchestra-worker-${pool}`);
  {
    // Activities read and write the domain's data (comments, the email log, avatar images);
    // the orchestrator runs the light ones inline as local activities.
    await connectDatabase(config.mongodbUri);
    await initModels();
  }
  // Made once for this process: every worker below and every activity call share them.
  const deps = createActivityDeps(config);
  if (pool === 'ml') {
    const model = await deps.spam.model();
    logger().info({ vocabulary: model.vocabularySize, path: config.domain.spam.modelPath }, 'spam model loaded');
  }
  const connection = await connectWorker(config);
  const worker = await createPoolWorker({ config, connection, pool, shutdownGraceTime: config.workerShutdownGrace as Duration, deps });
  const limited = await createRateLimitedWorkers({ config, connection, pool, shutdownGraceTime: config.workerShutdownGrace as Duration, deps });
  for (const w of limited) logger().info({ pool, taskQueue: w.options.taskQueue }, `worker pool ${pool} polling ${w.options.taskQueue} (rate-limited task)`);
  logger().info(
    { pool, taskQueue: worker.options.taskQueue, metrics: metricsAddress ?? 'off' },
    `worker pool ${pool} polling ${worker.options.taskQueue} at ${config.temporal.address}`,
  );
  // The orchestrator keeps the built-in schedules in step too (src/schedules/builtin.ts); in the background.
  if (pool === 'orchestrator') void syncBuiltinSchedulesWithOwnClient(config, 'worker-orchestrator');
  if (config.workerHealthAddress) {
    const targets = [worker, ...limited].map((w) => ({ worker: w, kind: w === worker ? POOLS[pool].runs : ('activities' as const) }));
    serveWorkerHealth(config.workerHealthAddress, () => checkWorkers(connection, targets)).on('error', (error) =>
      logger().warn({ err: error }, 'worker health endpoint not served'),
    );
    logger().info(`worker health at http://${config.workerHealthAddress}/healthz (SDK state RUNNING and a recent poll seen by the server)`);
  }
  // Worker.run stops polling on SIGINT/SIGTERM and lets running tasks finish within the grace time.
  await Promise.all([worker.run(), ...limited.map((w) => w.run())]);
  await connection.close();
  closeActivityDeps(deps);
  await disconnectDatabase();
  await tracing?.shutdown();
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
