/**
 * `npm run bench`: starts the whole system on free ports in a temporary folder (or uses
 * the one at --url), warms up, runs the scenarios of docs' "Performance" section
 * interleaved with their reference points, and writes bench/results/<date>.json and .md.
 * Every headline figure is a ratio of two things measured in the same rounds.
 */
import { Client, Connection } from '@temporalio/client';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { provision } from '../src/devservices/processes';
import { parseArgs, type ScenarioId } from './args';
import type { BenchContext } from './context';
import { DEFAULT_PLAN, fixedReductions, ISSUE_COUNTS, QUICK_PLAN } from './counts';
import { fingerprint, loadAverage, printFingerprint } from './fingerprint';
import { HttpClient } from './load';
import { OrchestraApi } from './orchestra';
import { formatSummary, profileFiles, summarize } from './profile-summary';
import { startReferences } from './references';
import { ScenarioBuilder, toMarkdown, writeReport, type BenchReport, type ScenarioResult } from './report';
import { apiLatency } from './scenarios/api-latency';
import { appScale } from './scenarios/app-scale';
import { apiOverhead } from './scenarios/api-overhead';
import { bigFanOut } from './scenarios/big-fanout';
import { celery } from './scenarios/celery';
import { chains } from './scenarios/chains';
import { fanOut } from './scenarios/fanout';
import { spam } from './scenarios/spam';
import { thumbnails } from './scenarios/thumbnails';
import { attachSystem, removeDataDir, startSystem, type System } from './stack';
import { warmUp } from './warmup';

const SCENARIOS: Record<ScenarioId, (ctx: BenchContext) => Promise<ScenarioResult>> = {
  a: apiOverhead,
  b: chains,
  c: fanOut,
  d: thumbnails,
  e: spam,
  f: apiLatency,
  g: bigFanOut,
  h: celery,
  i: appScale,
};

const RESULTS_DIR = path.join(__dirname, 'results');

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const plan = args.quick ? QUICK_PLAN : args.issueCounts ? ISSUE_COUNTS : DEFAULT_PLAN;
  const reduced = args.quick ? ['--quick: every count scaled down for a smoke run; not for comparison.'] : fixedReductions(plan);
  const t0 = performance.now();
  const log = (line: string) => console.log(`[${((performance.now() - t0) / 1000).toFixed(1).padStart(5)} s] ${line}`);
  const startedAt = new Date();
  const stamp = startedAt
    .toISOString()
    .replace(/:/g, '-')
    .replace(/\.\d+Z$/, 'Z');
  let temporalBinary: string | undefined;
  try {
    temporalBinary = provision('temporal');
  } catch {
    temporalBinary = undefined;
  }
  const fp = fingerprint(temporalBinary);
  printFingerprint(fp, log);
  for (const line of reduced) log(`reduced: ${line}`);

  const profileDir = args.profile.length ? mkdtempSync(path.join(os.tmpdir(), `orchestra-bench-profiles-`)) : undefined;
  const nodeFlags = Object.fromEntries(args.profile.map((name) => [name, ['--cpu-prof', `--cpu-prof-dir=${path.join(profileDir!, name)}`]]));
  const system: System = args.url ? attachSystem(args.url, args.temporal, args.namespace) : await startSystem({ temporalDb: args.temporalDb, nodeFlags, log });
  log(
    args.url
      ? `using the running system at ${system.apiUrl} (Temporal ${system.temporalAddress})`
      : `system up: API ${system.apiUrl}, Temporal ${system.temporalAddress}`,
  );

  let failed = false;
  const scenarios: ScenarioResult[] = [];
  /** When the scenarios ran (after warm-up): the window the profiles are summarized over. */
  const measured = { from: 0, to: Infinity };
  const connection = await Connection.connect({ address: system.temporalAddress });
  const http = new HttpClient(system.apiUrl);
  try {
    const refs = await startReferences(system);
    log(`references up: minimal worker on ${refs.minimalQueue}, trivial Koa at ${refs.trivialUrl}`);
    const ctx: BenchContext = {
      plan,
      system,
      client: new Client({ connection, namespace: system.namespace }),
      api: new OrchestraApi(http),
      refs,
      log,
      shared: {},
    };
    log('warming up');
    await warmUp(ctx);
    measured.from = Date.now();
    for (const id of args.only) {
      log(`scenario ${id}`);
      try {
        const result = await SCENARIOS[id](ctx);
        scenarios.push(result);
        log(result.status === 'ok' ? `scenario ${id} done in ${result.seconds} s` : `scenario ${id} ${result.status}: ${result.reason}`);
        if (result.status === 'skipped') console.log(`skipped: ${result.reason}`);
      } catch (error) {
        failed = true;
        scenarios.push(new ScenarioBuilder(id, `scenario ${id}`).failed((error as Error).message.split('\n')[0]));
        log(`scenario ${id} FAILED: ${(error as Error).message}`);
      }
    }
    measured.to = Date.now();
    refs.trivial.close();
  } catch (error) {
    failed = true;
    log(`stopped early: ${(error as Error).message}`);
  } finally {
    http.close();
    await connection.close().catch(() => undefined);
  }

  fp.loadAfter = loadAverage();
  const report: BenchReport = {
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    totalSeconds: Math.round((performance.now() - t0) / 1000),
    mode: args.quick ? 'quick' : args.issueCounts ? 'issue counts' : 'default',
    target:
      (args.url ? `the running system at ${args.url}` : `a system started for the run (dev server SQLite on ${args.temporalDb})`) +
      (args.profile.length ? `; ${args.profile.join(', ')} under --cpu-prof, so these figures are perturbed` : ''),
    fingerprint: fp,
    reductions: [...reduced, ...scenarios.flatMap((s) => s.shortfalls)],
    scenarios,
  };
  log('stopping the system');
  await system.stop();
  report.totalSeconds = Math.round((performance.now() - t0) / 1000);
  const files = writeReport(report, RESULTS_DIR, stamp);
  console.log(`\n${toMarkdown(report)}`);
  console.log(`load average after: ${fp.loadAfter.join(' ')}; total ${report.totalSeconds} s`);
  console.log(`wrote ${path.relative(process.cwd(), files.json)} and ${path.relative(process.cwd(), files.markdown)}`);

  if (profileDir) {
    const summaries = profileFiles(profileDir).map((file) => formatSummary(summarize(file, 25, measured), path.relative(profileDir, file)));
    const summaryFile = path.join(RESULTS_DIR, `${stamp}-profile.md`);
    mkdirSync(RESULTS_DIR, { recursive: true });
    const window = `${new Date(measured.from).toISOString()} to ${Number.isFinite(measured.to) ? new Date(measured.to).toISOString() : 'the end'}`;
    writeFileSync(
      summaryFile,
      `# CPU profiles, ${report.startedAt} (scenarios ${args.only.join(', ')}; samples from ${window}, after warm-up)\n\n${summaries.join('\n')}`,
    );
    console.log(`\n${summaries.join('\n')}\nprofiles in ${profileDir}; summary in ${path.relative(process.cwd(), summaryFile)}`);
  }
  if (failed) console.log(`logs kept in ${system.dataDir}`);
  else removeDataDir(system);
  process.exit(failed ? 1 : 0);
}

main().catch((error: unknown) => {
  console.error((error as Error).message);
  process.exit(1);
});
