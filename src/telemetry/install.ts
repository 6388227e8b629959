/**
 * The OpenTelemetry SDK side of ./tracing.ts, loaded only when tracing is on: a tracer
 * provider registered for the whole process, with the span processor given (OTLP in
 * production, an in-memory exporter in a test).
 */
import { context, propagation, trace } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { Resource } from '@opentelemetry/resources';
import { BatchSpanProcessor, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import { requestSpans } from './http-spans';
import { tracingClientInterceptors, tracingWorkerOptions } from './temporal-tracing';
import { setActiveTracing, type Tracing } from './tracing';

/** Spans batched and sent to `endpoint` by OTLP over HTTP (the collector's port 4318). */
export function installOtlpTracing(serviceName: string, endpoint: string): Tracing {
  // The OTLP convention for the signal-independent endpoint: traces go to <endpoint>/v1/traces.
  const exporter = new OTLPTraceExporter({ url: `${endpoint.replace(/\/+$/, '')}/v1/traces` });
  return installTracing(serviceName, new BatchSpanProcessor(exporter));
}

/** Tracing on in this process, every span ending in `spanProcessor`; service.name is `serviceName`. */
export function installTracing(serviceName: string, spanProcessor: SpanProcessor): Tracing {
  const resource = new Resource({ [ATTR_SERVICE_NAME]: serviceName });
  const provider = new NodeTracerProvider({ resource, spanProcessors: [spanProcessor] });
  const tracer = provider.getTracer('orchestra');
  const tracing: Tracing = {
    serviceName,
    tracer,
    requestSpans: () => requestSpans(tracer),
    clientInterceptors: () => tracingClientInterceptors(tracer),
    // The sandbox's spans reach this process's span processor through the worker sink.
    workerOptions: (runs) => tracingWorkerOptions(runs, tracer, spanProcessor, resource),
    async shutdown() {
      setActiveTracing(undefined);
      await provider.shutdown();
      trace.disable();
      context.disable();
      propagation.disable();
    },
  };
  setActiveTracing(tracing);
  // Global: an async-local context manager (a request's span stays current across awaits) and W3C trace context.
  provider.register();
  return tracing;
}
