/**
 * The first start's slow part: temporal/provision.sh and database/provision.sh build the
 * Temporal CLI and FerretDB from source once (minutes), then print a cached path at once.
 * Here both run as child processes, in parallel when the machine has the cores and memory
 * for two Go builds, with their noisy output (Go's download lines) sent to a log file and
 * a progress line every few seconds instead: elapsed time, what each build is doing, what
 * is left.
 */
import { spawn } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { projectRoot } from '../config';

export type Tool = 'temporal' | 'ferretdb';

const SCRIPTS: Record<Tool, string> = { temporal: 'temporal/provision.sh', ferretdb: 'database/provision.sh' };
const LABELS: Record<Tool, string> = { temporal: 'Temporal CLI', ferretdb: 'FerretDB' };

/** Two Go builds at once want about a core and 1.5 GB each; with less, one after the other is no slower. */
const PARALLEL_MIN_CORES = 2;
const PARALLEL_MIN_FREE_BYTES = 3 * 1024 ** 3;
/** Seconds without a new "go: downloading" line after which a build is taken to be compiling. */
const QUIET_MEANS_COMPILING_MS = 8000;
/** Progress ticks between two lines while nothing changes phase (with the default 10 s: every 30 s). */
const HEARTBEAT_EVERY = 3;

export interface ProvisionOptions {
  /** Where each script's own output goes: <logDir>/provision-<tool>.log. */
  logDir: string;
  /** One line of progress (already formatted with elapsed time). */
  report: (line: string) => void;
  /** What comes after the builds, for the "left" part of each line. */
  after: string[];
  /** How often a progress line is printed while a build runs. */
  intervalMs?: number;
  /** When the clock started (the start of `npm start`), for elapsed times. */
  startedAt?: number;
}

interface BuildState {
  tool: Tool;
  phase: 'waiting' | 'checking' | 'downloading' | 'compiling' | 'done';
  building: boolean;
  downloads: number;
  lastDownloadAt: number;
  startedAt: number;
  finishedAt?: number;
}

export function elapsed(sinceMs: number, now = Date.now()): string {
  const seconds = Math.max(0, Math.round((now - sinceMs) / 1000));
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`;
}

/** Whether two builds may run at once here, and why (printed when they may not). */
export function parallelBuilds(cores = os.availableParallelism(), freeBytes = os.freemem()): { parallel: boolean; reason: string } {
  if (cores < PARALLEL_MIN_CORES) return { parallel: false, reason: `${cores} core: one build at a time` };
  if (freeBytes < PARALLEL_MIN_FREE_BYTES) return { parallel: false, reason: `${(freeBytes / 1024 ** 3).toFixed(1)} GB free memory: one build at a time` };
  return { parallel: true, reason: `${cores} cores, ${(freeBytes / 1024 ** 3).toFixed(1)} GB free: both builds at once` };
}

/** The line describing one build's state. */
function describe(state: BuildState, now: number): string {
  const name = LABELS[state.tool];
  switch (state.phase) {
    case 'waiting':
      return `${name} waiting for the other build`;
    case 'checking':
      return `${name} looking for a built binary`;
    case 'downloading':
      return `${name} downloading Go modules (${state.downloads} so far)`;
    case 'compiling':
      return `${name} compiling (${state.downloads} modules downloaded, ${elapsed(state.startedAt, now)} in)`;
    case 'done':
      return `${name} ${state.building ? `built in ${elapsed(state.startedAt, state.finishedAt)}` : 'ready (cached)'}`;
  }
}

/**
 * Runs the provision scripts for `tools` and resolves with each binary's path. Prints
 * nothing when every binary is already built (the scripts answer at once); otherwise a
 * line when a build starts, one every `intervalMs`, and one when each finishes.
 */
export async function provisionAll(tools: Tool[], options: ProvisionOptions): Promise<Record<Tool, string>> {
  const startedAt = options.startedAt ?? Date.now();
  const interval = options.intervalMs ?? 10_000;
  mkdirSync(options.logDir, { recursive: true });
  const { parallel, reason } = parallelBuilds();
  const states = new Map<Tool, BuildState>(
    tools.map((tool) => [tool, { tool, phase: 'waiting', building: false, downloads: 0, lastDownloadAt: 0, startedAt: Date.now() }]),
  );
  let announced = false;

  const line = () => {
    const now = Date.now();
    const running = [...states.values()].map((s) => describe(s, now)).join('; ');
    const pending = [...states.values()].filter((s) => s.phase !== 'done').map((s) => LABELS[s.tool]);
    const left = [...(pending.length ? [`finish ${pending.join(' and ')}`] : []), ...options.after];
    return `[${elapsed(startedAt, now)}] ${running}. Left: ${left.join(', ')}.`;
  };

  // A line when a build changes phase, else one every HEARTBEAT_EVERY ticks: alive, not chatty.
  let lastPhases = '';
  let quietTicks = 0;
  const ticker = setInterval(() => {
    const now = Date.now();
    for (const s of states.values()) if (s.phase === 'downloading' && now - s.lastDownloadAt > QUIET_MEANS_COMPILING_MS) s.phase = 'compiling';
    const phases = [...states.values()].map((s) => s.phase).join();
    if (!announced || (phases === lastPhases && ++quietTicks < HEARTBEAT_EVERY)) return;
    lastPhases = phases;
    quietTicks = 0;
    options.report(line());
  }, interval);
  ticker.unref();

  const announce = (state: BuildState) => {
    if (!announced) {
      announced = true;
      options.report(
        `[${elapsed(startedAt)}] first start: building the servers from source into the cache (once; later starts skip this). ${parallel || tools.length < 2 ? '' : `${reason}. `}` +
          `Build output: ${path.join(options.logDir, 'provision-*.log')}`,
      );
    }
    options.report(`[${elapsed(startedAt)}] ${LABELS[state.tool]}: building from source`);
  };

  const run = (tool: Tool) =>
    new Promise<string>((resolve, reject) => {
      const state = states.get(tool)!;
      state.phase = 'checking';
      state.startedAt = Date.now();
      const logFile = path.join(options.logDir, `provision-${tool}.log`);
      const log = createWriteStream(logFile, { flags: 'a' });
      const child = spawn('bash', [path.join(projectRoot, SCRIPTS[tool])], { cwd: projectRoot, env: process.env, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let buffered = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
      child.stderr.pipe(log, { end: false });
      child.stderr.on('data', (chunk: Buffer) => {
        buffered += chunk.toString('utf8');
        const lines = buffered.split('\n');
        buffered = lines.pop() ?? '';
        for (const text of lines) {
          if (/^Building /.test(text)) {
            state.building = true;
            state.phase = 'downloading';
            state.lastDownloadAt = Date.now();
            announce(state);
          } else if (/^go: downloading /.test(text)) {
            state.downloads++;
            state.lastDownloadAt = Date.now();
            state.phase = 'downloading';
          }
        }
      });
      child.once('error', reject);
      // 'close', not 'exit': the path is the script's last line on stdout, and 'exit' can
      // come before the pipe is drained (seen: an empty path, then spawn('') failing).
      child.once('close', (code) => {
        log.end();
        state.phase = 'done';
        state.finishedAt = Date.now();
        if (code !== 0)
          return reject(
            new Error(`could not provision ${tool}: ${SCRIPTS[tool]} failed; its output is in ${logFile}${buffered ? ` (last: ${buffered.trim()})` : ''}`),
          );
        if (state.building) options.report(`[${elapsed(startedAt)}] ${describe(state, Date.now())}`);
        resolve(stdout.trim().split('\n').pop() ?? '');
      });
    });

  try {
    const paths: Partial<Record<Tool, string>> = {};
    if (parallel) {
      const results = await Promise.all(tools.map(run));
      tools.forEach((tool, i) => (paths[tool] = results[i]));
    } else {
      for (const tool of tools) paths[tool] = await run(tool);
    }
    return paths as Record<Tool, string>;
  } finally {
    clearInterval(ticker);
  }
}
