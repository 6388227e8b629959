/**
 * A stand-in for `@temporalio/workflow`, so workflow code (the canvas interpreter, the
 * `canvas` workflow) runs in a plain jest test with no Temporal server:
 *
 *   jest.mock('@temporalio/workflow', () => jest.requireActual('../support/fake-workflow').workflowModule);
 *
 * What is pure stays the real SDK's: the failure classes, isCancellation, defineQuery and
 * defineSignal, ActivityCancellationType. What needs a workflow execution is faked here
 * and recorded on `fake`:
 *
 * - proxyActivities / proxyLocalActivities call `fake.activities[type]` (the test's stubs)
 *   with JSON copies of the arguments, one attempt (retries are the server's job): a stub
 *   that throws is the activity's failure, wrapped in an ActivityFailure as the SDK does.
 *   Every call is in `fake.calls`, with its options and how it ended.
 * - CancellationScope: scopes nest through AsyncLocalStorage; cancelling one cancels its
 *   cancellable children and rejects their pending activities with a cancellation.
 *   `fake.cancel()` cancels the run's root scope, as a cancel request does.
 * - sleep resolves at once (recorded in `fake.sleeps`); condition waits for its predicate,
 *   re-checked after each signal; its timeout fires only when the test calls `fireTimers()`.
 * - setHandler keeps handlers by name: `fake.query('state')`, `fake.signal(name, ...args)`
 *   (a signal sent before its handler exists is buffered and delivered on registration).
 * - patched answers `fake.patched(id)`, true by default (a run started today).
 * - executeChild calls `fake.child` (a stub; calls in `fake.children`); signals to other
 *   workflows land in `fake.externalSignals`; workflowInfo returns `fake.info`.
 *
 * Module state is per jest module registry: `jest.resetModules()` and require this module
 * and the workflow code again for a fresh execution.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { ActivityFailure, ApplicationFailure, CancelledFailure, ChildWorkflowFailure, RetryState } from '@temporalio/common';

type Real = typeof import('@temporalio/workflow');
const real = jest.requireActual<Real>('@temporalio/workflow');

export type Stub = (...args: any[]) => unknown;

export interface ActivityCall {
  type: string;
  local: boolean;
  args: unknown[];
  options: Record<string, unknown>;
  status: 'running' | 'completed' | 'failed' | 'cancelled';
}

class Scope {
  cancelled = false;
  private readonly listeners = new Set<() => void>();

  constructor(parent: Scope | undefined, cancellable: boolean) {
    if (parent && cancellable) parent.onCancel(() => this.cancel());
  }

  /** Calls `listener` once this scope is cancelled (now, if it is); returns an unsubscribe. */
  onCancel(listener: () => void): () => void {
    if (this.cancelled) listener();
    else this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  cancel(): void {
    if (this.cancelled) return;
    this.cancelled = true;
    for (const listener of [...this.listeners]) listener();
  }
}

const json = <T>(value: T): T => (value === undefined ? value : JSON.parse(JSON.stringify(value)));

class FakeWorkflow {
  activities: Record<string, Stub> = {};
  readonly calls: ActivityCall[] = [];
  readonly sleeps: unknown[] = [];
  readonly patches: string[] = [];
  /** Every upsertSearchAttributes call's pairs, as `{name: value}`. */
  readonly searchAttributeUpserts: Array<Record<string, unknown>> = [];
  patched: (id: string) => boolean = () => true;
  child: Stub = (type: string) => {
    throw new Error(`no stub for child workflow ${type}`);
  };
  readonly children: Array<{ type: string; options: Record<string, any> }> = [];
  readonly externalSignals: Array<{ workflowId: string; name: string; args: unknown[] }> = [];
  info: Record<string, unknown> = {
    workflowId: 'test-run',
    runId: 'test-run-id',
    workflowType: 'canvas',
    taskQueue: 'orchestra-workflows',
    namespace: 'default',
    attempt: 1,
  };
  memo: Record<string, unknown> = {};
  readonly root = new Scope(undefined, false);
  readonly storage = new AsyncLocalStorage<Scope>();
  private readonly handlers = new Map<string, (...args: any[]) => unknown>();
  private readonly buffered: Array<{ name: string; args: unknown[] }> = [];
  private readonly waiters = new Set<() => void>();
  private timers: Array<() => void> = [];

  /** The calls of one activity type, in call order. */
  callsOf(type: string): ActivityCall[] {
    return this.calls.filter((call) => call.type === type);
  }

  current(): Scope {
    return this.storage.getStore() ?? this.root;
  }

  /** A cancel request for the run: its root scope is cancelled. */
  cancel(): void {
    this.root.cancel();
  }

  hasHandler(name: string): boolean {
    return this.handlers.has(name);
  }

  query(name: string, ...args: unknown[]): any {
    const handler = this.handlers.get(name);
    if (!handler) throw new Error(`no handler for query ${name}`);
    return handler(...args);
  }

  signal(name: string, ...args: unknown[]): void {
    const handler = this.handlers.get(name);
    if (!handler) {
      this.buffered.push({ name, args });
      return;
    }
    handler(...json(args));
    for (const waiter of [...this.waiters]) waiter();
  }

  /** Fires every pending condition timeout, as if the workflow had waited them out. */
  fireTimers(): void {
    const timers = this.timers;
    this.timers = [];
    for (const fire of timers) fire();
  }

  /** Lets every promise chain that can move move: the workflow is blocked after this. */
  async idle(): Promise<void> {
    for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
  }

  setHandler(definition: { name: string }, handler: ((...args: any[]) => unknown) | undefined): void {
    if (!handler) {
      this.handlers.delete(definition.name);
      return;
    }
    this.handlers.set(definition.name, handler);
    for (const signal of this.buffered.filter((s) => s.name === definition.name)) {
      this.buffered.splice(this.buffered.indexOf(signal), 1);
      this.signal(signal.name, ...signal.args);
    }
  }

  invoke(type: string, local: boolean, options: Record<string, unknown>, args: unknown[]): Promise<unknown> {
    const scope = this.current();
    const call: ActivityCall = { type, local, args: json(args), options, status: 'running' };
    this.calls.push(call);
    return new Promise((resolve, reject) => {
      const end = (status: ActivityCall['status'], cause?: Error, value?: unknown) => {
        if (call.status !== 'running') return;
        call.status = status;
        stopListening();
        if (status === 'completed') return resolve(json(value));
        const retryState = cause instanceof ApplicationFailure && cause.nonRetryable ? RetryState.NON_RETRYABLE_FAILURE : RetryState.MAXIMUM_ATTEMPTS_REACHED;
        reject(
          new ActivityFailure(
            'Activity task failed',
            type,
            String(options.activityId ?? options.summary ?? this.calls.length),
            status === 'cancelled' ? RetryState.CANCEL_REQUESTED : retryState,
            'fake-worker',
            cause,
          ),
        );
      };
      const stopListening = scope.onCancel(() => end('cancelled', new CancelledFailure('Activity cancelled')));
      const stub = this.activities[type];
      if (!stub) return end('failed', ApplicationFailure.nonRetryable(`no stub for activity ${type}`, 'NoStubError'));
      void Promise.resolve()
        .then(() => stub(...json(args)))
        .then(
          (value) => end('completed', undefined, value),
          (error: unknown) => end('failed', error instanceof Error ? error : new Error(String(error))),
        );
    });
  }

  proxy(local: boolean, options: Record<string, unknown>): Record<string, Stub> {
    return new Proxy(
      {},
      {
        get:
          (_target, type: string) =>
          (...args: unknown[]) =>
            this.invoke(type, local, options, args),
      },
    );
  }

  async sleep(duration: unknown): Promise<void> {
    const scope = this.current();
    this.sleeps.push(duration);
    await Promise.resolve();
    if (scope.cancelled) throw new CancelledFailure('Timer cancelled');
  }

  condition(predicate: () => boolean, timeout?: unknown): Promise<boolean | void> {
    const scope = this.current();
    const answer = (met: boolean) => (timeout === undefined ? undefined : met);
    if (predicate()) return Promise.resolve(answer(true));
    return new Promise((resolve, reject) => {
      const done = () => {
        this.waiters.delete(check);
        this.timers = this.timers.filter((t) => t !== expire);
        stopListening();
      };
      const check = () => {
        if (!predicate()) return;
        done();
        resolve(answer(true));
      };
      const expire = () => {
        done();
        resolve(answer(false));
      };
      const stopListening = scope.onCancel(() => {
        done();
        reject(new CancelledFailure('Condition cancelled'));
      });
      this.waiters.add(check);
      if (timeout !== undefined) this.timers.push(expire);
    });
  }

  async executeChild(type: string, options: Record<string, any>): Promise<unknown> {
    this.children.push({ type, options: json(options) });
    try {
      return json(await this.child(type, ...json(options.args ?? [])));
    } catch (error) {
      const execution = { workflowId: options.workflowId, runId: 'child-run-id' };
      throw new ChildWorkflowFailure('default', execution, type, RetryState.NON_RETRYABLE_FAILURE, error instanceof Error ? error : new Error(String(error)));
    }
  }
}

export const fake = new FakeWorkflow();

const CancellationScope = {
  current: () => fake.current(),
  cancellable: <T>(fn: () => Promise<T>): Promise<T> => fake.storage.run(new Scope(fake.current(), true), fn),
  nonCancellable: <T>(fn: () => Promise<T>): Promise<T> => fake.storage.run(new Scope(fake.current(), false), fn),
};

/** What `jest.mock('@temporalio/workflow', ...)` hands the code under test. */
export const workflowModule: Record<string, unknown> = {
  ...real,
  CancellationScope,
  proxyActivities: (options: Record<string, unknown>) => fake.proxy(false, options),
  proxyLocalActivities: (options: Record<string, unknown>) => fake.proxy(true, options),
  sleep: (duration: unknown) => fake.sleep(duration),
  condition: (predicate: () => boolean, timeout?: unknown) => fake.condition(predicate, timeout),
  executeChild: (type: string, options: Record<string, unknown>) => fake.executeChild(type, options),
  workflowInfo: () => fake.info,
  patched: (id: string) => {
    fake.patches.push(id);
    return fake.patched(id);
  },
  setHandler: (definition: { name: string }, handler: (...args: any[]) => unknown) => fake.setHandler(definition, handler),
  upsertMemo: (memo: Record<string, unknown>) => Object.assign(fake.memo, memo),
  upsertSearchAttributes: (pairs: Array<{ key: { name: string }; value: unknown }>) =>
    fake.searchAttributeUpserts.push(Object.fromEntries(pairs.map(({ key, value }) => [key.name, json(value)]))),
  getExternalWorkflowHandle: (workflowId: string) => ({
    signal: async (definition: { name: string }, ...args: unknown[]) => {
      fake.externalSignals.push({ workflowId, name: definition.name, args: json(args) });
    },
  }),
};
