/**
 * The one home of configuration: every environment variable the project reads is
 * declared here with its default, so the README's table and the code cannot drift.
 */
import os from 'node:os';
import path from 'node:path';
import { DEFAULT_AVATAR_SIZES } from './tasks/inputs';
import { RATE_LIMITED_TASKS } from './workflows/tasks/catalog';

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

function fraction(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const parsed = Number(raw);
  if (!(parsed > 0 && parsed < 1)) throw new Error(`${name} must be a number between 0 and 1, got ${JSON.stringify(raw)}`);
  return parsed;
}

/** "64,128,256": distinct integers within [min, max], sorted. */
function intList(name: string, fallback: number[], min: number, max: number): number[] {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const values = raw.split(',').map((part) => Number(part.trim()));
  if (values.length === 0 || values.some((v) => !Number.isInteger(v) || v < min || v > max)) {
    throw new Error(`${name} must be a comma-separated list of integers from ${min} to ${max}, got ${JSON.stringify(raw)}`);
  }
  return [...new Set(values)].sort((a, b) => a - b);
}

function oneOf<T extends string>(name: string, values: readonly T[], fallback: T): T {
  const raw = str(name, fallback);
  if (!(values as readonly string[]).includes(raw)) throw new Error(`${name} must be one of ${values.join(', ')}, got ${JSON.stringify(raw)}`);
  return raw as T;
}

function optional(name: string): string | undefined {
  const value = process.env[name];
  return value === undefined || value === '' ? undefined : value;
}

/**
 * TASK_RATE_LIMITS='{"email.send": 5}': a deployment's activities per second for tasks the
 * catalog rate-limits (maxPerSecond); those tasks have their own queue, so only they may be named.
 */
function taskRateLimits(name: string): Record<string, number> {
  const raw = optional(name);
  const limits: Record<string, number> = {};
  for (const spec of RATE_LIMITED_TASKS) limits[spec.name] = spec.maxPerSecond!;
  if (raw === undefined) return limits;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new Error(`${name} must be a JSON object like {"email.send": 5}, got ${JSON.stringify(raw)}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error(`${name} must be a JSON object like {"email.send": 5}`);
  for (const [task, value] of Object.entries(parsed)) {
    if (!(task in limits)) {
      throw new Error(`${name}: ${task} declares no maxPerSecond in the task catalog; rate-limited tasks are ${Object.keys(limits).join(', ')}`);
    }
    if (typeof value !== 'number' || !(value > 0) || value > 100_000)
      throw new Error(`${name}: ${task} must be a number of activities per second above 0, got ${JSON.stringify(value)}`);
    limits[task] = value;
  }
  return limits;
}

/**
 * A variable under its current name, or under the older name it replaced (still read, with
 * a warning once). Temporal's connection settings use the names the `temporal` CLI and the
 * SDKs' environment configuration read, so one environment serves the CLI and Orchestra.
 */
const warnedAliases = new Set<string>();
function aliased(name: string, deprecated: string): string | undefined {
  const current = process.env[name];
  if (current !== undefined && current !== '') return current;
  const old = process.env[deprecated];
  if (old === undefined || old === '') return undefined;
  if (!warnedAliases.has(deprecated)) {
    warnedAliases.add(deprecated);
    process.emitWarning(`${deprecated} is deprecated; set ${name} instead (the name the temporal CLI reads)`, 'DeprecationWarning');
  }
  return old;
}

/** "true" or "false", else undefined (unset): TEMPORAL_TLS forces TLS on or off. */
function flag(name: string): boolean | undefined {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return undefined;
  if (raw !== 'true' && raw !== 'false') throw new Error(`${name} must be true or false, got ${JSON.stringify(raw)}`);
  return raw === 'true';
}

/** "a, b,c": trimmed, non-empty entries. */
function list(name: string): string[] {
  return (process.env[name] ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
}

/**
 * TRUST_PROXY: how many reverse proxies in front of the API append to X-Forwarded-For. 0 (the
 * default): the header is ignored and the client is the socket's peer; N: the client is the
 * Nth address from the right. "true" and "false" are deprecated aliases of 1 and 0.
 */
function proxyHops(name: string): number {
  const raw = (process.env[name] ?? '').trim();
  if (raw === '') return 0;
  if (raw === 'true' || raw === 'false') {
    if (!warnedAliases.has(name)) {
      warnedAliases.add(name);
      process.emitWarning(`${name}=${raw} is deprecated; set the number of trusted proxy hops instead (${raw === 'true' ? 1 : 0})`, 'DeprecationWarning');
    }
    return raw === 'true' ? 1 : 0;
  }
  if (!/^\d{1,2}$/.test(raw))
    throw new Error(`${name} must be the number of trusted proxies in front of the API (an integer from 0 to 99), got ${JSON.stringify(raw)}`);
  return Number(raw);
}

function isSet(name: string): boolean {
  return (process.env[name] ?? '') !== '';
}

export const projectRoot = path.resolve(__dirname, '..');

/** SSE_MAX_BUFFERED_BYTES's default: 1 MiB unread on one event stream. */
export const DEFAULT_SSE_MAX_BUFFERED_BYTES = 1024 * 1024;

export interface Config {
  dataDir: string;
  /** Provisioned binaries and the bench's Celery venv (temporal/provision.sh reads the same variable). */
  cacheDir: string;
  temporal: { address: string; namespace: string; uiUrl: string };
  /** The Python pool (README, "Bring your Celery tasks"): the Celery app it serves, as module:attribute; off when unset. */
  python: { app: string | undefined };
  mongodbUri: string;
  smtpUrl: string;
  api: {
    host: string;
    port: number;
    maxBodyBytes: number;
    /** Closed runs' outcomes kept in memory (they never change), by approximate JSON size. */
    closedRunCacheBytes: number;
    /**
     * GET /workflows/:id/events: one poll per run shared by its streams, caps, keep-alive
     * comments, and the unread bytes a stream may hold before its client is dropped
     * (DEFAULT_SSE_MAX_BUFFERED_BYTES when a test's configuration leaves it out).
     */
    events: { pollMs: number; keepAliveMs: number; maxStreams: number; maxStreamsPerCaller: number; maxBufferedBytes?: number };
    /** GET /workflows/:id/result: long-polls one key (or, in development mode, one address) may hold at once. */
    maxResultWaitsPerCaller: number;
  };
  workflowBundlePath: string | undefined;
  /** The SDK's per-promise stack traces in workflow threads, for the `__stack_trace` query (src/workers/workflow-stack-traces.ts). */
  workflowStackTraces: boolean;
  /** Ports of the services `npm start` runs itself (the embedded default). */
  dev: { temporalPort: number; temporalUiPort: number; ferretdbPort: number; smtpPort: number; smtpHttpPort: number };
  security: {
    /** Explicit development mode (`npm start`): no API keys checked. */
    devMode: boolean;
    apiKeysFile: string | undefined;
    /** Where the first admin key's secret is written when API_KEYS_FILE does not exist yet (src/api/first-key.ts). */
    firstKeyFile: string | undefined;
    apiKeysInline: string | undefined;
    publicMetrics: boolean;
    /** Host names development mode answers besides loopback ones (src/http/host-check.ts). */
    allowedHosts: string[];
    /** Reverse proxies in front of the API whose X-Forwarded-For entries are trusted (0: none). */
    trustProxyHops: number;
    rateLimitPerMinute: number;
    rateLimitBurst: number;
    /** Requests a minute from one address without a valid key (none, or a wrong one). */
    rateLimitAnonymousPerMinute: number;
    /** The Temporal Web UI's origin, allowed by CORS on /codec. */
    uiOrigin: string;
    /** Live debounce and concurrency keys (one workflow each) a tenant may hold at once. */
    tenantMaxFlowKeys: number;
  };
  /**
   * Production Temporal connection: TLS/mTLS files and an API key (Temporal Cloud). `enabled`
   * (TEMPORAL_TLS) forces TLS on or off; unset, TLS is on when any of the others is set.
   */
  temporalTls: { enabled?: boolean; certPath?: string; keyPath?: string; caPath?: string; serverName?: string; apiKey?: string };
  /** Payload encryption: JSON {keyId: base64 32 bytes}, and the id new payloads use. */
  encryption: { keys: string | undefined; keyId: string | undefined };
  /** How long a stopping worker lets running tasks finish ("30s"). */
  workerShutdownGrace: string;
  /** Where a worker pool serves the SDK's Prometheus metrics ("off" for none). */
  workerMetricsAddress: (pool: string, index: number) => string | undefined;
  /** Where a worker process answers GET /healthz (RUNNING and polling); unset or "off": nowhere. */
  workerHealthAddress: string | undefined;
  /** OpenTelemetry traces, exported by OTLP over HTTP to this endpoint; unset, tracing is off (src/telemetry/tracing.ts). */
  tracing: { otlpEndpoint: string | undefined };
  /** Which services the environment already provides, so `npm start` must not start them. */
  external: { temporal: boolean; mongodb: boolean; smtp: boolean };
  /**
   * Built-in schedules (src/schedules/builtin.ts), kept in step at every start: `on`;
   * `paused`, the same but new ones are created paused (tests, staging); `off`, left alone.
   */
  schedules: { builtins: 'on' | 'paused' | 'off'; timezone: string };
  /** The domain: comments, spam scoring, email and avatars. */
  domain: DomainConfig;
  /** Activities per second of each rate-limited task, across its pool (catalog maxPerSecond < TASK_RATE_LIMITS). */
  taskRateLimits: Record<string, number>;
  /**
   * Completion webhooks (src/webhooks): the hosts they may go to (empty: any public host),
   * and the server secret each key's signing secret is derived from (API and workers alike).
   */
  webhooks: { allowedHosts: string[]; signingSecret: string | undefined };
}

export interface DomainConfig {
  spam: { modelPath: string; threshold: number };
  email: {
    from: string;
    /**
     * How long a 'sending' reservation in the email log keeps other attempts off the message
     * after its holder's last heartbeat: the wait before a dead sender's message goes again.
     */
    leaseMs: number;
  };
  /** Most users one comment's mentions may email, however many users share the names. */
  mentions: { maxRecipients: number };
  avatar: {
    /** Thumbnail edge lengths, in pixels. */
    sizes: number[];
    /** Largest upload accepted, in bytes. */
    maxBytes: number;
    /** Largest width × height decoded; bigger images are rejected before decoding. */
    maxInputPixels: number;
  };
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
    cacheDir: path.resolve(str('ORCHESTRA_CACHE_DIR', path.join(os.homedir(), '.cache', 'orchestra'))),
    temporal: {
      address: str('TEMPORAL_ADDRESS', `127.0.0.1:${dev.temporalPort}`),
      namespace: str('TEMPORAL_NAMESPACE', 'default'),
      uiUrl: str('TEMPORAL_UI_URL', `http://127.0.0.1:${dev.temporalUiPort}`),
    },
    python: { app: optional('ORCHESTRA_PYTHON_APP') },
    mongodbUri: str('MONGODB_URI', `mongodb://127.0.0.1:${dev.ferretdbPort}/orchestra`),
    smtpUrl: str('SMTP_URL', `smtp://127.0.0.1:${dev.smtpPort}`),
    api: {
      host: str('API_HOST', '127.0.0.1'),
      port: int('API_PORT', 3000),
      maxBodyBytes: int('API_MAX_BODY_BYTES', 512 * 1024),
      closedRunCacheBytes: int('RUN_CACHE_MAX_BYTES', 32 * 1024 * 1024),
      events: {
        pollMs: int('SSE_POLL_MS', 500),
        keepAliveMs: int('SSE_KEEPALIVE_MS', 15_000),
        maxStreams: int('SSE_MAX_STREAMS', 1000),
        maxStreamsPerCaller: int('SSE_MAX_STREAMS_PER_KEY', 20),
        maxBufferedBytes: int('SSE_MAX_BUFFERED_BYTES', DEFAULT_SSE_MAX_BUFFERED_BYTES),
      },
      maxResultWaitsPerCaller: int('RESULT_MAX_WAITS_PER_KEY', 50),
    },
    workflowBundlePath: process.env.WORKFLOW_BUNDLE_PATH || undefined,
    workflowStackTraces: process.env.WORKFLOW_STACK_TRACES === 'true',
    dev,
    security: {
      devMode: process.env.ORCHESTRA_DEV_MODE === 'true',
      apiKeysFile: optional('API_KEYS_FILE'),
      firstKeyFile: optional('API_FIRST_KEY_FILE'),
      apiKeysInline: optional('API_KEYS'),
      publicMetrics: process.env.METRICS_PUBLIC === 'true',
      allowedHosts: list('ALLOWED_HOSTS'),
      trustProxyHops: proxyHops('TRUST_PROXY'),
      rateLimitPerMinute: int('RATE_LIMIT_PER_MINUTE', 1200),
      rateLimitBurst: int('RATE_LIMIT_BURST', 200),
      rateLimitAnonymousPerMinute: int('RATE_LIMIT_ANONYMOUS_PER_MINUTE', 120),
      uiOrigin: str('TEMPORAL_UI_ORIGIN', `http://127.0.0.1:${dev.temporalUiPort}`),
      tenantMaxFlowKeys: int('TENANT_MAX_FLOW_KEYS', 1000),
    },
    temporalTls: {
      enabled: flag('TEMPORAL_TLS'),
      certPath: aliased('TEMPORAL_TLS_CLIENT_CERT_PATH', 'TEMPORAL_TLS_CERT_PATH'),
      keyPath: aliased('TEMPORAL_TLS_CLIENT_KEY_PATH', 'TEMPORAL_TLS_KEY_PATH'),
      caPath: aliased('TEMPORAL_TLS_SERVER_CA_CERT_PATH', 'TEMPORAL_TLS_CA_PATH'),
      serverName: optional('TEMPORAL_TLS_SERVER_NAME'),
      apiKey: optional('TEMPORAL_API_KEY'),
    },
    encryption: { keys: optional('ORCHESTRA_ENCRYPTION_KEYS'), keyId: optional('ORCHESTRA_ENCRYPTION_KEY_ID') },
    workerShutdownGrace: str('WORKER_SHUTDOWN_GRACE', '30s'),
    workerMetricsAddress: (pool, index) => {
      const address = optional(`POOL_${pool.toUpperCase()}_METRICS_ADDRESS`) ?? optional('WORKER_METRICS_ADDRESS') ?? `127.0.0.1:${9464 + index}`;
      return address === 'off' ? undefined : address;
    },
    workerHealthAddress: optional('WORKER_HEALTH_ADDRESS') === 'off' ? undefined : optional('WORKER_HEALTH_ADDRESS'),
    tracing: { otlpEndpoint: optional('OTEL_EXPORTER_OTLP_ENDPOINT') },
    external: { temporal: isSet('TEMPORAL_ADDRESS'), mongodb: isSet('MONGODB_URI'), smtp: isSet('SMTP_URL') },
    taskRateLimits: taskRateLimits('TASK_RATE_LIMITS'),
    webhooks: {
      allowedHosts: list('WEBHOOK_ALLOWED_HOSTS').map((host) => host.toLowerCase().replace(/^\[(.*)\]$/, '$1')),
      signingSecret: optional('WEBHOOK_SIGNING_SECRET'),
    },
    schedules: { builtins: oneOf('BUILTIN_SCHEDULES', ['on', 'paused', 'off'] as const, 'on'), timezone: str('BUILTIN_SCHEDULES_TIMEZONE', 'UTC') },
    domain: {
      spam: {
        modelPath: path.resolve(str('SPAM_MODEL_PATH', path.join(projectRoot, 'data', 'models', 'spam-model.json'))),
        threshold: fraction('SPAM_THRESHOLD', 0.5),
      },
      email: { from: str('SMTP_FROM', 'Orchestra <no-reply@orchestra.local>'), leaseMs: int('EMAIL_LEASE_MS', 20_000) },
      mentions: { maxRecipients: int('MENTION_MAX_RECIPIENTS', 50) },
      avatar: {
        sizes: intList('AVATAR_SIZES', [...DEFAULT_AVATAR_SIZES], 16, 1024),
        maxBytes: int('AVATAR_MAX_BYTES', 5 * 1024 * 1024),
        maxInputPixels: int('MEDIA_MAX_INPUT_PIXELS', 25_000_000),
      },
    },
  };
}

/** Concurrency of a pool, overridable per pool: POOL_ML_CONCURRENCY=2. */
export function poolConcurrency(pool: string, fallback: number): number {
  return int(`POOL_${pool.toUpperCase()}_CONCURRENCY`, fallback);
}
