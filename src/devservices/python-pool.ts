/**
 * The Python pool's process: Temporal's Python SDK serving a Celery app's tasks
 * (python/orchestra_python), in its own virtual environment that python/setup-env.sh makes
 * under the Orchestra cache from python/requirements.txt. `npm start` starts it when
 * ORCHESTRA_PYTHON_APP is set; `npm run worker -- --pool python` runs it alone.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { projectRoot, poolConcurrency, type Config } from '../config';
import { POOLS, PYTHON_POOL } from '../workflows/tasks/pools';

const SETUP_SCRIPT = path.join(projectRoot, 'python', 'setup-env.sh');
/** setup-env.sh's exit status when no python3 >= 3.10 is there. */
const NO_PYTHON = 3;

export type PythonEnvironment = { ok: true; python: string } | { ok: false; reason: string };

/** The environment's python executable, made first if missing (about 20 s, once per requirements file). */
export async function pythonEnvironment(config: Config): Promise<PythonEnvironment> {
  try {
    const { stdout } = await promisify(execFile)('bash', [SETUP_SCRIPT], {
      env: { ...process.env, ORCHESTRA_CACHE_DIR: config.cacheDir },
      maxBuffer: 16 * 1024 * 1024,
    });
    return { ok: true, python: stdout.trim().split('\n').pop()! };
  } catch (error) {
    const failed = error as { code?: number; stderr?: string; message: string };
    const detail = (failed.stderr ?? '').trim().split('\n').pop() || failed.message;
    return { ok: false, reason: failed.code === NO_PYTHON ? detail : `python/setup-env.sh failed: ${detail}` };
  }
}

/**
 * The command that runs the pool. Python finds the pool's package in python/, and the
 * Celery app's module on PYTHONPATH or in the directory npm was started from.
 */
export function pythonPoolCommand(python: string, config: Config): { command: string; args: string[]; env: NodeJS.ProcessEnv } {
  const searchPath = [path.join(projectRoot, 'python'), process.env.PYTHONPATH, process.env.INIT_CWD ?? process.cwd()].filter(Boolean).join(path.delimiter);
  return {
    command: python,
    args: ['-m', 'orchestra_python'],
    env: {
      PYTHONPATH: searchPath,
      PYTHONUNBUFFERED: '1',
      ORCHESTRA_PYTHON_APP: config.python.app,
      ORCHESTRA_PYTHON_QUEUE: POOLS[PYTHON_POOL].queue,
      POOL_PYTHON_CONCURRENCY: String(poolConcurrency(PYTHON_POOL, POOLS[PYTHON_POOL].concurrency)),
      TEMPORAL_ADDRESS: config.temporal.address,
      TEMPORAL_NAMESPACE: config.temporal.namespace,
      MONGODB_URI: config.mongodbUri,
    },
  };
}
