/**
 * Child processes of the embedded default: spawn with logs, wait for a port, stop
 * gracefully, restart when one dies unexpectedly. Used by `npm start` and by the tests.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { projectRoot } from '../config';

export interface ServiceSpec {
  name: string;
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  /** Where stdout and stderr go (appended). */
  logFile: string;
  /** Also echo the output to this process's stdout, prefixed with the name. */
  echo?: boolean;
  /** Start again when it exits without being asked to (a kill -9, a crash), with backoff. */
  restart?: boolean;
}

/**
 * Restart backoff: 1 s after the first crash, doubling up to 30 s while it keeps dying
 * young (a server that cannot bind its port, a worker that cannot reach Temporal yet). A
 * run that lasted STABLE_MS counts as healthy and resets the delay, so a crash after hours
 * is restarted at once again.
 */
export const RESTART_BACKOFF = { initialMs: 1000, maxMs: 30_000, stableMs: 60_000 } as const;

export function restartDelayMs(consecutiveCrashes: number): number {
  return Math.min(RESTART_BACKOFF.maxMs, RESTART_BACKOFF.initialMs * 2 ** Math.max(0, consecutiveCrashes - 1));
}

/** What a supervisor reports about a restart: the console line, and a hook for tests and tools. */
export interface RestartEvent {
  name: string;
  pid: number | undefined;
  reason: string;
  delayMs: number;
  restarts: number;
}

/** Children still running; killed if this process exits without stopping them. */
const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

export class ManagedProcess {
  private child!: ChildProcess;
  private stopping = false;
  private exit!: Promise<number | null>;
  private launchedAt = 0;
  private crashesInARow = 0;
  private restartTimer: NodeJS.Timeout | undefined;
  restarts = 0;
  /** Called when it died unexpectedly and a restart is scheduled. */
  onRestart?: (event: RestartEvent) => void;

  constructor(readonly spec: ServiceSpec) {
    mkdirSync(path.dirname(spec.logFile), { recursive: true });
    this.launch();
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get exited(): Promise<number | null> {
    return this.exit;
  }

  private launch(): void {
    const { spec } = this;
    const log = createWriteStream(spec.logFile, { flags: 'a' });
    // Its own process group: a terminal's Ctrl-C reaches only the supervisor, which then
    // stops the children in order (workers before the servers they report to).
    const child = spawn(spec.command, spec.args, { cwd: projectRoot, env: { ...process.env, ...spec.env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    this.child = child;
    this.launchedAt = Date.now();
    live.add(child);
    child.once('exit', () => live.delete(child));
    for (const stream of [child.stdout!, child.stderr!]) {
      stream.pipe(log, { end: false });
      if (spec.echo) stream.on('data', (chunk: Buffer) => prefixLines(spec.name, chunk));
    }
    this.exit = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        log.end();
        if (!this.stopping && spec.restart) {
          this.crashesInARow = Date.now() - this.launchedAt >= RESTART_BACKOFF.stableMs ? 1 : this.crashesInARow + 1;
          const delayMs = restartDelayMs(this.crashesInARow);
          const reason = signal ?? `code ${code}`;
          this.restarts++;
          process.stderr.write(`[${spec.name}] exited (${reason}); starting it again in ${delayMs / 1000} s (restart ${this.restarts})\n`);
          this.onRestart?.({ name: spec.name, pid: child.pid, reason, delayMs, restarts: this.restarts });
          this.restartTimer = setTimeout(() => {
            this.restartTimer = undefined;
            if (!this.stopping) this.launch();
          }, delayMs);
        }
        resolve(code);
      });
    });
  }

  /** SIGTERM, then SIGKILL after `graceMs`. Resolves once the process has exited. */
  async stop(graceMs = 15_000): Promise<void> {
    this.stopping = true;
    clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.exit;
    clearTimeout(timer);
  }

  /** Starts it again after stop(). */
  start(): void {
    this.stopping = false;
    this.crashesInARow = 0;
    if (this.restartTimer) return; // a restart is already on its way
    this.launch();
  }

  /** Signals the process as a crash would, leaving restart to decide what follows. */
  kill(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }
}

function prefixLines(name: string, chunk: Buffer): void {
  for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) process.stdout.write(`[${name}] ${line}\n`);
}

export function portIsFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}

export async function freePort(): Promise<number> {
  return (await freePorts(1))[0];
}

/**
 * `count` distinct free ports. All are held open until every one is chosen, so no two
 * callers of one batch get the same port (asking one at a time lets the kernel hand a
 * just-released port out again).
 */
export async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<net.Server>((resolve, reject) => {
          const server = net.createServer();
          server.once('error', reject);
          server.listen(0, '127.0.0.1', () => resolve(server));
        }),
    ),
  );
  const ports = servers.map((s) => (s.address() as net.AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  return ports;
}

/** Resolves when something accepts connections on the port; rejects if `process` exits first. */
export async function waitForPort(port: number, timeoutMs: number, service?: ManagedProcess, host = '127.0.0.1'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  void service?.exited.then(() => (exited = true));
  while (Date.now() < deadline) {
    if (exited) throw new Error(`${service!.spec.name} exited before listening on ${port}; see ${service!.spec.logFile}`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, host);
      socket.once('connect', () => (socket.destroy(), resolve(true)));
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`nothing listens on ${host}:${port} after ${timeoutMs} ms${service ? `; see ${service.spec.logFile}` : ''}`);
}

/** Runs temporal/provision.sh or database/provision.sh and returns the binary's path. */
export function provision(tool: 'temporal' | 'ferretdb'): string {
  const script = tool === 'temporal' ? 'temporal/provision.sh' : 'database/provision.sh';
  try {
    return execFileSync('bash', [path.join(projectRoot, script)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
  } catch {
    throw new Error(`could not provision ${tool}: ${script} failed (its message is above)`);
  }
}

/** How the project's TypeScript entry points run: Node with tsx's loader. */
export function tsEntry(file: string, args: string[] = []): { command: string; args: string[] } {
  return { command: process.execPath, args: ['--import', 'tsx', path.join(projectRoot, file), ...args] };
}
