/**
 * Determinism over time: the recorded histories of tests/replay/histories/ (see record.ts)
 * must replay on today's workflow code. A DeterminismViolationError here means a change
 * to the interpreter would break runs that are in flight when it is deployed: make it
 * compatible (or guard it with `patched()`), do not re-record to hide it.
 */
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { bundleWorkflows } from '../../src/workers/workflow-bundle';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { historyFromJson } from './history-json';
import { HISTORY_DIR, type ManifestEntry } from './record';

try {
  // Replay logs every worker state change at INFO; only problems matter here.
  Runtime.install({ logger: new DefaultLogger('WARN') });
} catch {
  // Another test in this process installed the runtime first: keep it.
}

const manifest = JSON.parse(readFileSync(path.join(HISTORY_DIR, 'manifest.json'), 'utf8')) as ManifestEntry[];

test('every recorded history replays without a determinism violation', async () => {
  expect(manifest.length).toBeGreaterThanOrEqual(10);
  const histories = manifest.map((entry) => ({
    workflowId: entry.workflowId,
    history: historyFromJson(JSON.parse(readFileSync(path.join(HISTORY_DIR, entry.file), 'utf8'))),
  }));
  const failures: string[] = [];
  let replayed = 0;
  for await (const result of Worker.runReplayHistories({ workflowBundle: await bundleWorkflows(), replayName: 'orchestra-replay' }, histories)) {
    replayed++;
    if (result.error) failures.push(`${result.workflowId}: ${result.error.name}: ${result.error.message}`);
  }
  expect(failures).toEqual([]);
  expect(replayed).toBe(manifest.length);
  // Both generations stay covered: runs from before 'orchestra-local-activities' (remote
  // activities only, no patch marker) and runs with light tasks as local activities.
  const markers = histories.map(({ history }) => history.events!.flatMap((e) => (e.markerRecordedEventAttributes ? [e.markerRecordedEventAttributes] : [])));
  const patchIds = (list: (typeof markers)[number]) =>
    list
      .filter((m) => m.markerName === 'core_patch')
      .map((m) => (JSON.parse(Buffer.from(m.details!['patch-data'].payloads![0].data!).toString('utf8')) as { id: string }).id);
  expect(markers.filter((list) => !patchIds(list).includes('orchestra-local-activities')).length).toBeGreaterThanOrEqual(10);
  expect(markers.filter((list) => list.some((m) => m.markerName === 'core_local_activity')).length).toBeGreaterThanOrEqual(6);
}, 120_000);
