/**
 * Tracing may be turned on with runs in flight (README, "Tracing"): every recorded history,
 * written by orchestrators without tracing, replays on the traced workflow bundle (the same
 * workflows with Temporal's OpenTelemetry workflow interceptors) without a determinism
 * violation. The other way, a traced run replayed on the plain bundle, is checked in
 * tests/integration/tracing.test.ts.
 */
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { bundleWorkflows } from '../../src/workers/workflow-bundle';
import { quietLogger } from '../../src/devservices/quiet-logger';
import { historyFromJson } from './history-json';
import { HISTORY_DIR, type ManifestEntry } from './record';

try {
  Runtime.install({ logger: new DefaultLogger('WARN') });
} catch {
  // Another test in this process installed the runtime first: keep it.
}

const manifest = JSON.parse(readFileSync(path.join(HISTORY_DIR, 'manifest.json'), 'utf8')) as ManifestEntry[];

test('every recorded history replays on the traced workflow bundle', async () => {
  const traced = await bundleWorkflows(quietLogger, { traced: true });
  // The interceptors are really in it.
  expect(traced.code).toContain('OpenTelemetryInboundInterceptor');
  const histories = manifest.map((entry) => ({
    workflowId: entry.workflowId,
    history: historyFromJson(JSON.parse(readFileSync(path.join(HISTORY_DIR, entry.file), 'utf8'))),
  }));
  const failures: string[] = [];
  let replayed = 0;
  // The sink the sandbox's spans go to, as a traced worker has it (replay calls none of it).
  const sinks = { exporter: { export: { fn: () => undefined } } };
  for await (const result of Worker.runReplayHistories({ workflowBundle: traced, replayName: 'orchestra-traced-replay', sinks }, histories)) {
    replayed++;
    if (result.error) failures.push(`${result.workflowId}: ${result.error.name}: ${result.error.message}`);
  }
  expect(failures).toEqual([]);
  expect(replayed).toBe(manifest.length);
}, 120_000);
