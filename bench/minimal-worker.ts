/**
 * L1's worker, its own process so its CPU is apart from the driver's: the minimal
 * workflow (bundled here with bundleWorkflowCode) and a no-op activity on one task queue,
 * with the SDK's default options.
 *
 *   tsx bench/minimal-worker.ts --address 127.0.0.1:7233 --namespace default --task-queue bench-minimal
 */
import { bundleWorkflowCode, DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import type { MinimalActivities } from './workloads/minimal-workflow';

function arg(name: string, fallback?: string): string {
  const i = process.argv.indexOf(`--${name}`);
  const value = i >= 0 ? process.argv[i + 1] : fallback;
  if (value === undefined) throw new Error(`missing --${name}`);
  return value;
}

async function main(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const quiet = { log: () => undefined, trace: () => undefined, debug: () => undefined, info: () => undefined, warn: console.warn, error: console.error };
  const { code } = await bundleWorkflowCode({ workflowsPath: require.resolve('./workloads/minimal-workflow'), logger: quiet });
  const connection = await NativeConnection.connect({ address: arg('address') });
  const activities: MinimalActivities = { noop: async () => null };
  const worker = await Worker.create({
    connection,
    namespace: arg('namespace', 'default'),
    taskQueue: arg('task-queue'),
    workflowBundle: { code },
    activities,
  });
  console.log(`minimal worker polling ${worker.options.taskQueue}`);
  await worker.run();
  await connection.close();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
