/**
 * The fault suite (`npm run test:faults`): the system as `npm start` runs it (the same
 * startSystem and the same supervision, on free ports in a temporary folder), a light mixed
 * load, and a kill -9 of each process in turn while that load is in flight, then a frozen
 * database: FerretDB stopped with SIGSTOP for FREEZE_MS (its sockets open, nothing
 * answering) and continued with SIGCONT. After each fault the system must come back by
 * itself, every request that got a 2xx must complete with the right result, each email must
 * arrive exactly once, and no answer may be a 5xx other than 503. Prints one table (and
 * writes it to $FAULTS_REPORT when set).
 */
import { Client, Connection } from '@temporalio/client';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, projectRoot, type Config } from '../../src/config';
import { freePorts, waitForPort, type ManagedProcess } from '../../src/devservices/processes';
import { quietLogger } from '../../src/devservices/quiet-logger';
import { DEV_SERVER_SQLITE_PRAGMAS, FERRETDB_SQLITE_PARAMS, type StackLayout } from '../../src/devservices/stack';
import { startSystem, type System } from '../../src/devservices/system';
import { POOL_NAMES } from '../../src/workflows/tasks/pools';
import { bundleWorkflows } from '../../src/workers/workflow-bundle';
import { sendLoad, verify, type Answers, type Endpoints } from './load';

interface Fault {
  /** The process it hits. */
  process: string;
  /** kill -9, or SIGSTOP for FREEZE_MS then SIGCONT. */
  kind: 'kill' | 'freeze';
}
const FAULTS: Fault[] = [
  ...['temporal', 'ferretdb', 'smtp-sink', 'api', ...POOL_NAMES.map((p) => `worker-${p}`)].map((process): Fault => ({ process, kind: 'kill' })),
  { process: 'ferretdb', kind: 'freeze' },
];
/** How long the frozen database stays frozen. */
const FREEZE_MS = 15_000;
const label = (fault: Fault) => (fault.kind === 'kill' ? `kill -9 ${fault.process}` : `${fault.process} frozen ${FREEZE_MS / 1000} s (SIGSTOP, SIGCONT)`);
const LOAD = { chains: 50, comments: 10, avatars: 3 };
/** Generous bounds that only catch a system that does not come back at all. */
const RECOVERY_LIMIT_MS = 180_000;
const COMPLETION_LIMIT_MS = 300_000;

interface Row {
  fault: string;
  inFlight: string;
  accepted: number;
  lost: number;
  duplicated: number;
  fiveHundreds: number;
  fiveOhThrees: number;
  /** The longest a 503 took to come (the frozen database's bound shows here). */
  slowest503Ms: number;
  recoverMs: number;
  details: string[];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let system: System;
let config: Config;
let layout: StackLayout;
let endpoints: Endpoints;
let temporal: Client;

beforeAll(async () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'orchestra-faults-'));
  layout = { dataDir, logDir: path.join(dataDir, 'logs'), echo: false };
  const [temporalPort, temporalUiPort, ferretdbPort, smtpPort, smtpHttpPort, apiPort] = await freePorts(6);
  // The orchestrator's bundle is built once, as `npm run build` would, so each restart is quick.
  const bundlePath = path.join(dataDir, 'workflow-bundle.js');
  writeFileSync(bundlePath, (await bundleWorkflows(quietLogger)).code);
  for (const name of ['TEMPORAL_ADDRESS', 'MONGODB_URI', 'SMTP_URL', 'TEMPORAL_UI_URL']) delete process.env[name];
  Object.assign(process.env, {
    ORCHESTRA_DATA_DIR: dataDir,
    TEMPORAL_PORT: String(temporalPort),
    TEMPORAL_UI_PORT: String(temporalUiPort),
    FERRETDB_PORT: String(ferretdbPort),
    SMTP_SINK_PORT: String(smtpPort),
    SMTP_SINK_HTTP_PORT: String(smtpHttpPort),
    API_PORT: String(apiPort),
    WORKFLOW_BUNDLE_PATH: bundlePath,
    WORKER_METRICS_ADDRESS: 'off',
    BUILTIN_SCHEDULES: 'paused',
    RATE_LIMIT_PER_MINUTE: '0',
    // The Python pool too: each chain of the load ends with a Python step (py.add).
    ORCHESTRA_PYTHON_APP: 'orchestra_test_tasks:app',
    PYTHONPATH: [path.join(projectRoot, 'examples', 'celery-app'), path.join(projectRoot, 'tests', 'fixtures', 'celery')].join(path.delimiter),
  });
  config = loadConfig();
  system = startSystem(config, layout);
  await system.ready;
  endpoints = { api: `http://127.0.0.1:${apiPort}`, inbox: `http://127.0.0.1:${smtpHttpPort}` };
  temporal = new Client({ connection: await Connection.connect({ address: config.temporal.address }), namespace: config.temporal.namespace });
}, 300_000);

afterAll(async () => {
  await temporal?.connection.close().catch(() => undefined);
  await system?.stop();
});

async function ok(url: string): Promise<boolean> {
  try {
    return (await fetch(url, { signal: AbortSignal.timeout(5000) })).status === 200;
  } catch {
    return false;
  }
}

async function until(what: string, deadline: number, probe: () => Promise<boolean>): Promise<void> {
  while (!(await probe().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`${what} did not happen within the limit`);
    await sleep(250);
  }
}

/** A chain through the API that completes: the API, Temporal, the orchestrator and the light tasks work. */
async function probeChain(tag: string): Promise<boolean> {
  const started = await fetch(`${endpoints.api}/workflows`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'idempotency-key': `fault-probe-${tag}` },
    body: JSON.stringify({
      canvas: {
        chain: [
          { task: 'add', args: [2, 3] },
          { task: 'mul', args: [4] },
        ],
      },
    }),
    signal: AbortSignal.timeout(30_000),
  });
  if (started.status !== 201 && started.status !== 200) return false;
  const result = await fetch(`${endpoints.api}/workflows/fault-probe-${tag}/result?timeout=10s`, { signal: AbortSignal.timeout(30_000) });
  return result.status === 200 && ((await result.json()) as { result?: unknown }).result === 20;
}

const pollingLines = (pool: string) => (readFileSync(path.join(layout.logDir, `worker-${pool}.log`), 'utf8').match(/polling orchestra-/g) ?? []).length;

/**
 * From the kill until the killed process is back and doing its job: started again, and
 * for a server its clients work again; for a pool, it polls again.
 */
async function waitForRecovery(name: string, victim: ManagedProcess, oldPid: number | undefined, pollingBefore: number): Promise<void> {
  const deadline = Date.now() + RECOVERY_LIMIT_MS;
  // A frozen process is continued, not restarted: its pid stays (oldPid undefined here).
  if (oldPid !== undefined) await until(`${name} restarted`, deadline, async () => victim.pid !== oldPid);
  let probes = 0;
  if (name === 'temporal' || name === 'api') {
    await until('the API ready', deadline, () => ok(`${endpoints.api}/ready`));
    await until('a chain through the API', deadline, () => probeChain(`${name}-${Date.now()}-${probes++}`));
  } else if (name === 'ferretdb') {
    await until('the API ready', deadline, () => ok(`${endpoints.api}/ready`));
    await until('POST /users', deadline, async () => {
      const tag = `probe${Date.now().toString(36)}${probes++}`;
      const reply = await fetch(`${endpoints.api}/users`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: tag, email: `${tag}@probe.example.com` }),
        signal: AbortSignal.timeout(30_000),
      });
      return reply.status === 201;
    });
  } else if (name === 'smtp-sink') {
    await waitForPort(config.dev.smtpPort, RECOVERY_LIMIT_MS);
    await until('the inbox answers', deadline, () => ok(`${endpoints.inbox}/messages`));
  } else {
    const pool = name.replace(/^worker-/, '');
    await until(`${name} polling`, deadline, async () => pollingLines(pool) > pollingBefore);
  }
}

async function faultRound(fault: Fault, index: number): Promise<Row> {
  const name = fault.process;
  const victim = system.processes.get(name);
  if (!victim) throw new Error(`no process ${name}`);
  await until('the system ready before the round', Date.now() + RECOVERY_LIMIT_MS, () => ok(`${endpoints.api}/ready`));
  const answers: Answers = { inFlight: 0, statuses: [], noAnswer: 0, slowest503Ms: 0 };
  const round = `r${index}${Date.now().toString(36)}`;
  const loadDeadline = Date.now() + RECOVERY_LIMIT_MS + 60_000;
  const load = sendLoad(endpoints, answers, { round, index, ...LOAD, deadline: loadDeadline });
  // Kill once the load is well under way: requests waiting for answers, runs open.
  await until('load under way', Date.now() + 60_000, async () => answers.statuses.length >= 25);
  const openRuns = await temporal.workflow.count('ExecutionStatus="Running"').then(
    (c) => c.count,
    () => NaN,
  );
  const httpInFlight = answers.inFlight;
  const pollingBefore = name.startsWith('worker-') ? pollingLines(name.replace(/^worker-/, '')) : 0;
  const oldPid = victim.pid;
  let faultEndedAt = Date.now();
  if (fault.kind === 'kill') victim.kill('SIGKILL');
  else {
    victim.kill('SIGSTOP');
    try {
      await sleep(FREEZE_MS);
    } finally {
      victim.kill('SIGCONT');
    }
    faultEndedAt = Date.now();
  }
  await waitForRecovery(name, victim, fault.kind === 'kill' ? oldPid : undefined, pollingBefore);
  const recoverMs = Date.now() - faultEndedAt;
  const accepted = await load;
  const outcome = await verify(endpoints, accepted, Date.now() + COMPLETION_LIMIT_MS);
  const runsOf = new Map<string, number>();
  for await (const run of temporal.workflow.list({ query: 'WorkflowType="canvas"' })) {
    if (run.workflowId.startsWith(`fault-${round}-`)) runsOf.set(run.workflowId, (runsOf.get(run.workflowId) ?? 0) + 1);
  }
  const doubleRuns = [...runsOf].filter(([, n]) => n > 1).map(([id, n]) => `run ${id} started ${n} times`);
  const fiveHundreds = answers.statuses.filter((s) => s >= 500 && s !== 503).length;
  return {
    fault: label(fault),
    inFlight: `${httpInFlight} requests, ${Number.isNaN(openRuns) ? '?' : openRuns} runs`,
    accepted: accepted.chains.length + accepted.comments.length + accepted.avatars.length,
    lost: outcome.lost.length,
    duplicated: outcome.duplicated.length + doubleRuns.length,
    fiveHundreds,
    fiveOhThrees: answers.statuses.filter((s) => s === 503).length,
    slowest503Ms: answers.slowest503Ms,
    recoverMs,
    details: [
      ...accepted.refused.map((r) => `refused: ${r}`),
      ...outcome.lost,
      ...outcome.duplicated,
      ...doubleRuns,
      ...(fiveHundreds ? [`5xx answers: ${answers.statuses.filter((s) => s >= 500 && s !== 503).join(', ')}`] : []),
    ],
  };
}

function table(rows: Row[]): string {
  const head = '| fault | in flight at the fault | accepted (2xx) | lost | duplicated | 5xx (not 503) | 503 answered | slowest 503 | time to recover |';
  const rule = '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |';
  const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  const body = rows.map(
    (r) =>
      `| ${r.fault} | ${r.inFlight} | ${r.accepted} | ${r.lost} | ${r.duplicated} | ${r.fiveHundreds} | ${r.fiveOhThrees} | ${r.fiveOhThrees ? seconds(r.slowest503Ms) : '-'} | ${seconds(r.recoverMs)} |`,
  );
  return [head, rule, ...body].join('\n');
}

/** The command line a supervised process runs with (NUL-separated in /proc). */
const commandLine = (name: string): string[] => readFileSync(`/proc/${system.processes.get(name)?.pid}/cmdline`, 'utf8').split('\0');

// The kills below prove the embedded default's durability settings (README, "Durability"):
// WAL with synchronous=NORMAL in the dev server and FerretDB, so a killed process loses nothing.
test('the dev server and FerretDB run their SQLite files in WAL mode with synchronous=NORMAL', () => {
  const temporalArgs = commandLine('temporal');
  for (const pragma of DEV_SERVER_SQLITE_PRAGMAS) expect(temporalArgs[temporalArgs.indexOf(pragma) - 1]).toBe('--sqlite-pragma');
  expect(existsSync(path.join(layout.dataDir, 'temporal', 'temporal.db-wal'))).toBe(true);
  expect(commandLine('ferretdb').find((arg) => arg.startsWith('--sqlite-url='))).toContain(FERRETDB_SQLITE_PARAMS);
  const ferretFiles = readdirSync(path.join(layout.dataDir, 'ferretdb'));
  expect(ferretFiles.some((file) => file.endsWith('.sqlite-wal'))).toBe(true);
});

test('kill -9 of each process, and a frozen database, under load: the system comes back, nothing accepted is lost or doubled, no 5xx but 503', async () => {
  const rows: Row[] = [];
  for (const [i, fault] of FAULTS.entries()) {
    const row = await faultRound(fault, i);
    rows.push(row);
    process.stdout.write(
      `fault ${i + 1}/${FAULTS.length}: ${row.fault} recovered in ${(row.recoverMs / 1000).toFixed(1)} s; lost ${row.lost}, duplicated ${row.duplicated}, 5xx ${row.fiveHundreds}, slowest 503 ${row.slowest503Ms} ms\n`,
    );
    for (const d of row.details) process.stdout.write(`  ${d}\n`);
  }
  const restarts = [...system.processes.values()].map((p) => `${p.spec.name} ${p.restarts}`).join(', ');
  const report = `${table(rows)}\n\nRestarts by the supervisor: ${restarts}. Load per fault: ${LOAD.chains} chains, ${LOAD.comments} comments with 2 mentions each (and their ${LOAD.comments * 3} users), ${LOAD.avatars} avatar uploads.\n`;
  process.stdout.write(`\n${report}\n`);
  if (process.env.FAULTS_REPORT) writeFileSync(process.env.FAULTS_REPORT, report);
  for (const row of rows) {
    expect({ fault: row.fault, lost: row.lost, duplicated: row.duplicated, fiveHundreds: row.fiveHundreds, details: row.details }).toEqual({
      fault: row.fault,
      lost: 0,
      duplicated: 0,
      fiveHundreds: 0,
      details: [],
    });
  }
});
