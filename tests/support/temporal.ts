/** Test helpers for suites that talk to the Temporal server themselves: polling, and a namespace of their own. */
import { Connection } from '@temporalio/client';
import { NativeConnection, type Worker } from '@temporalio/worker';
import type { Config } from '../../src/config';
import { createPoolWorker } from '../../src/workers/pool';
import { msToTs } from '@temporalio/common/lib/time';
import { temporal } from '@temporalio/proto';
import { SEARCH_ATTRIBUTES } from '../../src/temporal/search-attributes';

/** Reads until `done` holds or `timeoutMs` passes; answers the last value read either way. */
export async function pollUntil<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Registers `namespace` with the project's search attributes, so the app's workers and API can use it. */
export async function registerTestNamespace(connection: Connection, namespace: string): Promise<void> {
  await connection.workflowService.registerNamespace({ namespace, workflowExecutionRetentionPeriod: msToTs('1 day') });
  const IndexedValueType = temporal.api.enums.v1.IndexedValueType;
  const types = { Keyword: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD, KeywordList: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST };
  // A new namespace reaches every service of the server after a moment: retry until it does.
  await pollUntil(
    () =>
      connection.operatorService
        .addSearchAttributes({ namespace, searchAttributes: Object.fromEntries(SEARCH_ATTRIBUTES.map((a) => [a.name, types[a.type]])) })
        .then(
          () => true,
          () => false,
        ),
    (ok) => ok,
  );
}

/**
 * The orchestrator and default pools of `config`, run in this process on `config`'s
 * namespace (registered here), so a suite's own settings (a key, tracing) serve its runs
 * and the shared pools never take them. `connection` is a client connection to the server.
 */
export class NamespaceWorkers {
  private readonly running: Array<{ worker: Worker; done: Promise<void> }> = [];

  private constructor(
    readonly connection: Connection,
    private readonly native: NativeConnection,
  ) {}

  static async start(config: Config): Promise<NamespaceWorkers> {
    const connection = await Connection.connect({ address: config.temporal.address });
    await registerTestNamespace(connection, config.temporal.namespace);
    const workers = new NamespaceWorkers(connection, await NativeConnection.connect({ address: config.temporal.address }));
    for (const pool of ['orchestrator', 'default'] as const) {
      const worker = await createPoolWorker({ config, connection: workers.native, pool, shutdownGraceTime: '1s' });
      workers.running.push({ worker, done: worker.run() });
    }
    return workers;
  }

  async stop(): Promise<void> {
    for (const { worker } of this.running) worker.shutdown();
    await Promise.all(this.running.map((w) => w.done));
    await this.native.close();
    await this.connection.close();
  }
}
