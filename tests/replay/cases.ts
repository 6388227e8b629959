/**
 * The representative runs whose histories tests/replay/replay.test.ts replays: every
 * node kind, failures, the errback, cancellation, timers, retries, delegation to child
 * workflows, and a code workflow built with the builders.
 */
type Node = Record<string, unknown>;
const t = (task: string, ...args: unknown[]): Node => ({ task, args });

export interface ReplayCase {
  name: string;
  workflowType: 'canvas' | 'arithmeticDemo' | 'debouncer';
  args: unknown[];
  /** Cancel the run once one of its activities has completed. */
  cancelAfterFirstResult?: boolean;
  /** Record the histories of the child workflows too (the last one only: the rest are alike). */
  children?: 'last';
  /** Events sent (signal `event`) right after the start, before the run reaches its wait nodes. */
  events?: Array<{ name: string; payload: unknown }>;
}

const canvas = (name: string, request: Node, extra: Partial<ReplayCase> = {}): ReplayCase => ({ name, workflowType: 'canvas', args: [request], ...extra });

export const CASES: ReplayCase[] = [
  canvas('chain', { canvas: { chain: [t('add', 4, 5), t('add', 6), t('mul', 7)] } }),
  canvas('group', { canvas: { chain: [t('add', 1, 1), { group: [t('mul', 2), t('mul', 3)], maxConcurrency: 1 }] } }),
  canvas('chord', {
    canvas: {
      chain: [{ chord: { header: [t('add', 2, 2), t('add', 4, 4)], body: t('xsum') } }, { chain: [{ group: [t('add', 1), t('add', 2)] }, t('xsum')] }],
    },
  }),
  canvas('map', {
    canvas: {
      chain: [
        t('noop', [
          [1, 2],
          [3, 4],
        ]),
        { map: { task: 'add', spread: true } },
        { map: { task: 'mul', args: [10], kwargs: {} } },
      ],
    },
  }),
  canvas('nested', {
    canvas: {
      chain: [
        t('add', 1, 1),
        {
          group: [
            { chain: [t('mul', 3), t('add', 1)] },
            { chord: { header: [t('add', 1), t('add', 2)], body: t('xsum') } },
            { map: { task: 'divide', items: [4, 8], kwargs: { y: 2 } } },
          ],
          settle: true,
        },
      ],
    },
  }),
  canvas('options', {
    canvas: {
      chain: [
        { ...t('flaky', 1), options: { retry: { initialInterval: '200ms' } } },
        { ...t('add', 1), options: { delay: '1s' } },
      ],
    },
    defaults: { startToCloseTimeout: '20s' },
  }),
  canvas('failure', { canvas: { chain: [t('add', 1, 1), { ...t('divide', 0), id: 'the-division' }, t('mul', 2)] } }),
  canvas('fail-fast', { canvas: { group: [t('sleep', 30_000), t('divide', 1, 0)] }, onError: { task: 'noop' } }),
  canvas('settle', {
    canvas: {
      map: {
        task: 'divide',
        items: [
          [1, 1],
          [1, 0],
        ],
        spread: true,
        settle: true,
      },
    },
  }),
  canvas(
    'cancel',
    {
      canvas: { chain: [{ group: [{ ...t('sleep', 60_000), options: { heartbeatTimeout: '2s' } }, t('add', 1, 1)] }, t('noop')] },
      onError: { task: 'noop', onCancel: true },
    },
    { cancelAfterFirstResult: true },
  ),
  canvas(
    'delegation',
    { canvas: { chain: [t('noop', 2), { map: { task: 'mul', items: Array.from({ length: 503 }, (_, i) => i), args: [2], maxConcurrency: 300 } }, t('xsum')] } },
    { children: 'last' },
  ),
  { name: 'arithmetic-demo', workflowType: 'arithmeticDemo', args: [4, 5, 7] },
  // Wait nodes: an event taken (sent before the node is reached), a default after the timeout.
  canvas(
    'wait-event',
    {
      canvas: {
        chain: [
          t('add', 1, 2),
          { wait: { event: 'approved', timeout: '1m' } },
          { group: [{ wait: { event: 'late', timeout: '1s', default: 0 } }, t('mul', 2)] },
        ],
      },
    },
    { events: [{ name: 'approved', payload: 40 }] },
  ),
  // A retried run (POST /workflows/:id/retry): reused steps schedule nothing, carried events are taken.
  canvas('retry-resume', {
    canvas: { chain: [t('add', 1, 2), t('mul', 3), { wait: { event: 'go', timeout: '1m' } }, t('add', 1)] },
    resume: { steps: { 'canvas.chain[0]': 3, 'canvas.chain[1]': 9 }, events: [{ name: 'go', payload: 5 }] },
  }),
  // Recorded after 'orchestra-local-activities': light tasks as local activities (markers),
  // batches, and local steps beside remote ones. The cases above predate it and replay with
  // remote activities.
  canvas('local-chain', { canvas: { chain: [t('add', 4, 5), t('add', 6), t('mul', 7)] } }),
  canvas('local-chunks', {
    canvas: {
      chain: [
        {
          chunks: {
            task: 'add',
            items: [
              [1, 2],
              [3, 4],
              [5, 6],
              [7, 8],
              [9, 10],
              [11, 12],
              [13, 14],
            ],
            size: 3,
          },
        },
        t('noop'),
      ],
    },
  }),
  canvas('local-batched-map', {
    canvas: { chain: [t('noop', [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]), { map: { task: 'mul', args: [3], batchSize: 4 } }, t('xsum')] },
  }),
  canvas('local-mixed', {
    canvas: {
      chain: [
        t('add', 1, 1),
        {
          group: [
            { ...t('mul', 2), options: { local: false } },
            { map: { task: 'divide', items: [4, 8], kwargs: { y: 2 }, batchSize: 1, options: { local: false } } },
            { ...t('sleep', 200), immutable: true },
            // A local retry on a durable timer: a bound on all attempts makes every local backoff one.
            { ...t('flaky', 1), immutable: true, options: { local: true, scheduleToCloseTimeout: '1m', retry: { initialInterval: '300ms' } } },
          ],
        },
        { ...t('noop'), options: { delay: '500ms' } },
      ],
    },
  }),
  // Light runs: consecutive light steps of a chain in one local activity; a failing one runs again on its own.
  canvas('light-run', { canvas: { chain: [t('add', 4, 5), t('add', 6), t('mul', 7), { ...t('sleep', 5), immutable: true }, t('add', 1), t('noop')] } }),
  // Since patches.ts's BASELINE: one marker for every change, so the same chains as above.
  canvas('baseline-light-run', {
    canvas: { chain: [t('add', 4, 5), t('add', 6), t('mul', 7), { ...t('sleep', 5), immutable: true }, t('add', 1), t('noop')] },
  }),
  canvas('baseline-light-run-fallback', { canvas: { chain: [t('add', 1, 1), t('mul', 3), { ...t('divide', 0), id: 'split' }, t('add', 1)] } }),
  canvas('light-run-fallback', { canvas: { chain: [t('add', 1, 1), t('mul', 3), { ...t('divide', 0), id: 'split' }, t('add', 1)] } }),
  canvas('local-failure', {
    canvas: {
      chain: [
        t('add', 1, 1),
        {
          chunks: {
            task: 'divide',
            items: [
              [1, 1],
              [1, 0],
            ],
            size: 1,
          },
          id: 'split',
        },
        t('mul', 2),
      ],
    },
    onError: { task: 'noop' },
  }),
  canvas('local-chunks-delegation', { canvas: { chunks: { task: 'noop', items: Array.from({ length: 510 }, (_, i) => [i]), size: 1 } } }, { children: 'last' }),
  { name: 'arithmetic-demo-local', workflowType: 'arithmeticDemo', args: [2, 3, 4] },
  // Flow control (docs/canvas.md): a concurrency slot around the canvas, a rate-limited task on
  // its own queue, and a debouncer running the request it carried (as after continue-as-new).
  canvas('concurrency-rate-limited', { canvas: { chain: [t('add', 1, 2), t('throttled')] }, concurrency: { key: 'replay-case', limit: 1 } }),
  {
    name: 'debouncer',
    workflowType: 'debouncer',
    args: [{ key: 'replay-case', period: '100ms', request: { canvas: { chain: [t('add', 2, 3), t('throttled')] } }, requests: 1 }],
  },
];

/** Fixed ids, so the recorded child workflow ids are stable too. */
export const workflowIdOf = (name: string) => `replay-${name}`;
