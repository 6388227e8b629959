/**
 * Worker pools and their task queues. Each pool is its own process
 * (`npm run worker -- --pool ml`) so it can be scaled and restarted alone.
 * Plain data with no imports: the workflow bundle reads it too.
 */
export const POOLS = {
  orchestrator: { queue: 'orchestra-workflows', runs: 'workflows', concurrency: 200 },
  default: { queue: 'orchestra-default', runs: 'activities', concurrency: 100 },
  ml: { queue: 'orchestra-ml', runs: 'activities', concurrency: 2, cpuBound: true },
  email: { queue: 'orchestra-email', runs: 'activities', concurrency: 50 },
  media: { queue: 'orchestra-media', runs: 'activities', concurrency: 2, cpuBound: true },
  /** A Celery app's tasks, served by Temporal's Python SDK (python/orchestra_python); started when ORCHESTRA_PYTHON_APP is set. */
  python: { queue: 'orchestra-python', runs: 'activities', concurrency: 8, language: 'python' },
} as const;

/** Pools sized to the cores for CPU-heavy tasks: their tasks never run inline in the orchestrator. */
export function isCpuBoundPool(name: PoolName): boolean {
  const spec = POOLS[name];
  return 'cpuBound' in spec && spec.cpuBound;
}

export type PoolName = keyof typeof POOLS;
export const POOL_NAMES = Object.keys(POOLS) as PoolName[];
/** The pool whose worker is Python, not this Node.js code. */
export const PYTHON_POOL = 'python' satisfies PoolName;
/** Pools whose workers are this repository's Node.js processes (npm run worker -- --pool <name>). */
export const NODE_POOL_NAMES = POOL_NAMES.filter((p) => p !== PYTHON_POOL);
/** Pools that run activities: the only names a canvas `queue` option may use. */
export const ACTIVITY_POOL_NAMES = POOL_NAMES.filter((p) => POOLS[p].runs === 'activities');
export const WORKFLOW_TASK_QUEUE = POOLS.orchestrator.queue;

export function isActivityPool(name: string): name is PoolName {
  return (ACTIVITY_POOL_NAMES as string[]).includes(name);
}
