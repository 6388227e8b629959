/**
 * Per-promise stack traces in the orchestrator's workflow threads, on or off.
 *
 * The SDK runs workflow code in worker threads and, in each, a V8 promise hook that
 * captures a source-mapped stack trace for every promise workflow code creates. They serve
 * one thing: the `__stack_trace` query (the Web UI's "Stack Trace" tab, `temporal workflow
 * stack`). A profile of chains of three light tasks put the hook and its stack formatting at
 * about half of the workflow thread's CPU (README, Performance). So they are off unless
 * WORKFLOW_STACK_TRACES=true: the SDK then answers that query with an error, as it does where
 * promise hooks do not exist. Results, failures and their stacks are unchanged.
 *
 * The SDK starts those threads itself, inside Worker.create, with no options. While
 * `withoutWorkflowStackTraces` runs, a thread started from the SDK's workflow thread file
 * gets one extra `--require` (./workflow-thread-preload.cjs); every other thread is left
 * alone, and the process's Worker class is restored afterwards.
 */
import path from 'node:path';
import workerThreads from 'node:worker_threads';

const WORKFLOW_THREAD_FILE = /[\\/]@temporalio[\\/]worker[\\/]lib[\\/]workflow[\\/]workflow-worker-thread\.js$/;
export const WORKFLOW_THREAD_PRELOAD = path.join(__dirname, 'workflow-thread-preload.cjs');

const ThreadWorker = workerThreads.Worker;
let active = 0;

class WorkflowThreadWithoutStackTraces extends ThreadWorker {
  constructor(filename: string | URL, options: workerThreads.WorkerOptions = {}) {
    const forWorkflows = typeof filename === 'string' && WORKFLOW_THREAD_FILE.test(filename);
    super(filename, forWorkflows ? { ...options, execArgv: [...(options.execArgv ?? process.execArgv), '--require', WORKFLOW_THREAD_PRELOAD] } : options);
  }
}

/** Runs `create` (a Worker.create) so that the workflow threads it starts have no promise hook. */
export async function withoutWorkflowStackTraces<T>(create: () => Promise<T>): Promise<T> {
  if (active++ === 0) workerThreads.Worker = WorkflowThreadWithoutStackTraces;
  try {
    return await create();
  } finally {
    if (--active === 0) workerThreads.Worker = ThreadWorker;
  }
}
