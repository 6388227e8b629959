/**
 * Records the histories of tests/replay/cases.ts into tests/replay/histories/, against a
 * running server with the orchestra workers (`npm start`, or TEMPORAL_ADDRESS=...):
 *
 *   npx tsx tests/replay/record.ts
 *
 * Record without payload encryption: the replay test decodes with the default converter.
 * Re-record only on purpose: the recorded histories are what old runs look like, and the
 * replay test proves today's workflow code still replays them.
 */
import { WorkflowFailedError, type Client } from '@temporalio/client';
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../../src/config';
import { WORKFLOW_TASK_QUEUE } from '../../src/tasks/pools';
import { connectClient } from '../../src/temporal/connection';
import { CASES, workflowIdOf, type ReplayCase } from './cases';
import { historyToJson } from './history-json';

export const HISTORY_DIR = path.join(__dirname, 'histories');

/** What the replay test reads: one entry per history file. */
export interface ManifestEntry {
  file: string;
  workflowId: string;
  workflowType: string;
}

export async function recordAll(client: Client, dir = HISTORY_DIR): Promise<ManifestEntry[]> {
  mkdirSync(dir, { recursive: true });
  for (const file of readdirSync(dir)) if (file.endsWith('.json')) rmSync(path.join(dir, file));
  const manifest: ManifestEntry[] = [];
  for (const replayCase of CASES) manifest.push(...(await record(client, replayCase, dir)));
  writeFileSync(path.join(dir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}

async function record(client: Client, replayCase: ReplayCase, dir: string): Promise<ManifestEntry[]> {
  const workflowId = workflowIdOf(replayCase.name);
  const handle = await client.workflow.start(replayCase.workflowType, { taskQueue: WORKFLOW_TASK_QUEUE, workflowId, args: replayCase.args });
  if (replayCase.cancelAfterFirstResult) {
    await until(async () => (await handle.fetchHistory()).events!.some((e) => e.activityTaskCompletedEventAttributes));
    await handle.cancel();
  }
  await handle.result().catch((error: unknown) => {
    if (!(error instanceof WorkflowFailedError)) throw error; // failed and cancelled runs are cases too
  });
  const entries = [await save(client, workflowId, replayCase.workflowType, `${replayCase.name}.json`, dir)];
  if (replayCase.children === 'last') {
    const history = await handle.fetchHistory();
    const children = history.events!.filter((e) => e.startChildWorkflowExecutionInitiatedEventAttributes).map((e) => e.startChildWorkflowExecutionInitiatedEventAttributes!.workflowId!);
    const last = children[children.length - 1];
    if (!last) throw new Error(`${replayCase.name}: expected child workflows`);
    entries.push(await save(client, last, 'canvas', `${replayCase.name}.child.json`, dir));
  }
  return entries;
}

async function save(client: Client, workflowId: string, workflowType: string, file: string, dir: string): Promise<ManifestEntry> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  // One event per line: compact, and a re-recording diffs readably.
  const { events } = historyToJson(history);
  writeFileSync(path.join(dir, file), `{"events": [\n${events.map((e) => JSON.stringify(e)).join(',\n')}\n]}\n`);
  return { file, workflowId, workflowType };
}

async function until(condition: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('timed out waiting to cancel');
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

if (require.main === module) {
  (async () => {
    const client = await connectClient(loadConfig());
    const manifest = await recordAll(client);
    console.log(`recorded ${manifest.length} histories in ${HISTORY_DIR}`);
    await client.connection.close();
  })().catch((error) => {
    console.error(error);
    process.exit(1);
  });
}
