/**
 * The one home of configuration: every environment variable the project reads is
 * declared here with its default, so the README's table and the code cannot drift.
 */
import path from 'node:path';

function str(name: string, fallback: string): string {
  const value = process.env[name];
  return value === undefined || value === '' ? fallback : value;
}

function int(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const parsed = Number.parseInt(raw, 10);
  if (!Number.isFinite(parsed)) throw new Error(`${name} must be an integer, got ${JSON.stringify(raw)}`);
  return parsed;
}

function optional(name: string): string | undefined {
  const value = process.env[name];
  return value === undefined || value === '' ? undefined : value;
}

function isSet(name: string): boolean {
  return (process.env[name] ?? '') !== '';
}

export const projectRoot = path.resolve(__dirname, '..');

export interface Config {
  dataDir: string;
  temporal: { address: string; namespace: string; uiUrl: string };
  mongodbUri: string;
  smtpUrl: string;
  api: { host: string; port: number; maxBodyBytes: number };
  workflowBundlePath: string | undefined;
  /** Ports of the services `npm start` runs itself (the embedded default). */
  dev: { temporalPort: number; temporalUiPort: number; ferretdbPort: number; smtpPort: number; smtpHttpPort: number };
  security: {
    /** Explicit development mode (`npm start`): no API keys checked. */
    devMode: boolean;
    apiKeysFile: string | undefined;
    apiKeysInline: string | undefined;
    publicMetrics: boolean;
    rateLimitPerMinute: number;
    rateLimitBurst: number;
    /** The Temporal Web UI's origin, allowed by CORS on /codec. */
    uiOrigin: string;
  };
  /** Production Temporal connection: TLS/mTLS files and an API key (Temporal Cloud). */
  temporalTls: { certPath?: string; keyPath?: string; caPath?: string; serverName?: string; apiKey?: string };
  /** Payload encryption: JSON {keyId: base64 32 bytes}, and the id new payloads use. */
  encryption: { keys: string | undefined; keyId: string | undefined };
  /** Where a worker pool serves the SDK's Prometheus metrics ("off" for none). */
  workerMetricsAddress: (pool: string, index: number) => string | undefined;
  /** Which services the environment already provides, so `npm start` must not start them. */
  external: { temporal: boolean; mongodb: boolean; smtp: boolean };
}

/** Read the environment now (not at import time) so tests and the supervisor can set it first. */
export function loadConfig(): Config {
  const dev = {
    temporalPort: int('TEMPORAL_PORT', 7233),
    temporalUiPort: int('TEMPORAL_UI_PORT', 8233),
    ferretdbPort: int('FERRETDB_PORT', 27017),
    smtpPort: int('SMTP_SINK_PORT', 2525),
    smtpHttpPort: int('SMTP_SINK_HTTP_PORT', 8025),
  };
  return {
    dataDir: path.resolve(str('ORCHESTRA_DATA_DIR', path.join(projectRoot, 'data'))),
    temporal: {
      address: str('TEMPORAL_ADDRESS', `127.0.0.1:${dev.temporalPort}`),
      namespace: str('TEMPORAL_NAMESPACE', 'default'),
      uiUrl: str('TEMPORAL_UI_URL', `http://127.0.0.1:${dev.temporalUiPort}`),
    },
    mongodbUri: str('MONGODB_URI', `mongodb://127.0.0.1:${dev.ferretdbPort}/orchestra`),
    smtpUrl: str('SMTP_URL', `smtp://127.0.0.1:${dev.smtpPort}`),
    api: {
      host: str('API_HOST', '127.0.0.1'),
      port: int('API_PORT', 3000),
      maxBodyBytes: int('API_MAX_BODY_BYTES', 512 * 1024),
    },
    workflowBundlePath: process.env.WORKFLOW_BUNDLE_PATH || undefined,
    dev,
    security: {
      devMode: process.env.ORCHESTRA_DEV_MODE === 'true',
      apiKeysFile: optional('API_KEYS_FILE'),
      apiKeysInline: optional('API_KEYS'),
      publicMetrics: process.env.METRICS_PUBLIC === 'true',
      rateLimitPerMinute: int('RATE_LIMIT_PER_MINUTE', 1200),
      rateLimitBurst: int('RATE_LIMIT_BURST', 200),
      uiOrigin: str('TEMPORAL_UI_ORIGIN', `http://127.0.0.1:${dev.temporalUiPort}`),
    },
    temporalTls: {
      certPath: optional('TEMPORAL_TLS_CERT_PATH'),
      keyPath: optional('TEMPORAL_TLS_KEY_PATH'),
      caPath: optional('TEMPORAL_TLS_CA_PATH'),
      serverName: optional('TEMPORAL_TLS_SERVER_NAME'),
      apiKey: optional('TEMPORAL_API_KEY'),
    },
    encryption: { keys: optional('ORCHESTRA_ENCRYPTION_KEYS'), keyId: optional('ORCHESTRA_ENCRYPTION_KEY_ID') },
    workerMetricsAddress: (pool, index) => {
      const address = optional(`POOL_${pool.toUpperCase()}_METRICS_ADDRESS`) ?? optional('WORKER_METRICS_ADDRESS') ?? `127.0.0.1:${9464 + index}`;
      return address === 'off' ? undefined : address;
    },
    external: { temporal: isSet('TEMPORAL_ADDRESS'), mongodb: isSet('MONGODB_URI'), smtp: isSet('SMTP_URL') },
  };
}

/** Concurrency of a pool, overridable per pool: POOL_ML_CONCURRENCY=2. */
export function poolConcurrency(pool: string, fallback: number): number {
  return int(`POOL_${pool.toUpperCase()}_CONCURRENCY`, fallback);
}
