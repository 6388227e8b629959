/**
 * The Celery side of scenario (h): a venv under the cache folder with the pinned Celery,
 * a Redis on a free port in a temporary folder (durable or volatile, below), and a prefork worker
 * with concurrency 2 (acks_late, bench/celery/tasks.py). Workloads run in
 * bench/celery/driver.py, which times them and prints JSON.
 *
 * Redis and the worker run under bench/celery/watchdog.py with a pipe as stdin: when this
 * process ends, however it ends, the pipe closes and their process groups are ended.
 */
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, waitForPort } from '../../src/devservices/processes';

const HERE = __dirname;
const REQUIREMENTS = path.join(HERE, 'requirements.txt');

export type Availability = { ok: true; python3: string; redisServer: string } | { ok: false; reason: string };

function which(command: string): string | undefined {
  try {
    return execFileSync('sh', ['-c', `command -v ${command}`], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}

/** python3 and redis-server on PATH, or why the scenario is skipped. */
export function celeryAvailability(): Availability {
  const python3 = which('python3');
  const redisServer = which('redis-server');
  const missing = [python3 ? undefined : 'python3', redisServer ? undefined : 'redis-server'].filter(Boolean);
  if (python3 && redisServer) return { ok: true, python3, redisServer };
  return {
    ok: false,
    reason: `${missing.join(' and ')} not on PATH (Debian: apt-get install -y ${missing.map((m) => (m === 'python3' ? 'python3 python3-venv' : 'redis-server')).join(' ')})`,
  };
}

/** The exact Celery version requirements.txt pins (the venv's folder is named after it). */
export function pinnedCelery(): string {
  const match = /^celery(?:\[[^\]]*\])?==(\S+)/m.exec(readFileSync(REQUIREMENTS, 'utf8'));
  if (!match) throw new Error(`${REQUIREMENTS} does not pin celery==<version>`);
  return match[1];
}

/**
 * <cacheDir>/celery-venv-<version>, created with `python3 -m venv` and requirements.txt
 * installed once; a copy of the requirements inside marks a finished install. Throws
 * with pip's last lines when it cannot be made (offline, no venv module).
 */
export function ensureVenv(python3: string, cacheDir: string, log: (line: string) => void): string {
  const venv = path.join(cacheDir, `celery-venv-${pinnedCelery()}`);
  const marker = path.join(venv, 'bench-requirements.txt');
  const wanted = readFileSync(REQUIREMENTS, 'utf8');
  if (existsSync(marker) && readFileSync(marker, 'utf8') === wanted) return venv;
  log(`creating the Celery venv in ${venv} (once)`);
  rmSync(venv, { recursive: true, force: true });
  mkdirSync(cacheDir, { recursive: true });
  const run = (command: string, args: string[]) => {
    try {
      execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (error) {
      const e = error as { stdout?: string; stderr?: string; message: string };
      const tail = `${e.stdout ?? ''}${e.stderr ?? ''}`.trim().split('\n').slice(-5).join(' | ');
      throw new Error(`${path.basename(command)} ${args.slice(0, 3).join(' ')} failed: ${tail || e.message}`);
    }
  };
  run(python3, ['-m', 'venv', venv]);
  run(path.join(venv, 'bin', 'pip'), ['install', '--quiet', '-r', REQUIREMENTS]);
  writeFileSync(marker, wanted);
  return venv;
}

/**
 * How Redis keeps the broker's queue. 'durable' is Celery's durable setup and the bench's
 * anchor: the append-only file, fsynced every second (a killed Redis loses nothing, a power
 * loss up to a second), as Orchestra's embedded default is durable against a killed process.
 * 'volatile' keeps nothing on disk: a restart loses every queued task.
 */
export type RedisPersistence = 'durable' | 'volatile';

const REDIS_PERSISTENCE_ARGS: Record<RedisPersistence, string[]> = {
  durable: ['--save', '', '--appendonly', 'yes', '--appendfsync', 'everysec'],
  volatile: ['--save', '', '--appendonly', 'no'],
};

export const REDIS_PERSISTENCE_TEXT: Record<RedisPersistence, string> = {
  durable: 'Redis appendonly yes, appendfsync everysec',
  volatile: 'Redis without persistence',
};

export interface CelerySide {
  persistence: RedisPersistence;
  /** Versions of what runs: Celery, kombu, redis-py, billiard, the Redis server. */
  versions: string;
  /** One driver workload; its JSON answer. */
  run<T>(workload: string, args?: Array<string | number>): Promise<T>;
  /** PIDs of the worker (its main process and prefork children) and Redis, for CPU readings. */
  pids(): Record<string, number>;
  stop(): Promise<void>;
}

interface Guarded {
  child: ChildProcess;
  exited: Promise<void>;
}

/** A command under watchdog.py, output to a log file; stdin stays open while we live. */
function guarded(python3: string, command: string[], logFile: string, env: NodeJS.ProcessEnv, cwd: string): Guarded {
  const out = openSync(logFile, 'a');
  const child = spawn(python3, [path.join(HERE, 'watchdog.py'), ...command], { cwd, env: { ...process.env, ...env }, stdio: ['pipe', out, out] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return { child, exited };
}

/** The process group leader the watchdog started (its only child), once it exists. */
function leaderOf(watchdogPid: number | undefined): number | undefined {
  if (watchdogPid === undefined) return undefined;
  try {
    const children = readFileSync(`/proc/${watchdogPid}/task/${watchdogPid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
    return children.length ? Number(children[0]) : undefined;
  } catch {
    return undefined;
  }
}

/** Every live process whose process group is `pgid` (the prefork worker and its children). */
function groupMembers(pgid: number): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[2]) === pgid) pids.push(Number(entry));
    } catch {
      // exited meanwhile
    }
  }
  return pids;
}

export async function startCelery(options: {
  python3: string;
  redisServer: string;
  venv: string;
  persistence: RedisPersistence;
  log: (line: string) => void;
}): Promise<CelerySide> {
  const { python3, redisServer, venv, persistence, log } = options;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'orchestra-bench-celery-'));
  const port = await freePort();
  const redisUrl = `redis://127.0.0.1:${port}/0`;
  const env = { BENCH_REDIS_URL: redisUrl, PYTHONDONTWRITEBYTECODE: '1' };
  const venvPython = path.join(venv, 'bin', 'python');
  const started: Guarded[] = [];
  const stop = async (): Promise<void> => {
    // Closing stdin tells each watchdog to end its group (SIGTERM, then SIGKILL); the worker first.
    for (const g of [...started].reverse()) {
      g.child.stdin?.end();
      const timer = setTimeout(() => g.child.kill('SIGKILL'), 20_000);
      await g.exited;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const redis = guarded(
      python3,
      [redisServer, '--port', String(port), '--bind', '127.0.0.1', ...REDIS_PERSISTENCE_ARGS[persistence], '--dir', dir, '--loglevel', 'warning'],
      path.join(dir, 'redis.log'),
      {},
      dir,
    );
    started.push(redis);
    await waitForPort(port, 20_000);
    const worker = guarded(
      python3,
      [
        venvPython,
        '-m',
        'celery',
        '-A',
        'tasks',
        'worker',
        '--pool',
        'prefork',
        '--concurrency',
        '2',
        '--loglevel',
        'WARNING',
        '--without-gossip',
        '--without-mingle',
        '--without-heartbeat',
      ],
      path.join(dir, 'celery-worker.log'),
      env,
      HERE,
    );
    started.push(worker);
    const run = async <T>(workload: string, args: Array<string | number> = []): Promise<T> => {
      const stdout = await new Promise<string>((resolve, reject) =>
        execFile(
          venvPython,
          [path.join(HERE, 'driver.py'), workload, ...args.map(String)],
          { cwd: HERE, env: { ...process.env, ...env }, maxBuffer: 64 * 1024 * 1024 },
          (error, out, err) =>
            error ? reject(new Error(`celery driver ${workload}: ${(err || error.message).trim().split('\n').slice(-3).join(' | ')}`)) : resolve(out),
        ),
      );
      return JSON.parse(stdout.trim().split('\n').pop() ?? 'null') as T;
    };
    await run('ping', ['--timeout', 60]);
    const versions = execFileSync(
      venvPython,
      [
        '-c',
        'import celery, kombu, redis, billiard; print(f"Celery {celery.__version__}, kombu {kombu.__version__}, redis-py {redis.__version__}, billiard {billiard.__version__}")',
      ],
      {
        encoding: 'utf8',
      },
    ).trim();
    const serverVersion = execFileSync(redisServer, ['--version'], { encoding: 'utf8' }).match(/v=(\S+)/)?.[1] ?? '?';
    log(`Celery up: ${versions}, Redis ${serverVersion} on ${port} (${REDIS_PERSISTENCE_TEXT[persistence]}, ${dir}), prefork concurrency 2, acks_late`);
    return {
      persistence,
      versions: `${versions}, Redis server ${serverVersion}`,
      run,
      pids: () => {
        const pids: Record<string, number> = {};
        const redisPid = leaderOf(redis.child.pid);
        if (redisPid) pids.redis = redisPid;
        const leader = leaderOf(worker.child.pid);
        if (leader) for (const pid of groupMembers(leader)) pids[pid === leader ? 'celery-worker' : `celery-child-${pid}`] = pid;
        return pids;
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
