/**
 * OpenTelemetry tracing of one process (the API, or one worker pool), off unless
 * OTEL_EXPORTER_OTLP_ENDPOINT is set. Off means nothing at all: the OpenTelemetry SDK is not
 * even loaded, and there is no tracer provider, no interceptor, no middleware, and the plain
 * workflow bundle. On, the process registers a tracer provider globally, as OpenTelemetry's
 * API expects (one context manager and one propagator per process), and the API app, the
 * Temporal client and the workers take what they need from activeTracing() when they are made.
 */
import type { Tracer } from '@opentelemetry/api';
import type { ClientInterceptors } from '@temporalio/client';
import type { WorkerOptions } from '@temporalio/worker';
import type { Middleware } from 'koa';

export interface Tracing {
  serviceName: string;
  /** For spans of the process's own (the request spans use it). */
  tracer: Tracer;
  /** A server span per API request (./http-spans.ts). */
  requestSpans(): Middleware;
  /** The Temporal client's interceptors: a start carries the current span into the workflow (./temporal-tracing.ts). */
  clientInterceptors(): ClientInterceptors;
  /** A worker's interceptors, and for a worker of workflows the sink of the sandbox's spans (./temporal-tracing.ts). */
  workerOptions(runs: 'workflows' | 'activities'): Pick<WorkerOptions, 'interceptors' | 'sinks'>;
  /** Sends the spans still buffered, then turns tracing off in this process. */
  shutdown(): Promise<void>;
}

/**
 * The workflow-side interceptors, in the traced workflow bundle only (src/workers/workflow-bundle.ts).
 * A path: resolving it loads nothing.
 */
export const TRACING_WORKFLOW_INTERCEPTORS_MODULE = require.resolve('@temporalio/interceptors-opentelemetry/lib/workflow-interceptors');

let active: Tracing | undefined;

/** The tracing this process turned on, if any. */
export function activeTracing(): Tracing | undefined {
  return active;
}

/** Called by ./install.ts only, where tracing is turned on and off. */
export function setActiveTracing(tracing: Tracing | undefined): void {
  if (tracing && active) throw new Error(`tracing is already on in this process (${active.serviceName})`);
  active = tracing;
}
