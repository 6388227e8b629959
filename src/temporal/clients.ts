/** Connections to the Temporal server, for the API's client and every worker, with TLS and encryption when configured. */
import { Client, Connection, defaultGrpcRetryOptions, makeGrpcRetryInterceptor, type ConnectionOptions } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import { NativeConnection } from '@temporalio/worker';
import { readFileSync } from 'node:fs';
import type { Config } from '../config';
import { activeTracing } from '../telemetry/tracing';
import { AesGcmCodec } from './codec';
import { GrpcStatus } from './grpc-status';

/** TLS (mTLS when a client cert is given) and an API key, from the configuration. */
function securityOptions(config: Config): { tls?: ConnectionOptions['tls']; apiKey?: string } {
  const { enabled, certPath, keyPath, caPath, serverName, apiKey } = config.temporalTls;
  // As the temporal CLI decides: TEMPORAL_TLS when set, else on when any TLS setting or an API key is.
  const useTls = enabled ?? Boolean(certPath || keyPath || caPath || serverName || apiKey);
  return {
    ...(useTls
      ? {
          tls: {
            serverNameOverride: serverName,
            serverRootCACertificate: caPath ? readFileSync(caPath) : undefined,
            clientCertPair: certPath && keyPath ? { crt: readFileSync(certPath), key: readFileSync(keyPath) } : undefined,
          },
        }
      : {}),
    ...(apiKey ? { apiKey } : {}),
  };
}

/** The codec when payload encryption is on. */
export function payloadCodec(config: Config): AesGcmCodec | undefined {
  const { keys, keyId } = config.encryption;
  if (!keys) return undefined;
  const parsed = JSON.parse(keys) as Record<string, string>;
  return new AesGcmCodec(parsed, keyId ?? Object.keys(parsed)[0]);
}

export function dataConverter(config: Config): DataConverter {
  const codec = payloadCodec(config);
  return codec ? { payloadCodecs: [codec] } : {};
}

/**
 * Every call the client makes gets a deadline: its caller's (client.withDeadline), else this
 * one, across the SDK's own retries. Long polls (waiting for a result) come back from the
 * server within its long-poll interval (20 s), well inside it.
 */
export const TEMPORAL_CALL_DEADLINE_MS = 60_000;

type GrpcInterceptor = NonNullable<ConnectionOptions['interceptors']>[number];

export function defaultDeadline(ms: number): GrpcInterceptor {
  // The next call as it is, with a deadline: grpc-js only uses the InterceptingCallInterface
  // side of what an interceptor returns (its type names the class, hence the cast).
  return (options, nextCall) => nextCall({ ...options, deadline: options.deadline ?? Date.now() + ms }) as ReturnType<GrpcInterceptor>;
}

/**
 * The SDK's retries, except that a list of runs is not retried on UNKNOWN: that is how the
 * server refuses a page token it did not issue, and retrying it held the caller for a minute.
 */
export function sdkRetries(): GrpcInterceptor {
  const defaults = defaultGrpcRetryOptions();
  const retryCall = makeGrpcRetryInterceptor(defaults);
  const retryListing = makeGrpcRetryInterceptor({
    ...defaults,
    retryableDecider: (attempt, status) => status.code !== GrpcStatus.UNKNOWN && defaults.retryableDecider(attempt, status),
  });
  return (options, nextCall) => (options.method_definition.path.endsWith('/ListWorkflowExecutions') ? retryListing : retryCall)(options, nextCall);
}

export async function connectClient(config: Config): Promise<Client> {
  const connection = await Connection.connect({
    address: config.temporal.address,
    ...securityOptions(config),
    // Outermost first: the deadline bounds the retries too.
    interceptors: [defaultDeadline(TEMPORAL_CALL_DEADLINE_MS), sdkRetries()],
  });
  // With tracing on, a start carries the current span (the API request's) into the workflow.
  return new Client({
    connection,
    namespace: config.temporal.namespace,
    dataConverter: dataConverter(config),
    interceptors: activeTracing()?.clientInterceptors(),
  });
}

export async function connectWorker(config: Config): Promise<NativeConnection> {
  return NativeConnection.connect({ address: config.temporal.address, ...securityOptions(config) });
}
