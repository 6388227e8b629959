/**
 * Temporal's OpenTelemetry interceptors: the client's start carries the current span (an API
 * request's) in the workflow's headers; in the sandbox, the traced bundle's interceptors make
 * the workflow's spans (RunWorkflow, StartActivity) and carry them on to its activities; each
 * activity, local ones too, runs in a RunActivity span of its worker.
 */
import type { Tracer } from '@opentelemetry/api';
import type { Resource } from '@opentelemetry/resources';
import type { SpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { ClientInterceptors } from '@temporalio/client';
import {
  makeWorkflowExporter,
  OpenTelemetryActivityInboundInterceptor,
  OpenTelemetryActivityOutboundInterceptor,
  OpenTelemetryWorkflowClientInterceptor,
} from '@temporalio/interceptors-opentelemetry';
import type { WorkerOptions } from '@temporalio/worker';

export function tracingClientInterceptors(tracer: Tracer): ClientInterceptors {
  return { workflow: [new OpenTelemetryWorkflowClientInterceptor({ tracer })] };
}

/** Activity interceptors, and for a worker of workflows the sink through which the sandbox hands its spans to `spanProcessor`. */
export function tracingWorkerOptions(
  runs: 'workflows' | 'activities',
  tracer: Tracer,
  spanProcessor: SpanProcessor,
  resource: Resource,
): Pick<WorkerOptions, 'interceptors' | 'sinks'> {
  return {
    interceptors: {
      activity: [
        (ctx) => ({ inbound: new OpenTelemetryActivityInboundInterceptor(ctx, { tracer }), outbound: new OpenTelemetryActivityOutboundInterceptor(ctx) }),
      ],
    },
    ...(runs === 'workflows' ? { sinks: { exporter: makeWorkflowExporter(spanProcessor, resource) } } : {}),
  };
}
