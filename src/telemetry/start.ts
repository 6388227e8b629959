/** Each process's first step (the API, every worker pool): tracing on when OTEL_EXPORTER_OTLP_ENDPOINT is set. */
import type { Config } from '../config';
import type { Tracing } from './tracing';

/** OTLP over HTTP to the configured endpoint; undefined when none is set, without loading the OpenTelemetry SDK. */
export async function startTracing(config: Config, serviceName: string): Promise<Tracing | undefined> {
  const endpoint = config.tracing.otlpEndpoint;
  if (endpoint === undefined) return undefined;
  const { installOtlpTracing } = await import('./install');
  return installOtlpTracing(serviceName, endpoint);
}
