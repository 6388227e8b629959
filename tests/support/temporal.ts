/** Test helpers for suites that talk to the Temporal server themselves: polling, and a namespace of their own. */
import type { Connection } from '@temporalio/client';
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
