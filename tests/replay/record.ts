/**
 * Records the histories of tests/replay/cases.ts into tests/replay/histories/, against a
 * running server with the orchestra workers (`npm start`, or TEMPORAL_ADDRESS=...):
 *
 *   npx tsx tests/replay/record.ts              # the cases that have no history yet
 *   npx tsx tests/replay/record.ts local-chain  # these cases, again
 *
 * Record without payload encryption: the replay test decodes with the default converter.
 * Histories already recorded are kept: they are what old runs look like (the first ones
 * predate local activities), and the replay test proves today's workflow code still
 * replays them. Re-record one only on purpose, by name.
 */
import { WorkflowFailedError, type Client } from '@temporalio/client';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../../src/config';
import { WORKFLOW_TASK_QUEUE } from '../../src/workflows/tasks/pools';
import { connectClient } from '../../src/temporal/clients';
import { CASES, workflowIdOf, type ReplayCase } from './cases';
import { historyToJson } from './history-json';

export const HISTORY_DIR = path.join(__dirname, 'histories');

/** What the replay test reads: one entry per history file. */
export interface ManifestEntry {
  file: string;
  workflowId: string;
  workflowType: string;
}

/**
 * Records the named cases (by default every case without a history file yet) and adds
 * them to the manifest, replacing their earlier entries; every other history stays.
 */
export async function recordCases(client: Client, names: string[] = [], dir = HISTORY_DIR): Promise<ManifestEntry[]> {
  mkdirSync(dir, { recursive: true });
  const unknown = names.filter((name) => !CASES.some((c) => c.name === name));
  if (unknown.length) throw new Error(`no such replay case: ${unknown.join(', ')}`);
  const chosen = names.length ? CASES.filter((c) => names.includes(c.name)) : CASES.filter((c) => !existsSync(path.join(dir, `${c.name}.json`)));
  const manifestPath = path.join(dir, 'manifest.json');
  let manifest: ManifestEntry[] = existsSync(manifestPath) ? (JSON.parse(readFileSync(manifestPath, 'utf8')) as ManifestEntry[]) : [];
  for (const replayCase of chosen) {
    const entries = await record(client, replayCase, dir);
    const files = new Set(entries.map((e) => e.file));
    manifest = [...manifest.filter((e) => !files.has(e.file) && !e.file.startsWith(`${replayCase.name}.`)), ...entries];
    writeFileSync(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
  }
  return chosen.length ? manifest.filter((e) => chosen.some((c) => e.file.startsWith(`${c.name}.`))) : [];
}

async function record(client: Client, replayCase: ReplayCase, dir: string): Promise<ManifestEntry[]> {
  const workflowId = workflowIdOf(replayCase.name);
  const handle = await client.workflow.start(replayCase.workflowType, { taskQueue: WORKFLOW_TASK_QUEUE, workflowId, args: replayCase.args });
  for (const event of replayCase.events ?? []) await handle.signal('event', event);
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
    const children = history
      .events!.filter((e) => e.startChildWorkflowExecutionInitiatedEventAttributes)
      .map((e) => e.startChildWorkflowExecutionInitiatedEventAttributes!.workflowId!);
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
    const recorded = await recordCases(client, process.argv.slice(2));
    console.log(`recorded ${recorded.length} histories in ${HISTORY_DIR}: ${recorded.map((e) => e.file).join(', ') || 'none needed'}`);
    await client.connection.close();
  })().catch((error) => {
    console.error(error);
    process.exit(1);
  });
}
