/**
 * Static checks of the production deployment: docker-compose.prod.yml (merged over
 * docker-compose.yml as `docker compose -f ... -f ...` does), the Caddyfile, Prometheus and
 * Grafana provisioning, and the Kubernetes kustomize base in deploy/k8s. Neither Docker nor
 * a cluster runs here, so the files are parsed and checked against the app's contract:
 * pools and their queues, endpoints and ports, image, and the environment variables the
 * code actually reads.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse, parseAllDocuments, type Tags } from 'yaml';
import { loadConfig } from '../../src/config';
import { POOLS, NODE_POOL_NAMES, type PoolName } from '../../src/workflows/tasks/pools';

const root = path.resolve(__dirname, '..', '..');
const k8sDir = path.join(root, 'deploy', 'k8s');
const hpaDir = path.join(k8sDir, 'overlays', 'hpa');

function read(rel: string): string {
  return fs.readFileSync(path.join(root, rel), 'utf8');
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const obj = (v: unknown): Json => (isObject(v) ? v : {});
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/** `10s`, `1m30s`, `500ms` in milliseconds. */
function durationMs(text: string): number {
  const parts = [...String(text).matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== String(text)) throw new Error(`not a duration: ${text}`);
  const unit: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  return parts.reduce((sum, p) => sum + Number(p[1]) * unit[p[2]], 0);
}

function hostPort(address: string): { host: string; port: number } {
  const match = /^([^:/]+):(\d+)$/.exec(address);
  if (!match) throw new Error(`not a host:port address: ${address}`);
  return { host: match[1], port: Number(match[2]) };
}

// ---------------------------------------------------------------------------------------
// Environment variables the app knows: scanned from src/**/*.ts, plus the contract.
// ---------------------------------------------------------------------------------------
const CONTRACT_ENV = [
  'API_HOST',
  'API_PORT',
  'METRICS_PUBLIC',
  'WORKER_METRICS_ADDRESS',
  'WORKER_SHUTDOWN_GRACE',
  'API_KEYS_FILE',
  'API_KEYS',
  'ORCHESTRA_DEV_MODE',
  'TEMPORAL_ADDRESS',
  'TEMPORAL_NAMESPACE',
  'TEMPORAL_TLS_CLIENT_CERT_PATH',
  'TEMPORAL_TLS_CLIENT_KEY_PATH',
  'TEMPORAL_TLS_SERVER_CA_CERT_PATH',
  'TEMPORAL_TLS_SERVER_NAME',
  'TEMPORAL_API_KEY',
  'ORCHESTRA_ENCRYPTION_KEYS',
  'ORCHESTRA_ENCRYPTION_KEY_ID',
  'TEMPORAL_UI_ORIGIN',
];
/** Read by Node and libraries rather than by src/. */
const PLATFORM_ENV = ['NODE_ENV'];

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return entry.name.endsWith('.ts') ? [full] : [];
  });
}

function knownEnvNames(): Set<string> {
  const names = new Set<string>([...CONTRACT_ENV, ...PLATFORM_ENV]);
  const files = sourceFiles(path.join(root, 'src'));
  // Readers like config.ts's `str('X', ...)`, `int(...)`, `optional(...)`: the known ones,
  // plus every function declared as `function f(name: string, ...)` that reads process.env[name].
  const helpers = new Set(['str', 'int', 'optional', 'isSet']);
  for (const file of files) {
    const text = fs.readFileSync(file, 'utf8');
    for (const m of text.matchAll(/function\s+(\w+)\s*\(\s*name\s*:\s*string[^)]*\)[^{]*\{([^}]*)/g)) {
      if (/process\.env\[\s*name\s*\]/.test(m[2])) helpers.add(m[1]);
    }
  }
  const reader = String.raw`\b(?:${[...helpers].join('|')})\(\s*`;
  for (const file of files) {
    const text = fs.readFileSync(file, 'utf8');
    for (const m of text.matchAll(/process\.env\.([A-Z][A-Z0-9_]*)/g)) names.add(m[1]);
    for (const m of text.matchAll(/process\.env\[\s*['"]([A-Z][A-Z0-9_]*)['"]\s*\]/g)) names.add(m[1]);
    for (const m of text.matchAll(new RegExp(`${reader}['"]([A-Z][A-Z0-9_]*)['"]`, 'g'))) names.add(m[1]);
    // Per-pool names built from a template: `POOL_${pool.toUpperCase()}_CONCURRENCY`.
    for (const m of text.matchAll(new RegExp(String.raw`(?:${reader}|process\.env\[\s*)\x60([A-Z0-9_]*)\$\{[^}]*\}([A-Z0-9_]*)\x60`, 'g'))) {
      for (const pool of NODE_POOL_NAMES) names.add(`${m[1]}${pool.toUpperCase()}${m[2]}`);
    }
  }
  return names;
}

const KNOWN_ENV = knownEnvNames();

describe('environment variables the app reads (scanned from src/)', () => {
  it('include config.ts readers, per-pool templates and the contract', () => {
    for (const name of [
      'TEMPORAL_ADDRESS',
      'MONGODB_URI',
      'API_KEYS_FILE',
      'LOG_LEVEL',
      'WORKFLOW_BUNDLE_PATH',
      ...NODE_POOL_NAMES.map((p) => `POOL_${p.toUpperCase()}_CONCURRENCY`),
    ]) {
      expect(KNOWN_ENV).toContain(name);
    }
  });
});

function unknownEnv(names: Iterable<string>): string[] {
  return [...names].filter((name) => !KNOWN_ENV.has(name)).sort();
}

// ---------------------------------------------------------------------------------------
// Compose: parse with Compose's !reset / !override tags and merge the override file.
// ---------------------------------------------------------------------------------------
class ComposeTag {
  constructor(
    readonly kind: 'reset' | 'override',
    readonly value: unknown,
  ) {}
}

const composeTags: Tags = (['reset', 'override'] as const).flatMap((kind) => [
  { tag: `!${kind}`, collection: 'seq' as const, resolve: (node: { toJSON(): unknown }) => new ComposeTag(kind, node.toJSON()) },
  { tag: `!${kind}`, collection: 'map' as const, resolve: (node: { toJSON(): unknown }) => new ComposeTag(kind, node.toJSON()) },
  { tag: `!${kind}`, resolve: (text: string) => new ComposeTag(kind, text === '' || text === 'null' ? null : text) },
]);

function parseCompose(rel: string): Json {
  return parse(read(rel), { merge: true, customTags: composeTags }) as Json;
}

/** Lists an override replaces instead of appending to (as Compose merges them). */
const REPLACED_LISTS = new Set(['command', 'entrypoint', 'test', 'dns', 'cap_add']);

function mergeCompose(base: unknown, override: unknown, key = ''): unknown {
  if (override instanceof ComposeTag) return override.kind === 'reset' ? (Array.isArray(base) ? [] : isObject(base) ? {} : undefined) : override.value;
  if (isObject(base) && isObject(override)) {
    const out: Json = { ...base };
    for (const [k, v] of Object.entries(override)) {
      const merged = mergeCompose(base[k], v, k);
      if (merged === undefined) delete out[k];
      else out[k] = merged;
    }
    return out;
  }
  if (Array.isArray(base) && Array.isArray(override) && !REPLACED_LISTS.has(key)) {
    const seen = new Set(base.map((v) => JSON.stringify(v)));
    return [...base, ...override.filter((v) => !seen.has(JSON.stringify(v)))];
  }
  return override === undefined ? base : override;
}

/** `${VAR:-default}` → default, `${VAR}` / `${VAR:?msg}` → '' (the host's environment is not ours). */
function interpolate(text: string): string {
  return text.replace(/\$\{[A-Z0-9_]+(?::?-([^}]*))?(?::?\?[^}]*)?\}/g, (_all, fallback: string | undefined) => fallback ?? '');
}

interface Mount {
  source: string;
  target: string;
}

function mounts(service: Json): Mount[] {
  return arr(service.volumes).map((v) => {
    if (typeof v === 'string') {
      const parts = interpolate(v).split(':');
      return { source: parts[0], target: parts[1] ?? parts[0] };
    }
    const long = obj(v);
    return { source: interpolate(String(long.source ?? '')), target: String(long.target ?? '') };
  });
}

/** host:container published ports; host '' = all interfaces. */
function publishedPorts(service: Json): Array<{ hostIp: string; host?: number; container: number }> {
  return arr(service.ports).map((p) => {
    if (typeof p === 'number') return { hostIp: '', container: p };
    if (isObject(p)) return { hostIp: String(p.host_ip ?? ''), host: p.published === undefined ? undefined : Number(p.published), container: Number(p.target) };
    const parts = String(p).split('/')[0].split(':');
    if (parts.length === 3) return { hostIp: parts[0], host: Number(parts[1]), container: Number(parts[2]) };
    if (parts.length === 2) return { hostIp: '', host: Number(parts[0]), container: Number(parts[1]) };
    return { hostIp: '', container: Number(parts[0]) };
  });
}

/** TRUST_PROXY as the API reads it (src/config.ts). */
function trustProxyHops(value: string): number {
  const before = process.env.TRUST_PROXY;
  process.env.TRUST_PROXY = value;
  try {
    return loadConfig().security.trustProxyHops;
  } finally {
    if (before === undefined) delete process.env.TRUST_PROXY;
    else process.env.TRUST_PROXY = before;
  }
}

function envOf(service: Json): Record<string, string> {
  const raw = service.environment;
  const env: Record<string, string> = {};
  if (Array.isArray(raw)) {
    for (const entry of raw) {
      const eq = String(entry).indexOf('=');
      if (eq > 0) env[String(entry).slice(0, eq)] = String(entry).slice(eq + 1);
    }
  } else {
    for (const [k, v] of Object.entries(obj(raw))) if (k !== '<<' && v !== null && v !== undefined) env[k] = String(v);
  }
  return env;
}

function commandLine(cmd: unknown): string {
  return Array.isArray(cmd) ? cmd.map(String).join(' ') : cmd === undefined || cmd === null ? '' : String(cmd);
}

const baseCompose = parseCompose('docker-compose.yml');
const prodCompose = parseCompose('docker-compose.prod.yml');
const merged = mergeCompose(baseCompose, prodCompose) as Json;
const services = obj(merged.services) as Record<string, Json>;
const serviceNames = Object.keys(services);
const prodServices = obj(prodCompose.services) as Record<string, Json>;
const workerServiceNames = NODE_POOL_NAMES.map((pool) => `worker-${pool}`);
const appServiceNames = ['api', ...workerServiceNames];
const composeApiPort = Number(envOf(services.api).API_PORT ?? 3000);

/** The source of a bind mount, relative to the repository root (`./deploy/x` → `deploy/x`). */
function repoPath(source: string): string {
  return path.posix.normalize(source.replace(/^\.\//, ''));
}

describe('docker-compose.prod.yml', () => {
  it('is an override file of docker-compose.yml and says how to use it', () => {
    const text = read('docker-compose.prod.yml');
    expect(text).toContain('docker compose -f docker-compose.yml -f docker-compose.prod.yml');
    for (const name of Object.keys(prodServices)) {
      // Everything it configures either exists in the base file or is new and complete (has an image).
      expect({ name, known: name in obj(baseCompose.services) || typeof prodServices[name].image === 'string' }).toEqual({ name, known: true });
    }
  });

  it('keeps every pool service and adds the proxy and monitoring', () => {
    for (const name of [...appServiceNames, 'caddy', 'prometheus', 'grafana']) expect(serviceNames).toContain(name);
  });

  it('removes the api public port with !reset', () => {
    const ports = prodServices.api.ports;
    expect(ports).toBeInstanceOf(ComposeTag);
    expect((ports as ComposeTag).kind).toBe('reset');
    expect(services.api.ports ?? []).toEqual([]);
  });

  it('publishes on all interfaces only the TLS proxy; everything else on loopback or not at all', () => {
    for (const name of serviceNames) {
      for (const port of publishedPorts(services[name])) {
        if (name === 'caddy') continue;
        expect({ name, port, loopback: port.hostIp === '127.0.0.1' }).toEqual({ name, port, loopback: true });
      }
    }
    const caddyPorts = publishedPorts(services.caddy).map((p) => p.container);
    expect(caddyPorts).toContain(443);
  });

  it('caddy terminates TLS with the mounted Caddyfile in front of the api', () => {
    const caddy = services.caddy;
    expect(String(caddy.image)).toMatch(/^caddy:2(\b|$)/);
    const mount = mounts(caddy).find((m) => m.target === '/etc/caddy/Caddyfile');
    expect(mount).toBeDefined();
    expect(repoPath(mount!.source)).toBe('deploy/caddy/Caddyfile');
    expect(fs.existsSync(path.join(root, repoPath(mount!.source)))).toBe(true);
    expect(Object.keys(obj(caddy.depends_on))).toContain('api');
  });

  it.each(serviceNames)('%s has resource limits and a restart policy', (name) => {
    const service = services[name];
    const limits = obj(obj(obj(service.deploy).resources).limits);
    expect(limits.cpus).toBeDefined();
    expect(Number(limits.cpus)).toBeGreaterThan(0);
    expect(String(limits.memory)).toMatch(/^\d+(\.\d+)?[kKmMgG]i?[bB]?$/);
    const restart = String(service.restart ?? obj(obj(service.deploy).restart_policy).condition ?? '');
    if (['temporal-setup', 'temporal-schema'].includes(name))
      expect(restart).toMatch(/^(no|on-failure(:\d+)?)$/); // one-shots
    else expect(['always', 'unless-stopped', 'on-failure']).toContain(restart.replace(/:\d+$/, ''));
  });

  it.each([...appServiceNames, 'caddy', 'prometheus', 'grafana', 'postgres', 'mongodb', 'temporal', 'mailpit'])('%s has a health check', (name) => {
    const healthcheck = obj(services[name].healthcheck);
    expect(healthcheck.disable).not.toBe(true);
    expect(commandLine(healthcheck.test)).not.toBe('');
  });

  it('health-checks the api on /health at its port', () => {
    const test = commandLine(obj(services.api.healthcheck).test);
    expect(test).toContain(`:${composeApiPort}/health`);
  });

  describe.each(NODE_POOL_NAMES)('worker-%s', (pool) => {
    const service = services[`worker-${pool}`];
    const env = envOf(service);

    it('runs the pool', () => {
      expect(` ${commandLine(service.command)} `).toContain(` --pool ${pool} `);
    });

    it('serves the SDK metrics on 0.0.0.0:9464', () => {
      const { host, port } = hostPort(env.WORKER_METRICS_ADDRESS);
      expect(host).toBe('0.0.0.0');
      expect(port).toBe(9464);
    });

    it('is health-checked on /healthz (RUNNING and polling), not on a live process alone', () => {
      const { port } = hostPort(env.WORKER_HEALTH_ADDRESS);
      const test = commandLine(obj(service.healthcheck).test);
      expect(test).toContain(`127.0.0.1:${port}/healthz`);
      expect(test).not.toContain('/metrics');
    });

    it('gets a stop grace period longer than WORKER_SHUTDOWN_GRACE', () => {
      expect(String(service.stop_grace_period)).toBe('45s');
      const grace = durationMs(env.WORKER_SHUTDOWN_GRACE ?? '30s');
      expect(durationMs(String(service.stop_grace_period))).toBeGreaterThan(grace);
    });
  });

  it('api trusts exactly one proxy hop (caddy) for the client address', () => {
    const env = envOf(services.api);
    expect(env.TRUST_PROXY).toBe('1');
    expect(trustProxyHops(env.TRUST_PROXY)).toBe(1);
  });

  it('api runs in production with API keys from a mounted secret and public metrics', () => {
    const env = envOf(services.api);
    expect(env.NODE_ENV).toBe('production');
    expect(env.METRICS_PUBLIC).toBe('true');
    expect(env.ORCHESTRA_DEV_MODE ?? 'false').toBe('false');
    const match = /^\/run\/secrets\/([A-Za-z0-9_.-]+)$/.exec(env.API_KEYS_FILE ?? '');
    expect(match).not.toBeNull();
    const secretName = match![1];
    const serviceSecrets = arr(services.api.secrets).map((s) => (typeof s === 'string' ? s : String(obj(s).source)));
    expect(serviceSecrets).toContain(secretName);
    const declared = obj(obj(merged.secrets)[secretName]);
    expect(typeof declared.file === 'string' || typeof declared.environment === 'string').toBe(true);
  });

  it.each(appServiceNames)('%s uses the one app image, NODE_ENV=production and only env vars the app reads', (name) => {
    const service = services[name];
    expect(service.image).toBe(obj(obj(baseCompose.services).api).image);
    const env = envOf(service);
    expect(env.NODE_ENV).toBe('production');
    expect(unknownEnv(Object.keys(env))).toEqual([]);
  });

  it('temporal exposes its server metrics for Prometheus', () => {
    expect(hostPort(envOf(services.temporal).PROMETHEUS_ENDPOINT)).toEqual({ host: '0.0.0.0', port: 8000 });
  });

  it('every depends_on and named volume exists', () => {
    const volumes = Object.keys(obj(merged.volumes));
    for (const name of serviceNames) {
      for (const dep of Object.keys(obj(services[name].depends_on))) expect({ name, dep, ok: serviceNames.includes(dep) }).toEqual({ name, dep, ok: true });
      for (const m of mounts(services[name])) {
        if (m.source.startsWith('.') || m.source.startsWith('/')) {
          if (m.source.startsWith('./deploy/') && !m.target.startsWith('/etc/caddy/certs')) {
            expect({ name, source: m.source, exists: fs.existsSync(path.join(root, repoPath(m.source))) }).toEqual({ name, source: m.source, exists: true });
          }
        } else {
          expect({ name, volume: m.source, declared: volumes.includes(m.source) }).toEqual({ name, volume: m.source, declared: true });
        }
      }
    }
  });

  it('prometheus loads deploy/prometheus/prometheus.yml', () => {
    const prometheus = services.prometheus;
    expect(String(prometheus.image)).toMatch(/^prom\/prometheus(:|$)/);
    const flag = arr(prometheus.command)
      .map(String)
      .find((a) => a.startsWith('--config.file='));
    const configPath = flag ? flag.split('=')[1] : '/etc/prometheus/prometheus.yml';
    const mount = mounts(prometheus).find((m) => m.target === configPath);
    expect(mount).toBeDefined();
    expect(repoPath(mount!.source)).toBe('deploy/prometheus/prometheus.yml');
  });

  it('grafana is provisioned from deploy/grafana', () => {
    const grafana = services.grafana;
    expect(String(grafana.image)).toMatch(/^grafana\/grafana(:|$)/);
    const provisioning = mounts(grafana).find((m) => m.target === '/etc/grafana/provisioning');
    expect(provisioning && repoPath(provisioning.source)).toBe('deploy/grafana/provisioning');
    const providers = arr(obj(parse(read('deploy/grafana/provisioning/dashboards/dashboards.yml'))).providers);
    expect(providers.length).toBeGreaterThan(0);
    for (const provider of providers) {
      const dashboardsPath = String(obj(obj(provider).options).path);
      const mount = mounts(grafana).find((m) => m.target === dashboardsPath);
      expect(mount).toBeDefined();
      expect(repoPath(mount!.source)).toBe('deploy/grafana/dashboards');
    }
  });
});

// ---------------------------------------------------------------------------------------
// Caddyfile
// ---------------------------------------------------------------------------------------
describe('deploy/caddy/Caddyfile', () => {
  const text = read('deploy/caddy/Caddyfile');
  const lines = text.split('\n').map((l) => l.replace(/#.*$/, '').trim());

  it('proxies to the api service on its port', () => {
    const proxies = lines.filter((l) => /^reverse_proxy\b/.test(l));
    expect(proxies.length).toBeGreaterThan(0);
    const upstreams = proxies.flatMap((l) =>
      l
        .split(/\s+/)
        .slice(1)
        .filter((t) => /^[a-z0-9.-]+:\d+$/.test(t)),
    );
    expect(upstreams).toContain(`api:${composeApiPort}`);
    for (const upstream of upstreams) expect(serviceNames).toContain(hostPort(upstream).host);
  });

  it('terminates TLS', () => {
    expect(lines.some((l) => /^tls\s+\S/.test(l))).toBe(true);
  });

  it('does not serve the key-less /metrics to the outside', () => {
    expect(text).toMatch(/\/metrics\*?[\s\S]{0,80}respond[^\n]*\b404\b/);
  });

  it('has balanced braces', () => {
    const stripped = lines.join('\n');
    expect((stripped.match(/\{/g) ?? []).length - (stripped.match(/\{\$/g) ?? []).length).toBe(
      (stripped.match(/\}/g) ?? []).length - (stripped.match(/\{\$[^}]*\}/g) ?? []).length,
    );
  });
});

// ---------------------------------------------------------------------------------------
// Prometheus
// ---------------------------------------------------------------------------------------
describe('deploy/prometheus/prometheus.yml', () => {
  const config = obj(parse(read('deploy/prometheus/prometheus.yml')));
  const jobs = arr(config.scrape_configs).map(obj);

  /** host:port targets of a job, from static_configs and dns_sd_configs. */
  function targetsOf(job: Json): string[] {
    const statics = arr(job.static_configs).flatMap((c) => arr(obj(c).targets).map(String));
    const dns = arr(job.dns_sd_configs).flatMap((c) => arr(obj(c).names).map((n) => `${String(n)}:${String(obj(c).port)}`));
    return [...statics, ...dns];
  }
  const all = jobs.flatMap((job) => targetsOf(job).map((target) => ({ job: String(job.job_name), target, path: String(job.metrics_path ?? '/metrics') })));

  it('has uniquely named jobs', () => {
    const names = jobs.map((j) => j.job_name);
    expect(new Set(names).size).toBe(names.length);
  });

  it('scrapes the api at /metrics on its port', () => {
    expect(all).toContainEqual(expect.objectContaining({ target: `api:${composeApiPort}`, path: '/metrics' }));
  });

  it.each(NODE_POOL_NAMES)('scrapes every replica of pool %s on its metrics port', (pool) => {
    const port = hostPort(envOf(services[`worker-${pool}`]).WORKER_METRICS_ADDRESS).port;
    expect(all).toContainEqual(expect.objectContaining({ target: `worker-${pool}:${port}`, path: '/metrics' }));
  });

  it('scrapes the Temporal server metrics endpoint', () => {
    const port = hostPort(envOf(services.temporal).PROMETHEUS_ENDPOINT).port;
    expect(all).toContainEqual(expect.objectContaining({ target: `temporal:${port}` }));
  });

  it('discovers replicas with A records (Docker DNS has no SRV records) and names only compose services', () => {
    for (const job of jobs) {
      for (const c of arr(job.dns_sd_configs).map(obj)) {
        expect(c.type).toBe('A');
        expect(Number(c.port)).toBeGreaterThan(0);
      }
    }
    for (const { target } of all) {
      const { host } = hostPort(target);
      if (host !== 'localhost') expect(serviceNames).toContain(host);
    }
  });
});

// ---------------------------------------------------------------------------------------
// Grafana
// ---------------------------------------------------------------------------------------
describe('deploy/grafana', () => {
  const datasources = arr(obj(parse(read('deploy/grafana/provisioning/datasources/prometheus.yml'))).datasources).map(obj);
  const dashboard = JSON.parse(read('deploy/grafana/dashboards/orchestra.json')) as Json;
  const topPanels = arr(dashboard.panels).map(obj);
  const panels = topPanels.flatMap((p) => [p, ...arr(p.panels).map(obj)]).filter((p) => p.type !== 'row');
  const exprs = panels.flatMap((p) => arr(p.targets).map((t) => String(obj(t).expr ?? '')));

  it('provisions a Prometheus datasource pointing at the prometheus service', () => {
    const prometheus = datasources.find((d) => d.type === 'prometheus');
    expect(prometheus).toBeDefined();
    const url = new URL(String(prometheus!.url));
    expect(serviceNames).toContain(url.hostname);
    expect(String(services[url.hostname].image)).toMatch(/^prom\/prometheus/);
    expect(url.port).toBe('9090');
    expect(prometheus!.uid).toBeTruthy();
  });

  it('has a dashboard with uid, title and uniquely numbered, placed panels', () => {
    expect(dashboard.uid).toBeTruthy();
    expect(dashboard.title).toBeTruthy();
    const all = topPanels.flatMap((p) => [p, ...arr(p.panels).map(obj)]);
    const ids = all.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const p of all)
      expect(obj(p.gridPos)).toEqual(expect.objectContaining({ h: expect.any(Number), w: expect.any(Number), x: expect.any(Number), y: expect.any(Number) }));
    expect(panels.length).toBeGreaterThanOrEqual(8);
  });

  it('queries the provisioned datasource in every panel', () => {
    const uids = new Set(datasources.map((d) => d.uid));
    for (const p of panels) {
      expect({ panel: p.title, uid: obj(p.datasource).uid, provisioned: uids.has(obj(p.datasource).uid) }).toEqual({
        panel: p.title,
        uid: obj(p.datasource).uid,
        provisioned: true,
      });
      expect(arr(p.targets).length).toBeGreaterThan(0);
    }
  });

  it.each([
    'temporal_activity_schedule_to_start_latency',
    'temporal_workflow_task_schedule_to_start_latency',
    'temporal_activity_execution_failed',
    'temporal_activity_execution_latency',
    'temporal_workflow_completed',
    'temporal_workflow_failed',
    'temporal_workflow_canceled',
    'temporal_worker_task_slots_available',
    'temporal_num_pollers',
    'approximate_backlog_count',
    'orchestra_http_request_duration_seconds_bucket',
    'orchestra_http_requests_total',
    'orchestra_workflow_starts_total',
    'orchestra_errors_total',
  ])('has a panel on %s', (metric) => {
    // A histogram is queried through its _bucket/_count/_sum series.
    expect(exprs.some((e) => new RegExp(`\\b${metric}(?:_bucket|_count|_sum)?\\b`).test(e))).toBe(true);
  });

  it('shows the panels the operators asked for', () => {
    const has = (re: RegExp) => exprs.some((e) => re.test(e.replace(/\s+/g, ' ')));
    // API p99 latency from the histogram.
    expect(has(/histogram_quantile\(0\.99, sum by \(le[^)]*\) \(rate\(orchestra_http_request_duration_seconds_bucket/)).toBe(true);
    // API request rate by status.
    expect(has(/sum by \(status\) \(rate\(orchestra_http_requests_total/)).toBe(true);
    // Schedule-to-start latency per task queue.
    expect(has(/by \(le, task_queue\) \(rate\(temporal_activity_schedule_to_start_latency_bucket/)).toBe(true);
    expect(has(/by \(le, task_queue\) \(rate\(temporal_workflow_task_schedule_to_start_latency_bucket/)).toBe(true);
    // Backlog per task queue, failures per task type.
    expect(has(/by \([^)]*taskqueue[^)]*\) \(approximate_backlog_count/)).toBe(true);
    expect(has(/by \(activity_type\) \(rate\(temporal_activity_execution_failed/)).toBe(true);
  });

  it('names only API metrics the API defines', () => {
    const source = fs.readFileSync(path.join(root, 'src/http/metrics.ts'), 'utf8');
    const defined = new Set([...source.matchAll(/name:\s*'(orchestra_[a-z0-9_]+)'/g)].map((m) => m[1]));
    expect(defined.size).toBeGreaterThan(0);
    const used = new Set(exprs.flatMap((e) => [...e.matchAll(/\b(orchestra_[a-z0-9_]+)/g)].map((m) => m[1].replace(/_(bucket|sum|count)$/, ''))));
    for (const name of used) expect({ name, defined: defined.has(name) }).toEqual({ name, defined: true });
  });

  it('has balanced PromQL', () => {
    for (const e of exprs) {
      for (const [open, close] of [
        ['(', ')'],
        ['{', '}'],
        ['[', ']'],
      ]) {
        expect({ e, balanced: e.split(open).length === e.split(close).length }).toEqual({ e, balanced: true });
      }
    }
  });
});

// ---------------------------------------------------------------------------------------
// Kubernetes
// ---------------------------------------------------------------------------------------
type K8s = Json & { kind: string; apiVersion: string; metadata: Json & { name: string } };

function loadDocs(file: string): K8s[] {
  return parseAllDocuments(fs.readFileSync(file, 'utf8'))
    .map((d) => {
      if (d.errors.length > 0) throw new Error(`${file}: ${d.errors[0].message}`);
      return d.toJS() as unknown;
    })
    .filter(isObject) as K8s[];
}

const kustomization = obj(parse(fs.readFileSync(path.join(k8sDir, 'kustomization.yaml'), 'utf8')));
const resourceFiles = arr(kustomization.resources).map(String);
const k8sDocs = resourceFiles.filter((r) => r.endsWith('.yaml') || r.endsWith('.yml')).flatMap((r) => loadDocs(path.join(k8sDir, r)));
const byKind = (kind: string) => k8sDocs.filter((d) => d.kind === kind);
const deployments = byKind('Deployment');
const configMaps = byKind('ConfigMap');
const configData = Object.fromEntries(Object.entries(obj(configMaps[0]?.data)).map(([k, v]) => [k, String(v)]));
const exampleSecrets = loadDocs(path.join(k8sDir, 'secret.example.yaml')).filter((d) => d.kind === 'Secret');

function podSpec(deployment: K8s): Json {
  return obj(obj(obj(deployment.spec).template).spec);
}
function containers(deployment: K8s): Json[] {
  return arr(podSpec(deployment).containers).map(obj);
}
function deployment(name: string): K8s {
  const found = deployments.find((d) => d.metadata.name === name);
  if (!found) throw new Error(`no Deployment ${name}`);
  return found;
}
function containerEnv(container: Json): Record<string, string> {
  return Object.fromEntries(
    arr(container.env)
      .map(obj)
      .map((e) => [String(e.name), String(e.value ?? '')]),
  );
}
/** The numeric container port a probe or Service port (number or name) refers to. */
function resolvePort(container: Json, port: unknown): number | undefined {
  if (typeof port === 'number')
    return arr(container.ports)
      .map(obj)
      .some((p) => p.containerPort === port)
      ? port
      : undefined;
  const named = arr(container.ports)
    .map(obj)
    .find((p) => p.name === port);
  return named ? Number(named.containerPort) : undefined;
}
function imageName(image: string): string {
  return image.replace(/@.*$/, '').replace(/:[^/:]+$/, '');
}

describe('deploy/k8s kustomization', () => {
  it('lists files that exist, every pool, and not the example secret', () => {
    for (const r of resourceFiles) expect({ r, exists: fs.existsSync(path.join(k8sDir, r)) }).toEqual({ r, exists: true });
    for (const file of ['namespace.yaml', 'configmap.yaml', 'api.yaml', 'keda.yaml', ...NODE_POOL_NAMES.map((p) => `worker-${p}.yaml`)])
      expect(resourceFiles).toContain(file);
    expect(resourceFiles).not.toContain('secret.example.yaml');
    expect(fs.existsSync(path.join(k8sDir, 'secret.example.yaml'))).toBe(true);
    for (const c of arr(kustomization.components).map(String)) expect(fs.existsSync(path.join(k8sDir, c, 'kustomization.yaml'))).toBe(true);
  });

  it('puts everything in the namespace it creates', () => {
    const ns = byKind('Namespace');
    expect(ns).toHaveLength(1);
    expect(kustomization.namespace).toBe(ns[0].metadata.name);
  });

  it('uses the one app image of docker-compose.yml everywhere, retargeted by `images`', () => {
    const composeImage = String(obj(obj(baseCompose.services).api).image);
    const images = new Set(deployments.flatMap((d) => containers(d).map((c) => String(c.image))));
    expect([...images]).toEqual([composeImage]);
    const entries = arr(kustomization.images).map(obj);
    expect(entries.map((e) => e.name)).toContain(imageName(composeImage));
  });

  it('has an api Deployment and one Deployment per pool, nothing else', () => {
    expect(deployments.map((d) => d.metadata.name).sort()).toEqual(['api', ...NODE_POOL_NAMES.map((p) => `worker-${p}`)].sort());
  });

  it('has no HorizontalPodAutoscaler in the base (KEDA owns those)', () => {
    expect(byKind('HorizontalPodAutoscaler')).toEqual([]);
  });

  it('selectors match their pod labels', () => {
    for (const d of deployments) {
      const selector = obj(obj(obj(d.spec).selector).matchLabels);
      const labels = obj(obj(obj(obj(d.spec).template).metadata).labels);
      expect(Object.keys(selector).length).toBeGreaterThan(0);
      expect(labels).toEqual(expect.objectContaining(selector));
    }
    for (const pdb of byKind('PodDisruptionBudget')) {
      const selector = obj(obj(obj(pdb.spec).selector).matchLabels);
      expect(deployments.some((d) => Object.entries(selector).every(([k, v]) => obj(obj(obj(obj(d.spec).template).metadata).labels)[k] === v))).toBe(true);
    }
  });

  it('runs every pod as non-root, without privilege escalation', () => {
    for (const d of deployments) {
      const security = obj(podSpec(d).securityContext);
      expect({ name: d.metadata.name, runAsNonRoot: security.runAsNonRoot }).toEqual({ name: d.metadata.name, runAsNonRoot: true });
      // The image's USER is the name `node`: the kubelet can only verify a numeric uid.
      expect(Number(security.runAsUser)).toBeGreaterThan(0);
      for (const c of containers(d)) {
        expect(obj(c.securityContext).allowPrivilegeEscalation).toBe(false);
        expect(obj(c.resources).limits).toBeDefined();
        expect(obj(c.resources).requests).toBeDefined();
      }
    }
  });

  it('sets only env vars the app reads, from ConfigMaps and Secrets that exist', () => {
    const names = new Set<string>(Object.keys(configData));
    const secretNames = new Set(exampleSecrets.map((s) => s.metadata.name));
    const configMapNames = new Set(configMaps.map((c) => c.metadata.name));
    for (const d of deployments) {
      for (const c of containers(d)) {
        for (const name of Object.keys(containerEnv(c))) names.add(name);
        for (const from of arr(c.envFrom).map(obj)) {
          if (from.configMapRef) expect(configMapNames).toContain(obj(from.configMapRef).name);
          if (from.secretRef) expect(secretNames).toContain(obj(from.secretRef).name);
        }
      }
      for (const v of arr(podSpec(d).volumes).map(obj)) {
        if (v.secret) expect(secretNames).toContain(obj(v.secret).secretName);
      }
    }
    // Keys of the env Secret (envFrom) become variables too.
    const envSecret = exampleSecrets.find((s) => s.metadata.name === 'orchestra-secrets');
    expect(envSecret).toBeDefined();
    for (const name of Object.keys({ ...obj(envSecret!.stringData), ...obj(envSecret!.data) })) names.add(name);
    expect(unknownEnv(names)).toEqual([]);
  });

  it('sets TRUST_PROXY to the hop count its Ingress needs (one), not the deprecated true/false', () => {
    expect(configData.TRUST_PROXY).toMatch(/^\d+$/);
    expect(trustProxyHops(configData.TRUST_PROXY)).toBe(1);
  });

  it('points the configmap at a Temporal frontend (host:port)', () => {
    expect(hostPort(configData.TEMPORAL_ADDRESS).port).toBe(7233);
    expect(configData.TEMPORAL_NAMESPACE).toBeTruthy();
    const text = fs.readFileSync(path.join(k8sDir, 'configmap.yaml'), 'utf8');
    expect(text).toContain('temporal-frontend.temporal.svc.cluster.local:7233');
    expect(text).toContain('.tmprl.cloud:7233');
  });

  describe('api', () => {
    const api = deployment('api');
    const container = containers(api)[0];
    const env = { ...configData, ...containerEnv(container) };
    const apiPort = Number(env.API_PORT ?? 3000);

    it('runs the API on API_PORT bound to all interfaces', () => {
      expect(commandLine(container.command) || 'node dist/api/main.js').toContain('dist/api/main.js');
      expect(env.API_HOST).toBe('0.0.0.0');
      expect(resolvePort(container, apiPort)).toBe(apiPort);
    });

    it('probes liveness on /health and readiness on /ready, on the API port', () => {
      const liveness = obj(obj(container.livenessProbe).httpGet);
      const readiness = obj(obj(container.readinessProbe).httpGet);
      expect(liveness.path).toBe('/health');
      expect(readiness.path).toBe('/ready');
      expect(resolvePort(container, liveness.port)).toBe(apiPort);
      expect(resolvePort(container, readiness.port)).toBe(apiPort);
      const startup = obj(obj(container.startupProbe).httpGet);
      if (startup.path !== undefined) {
        expect(['/health', '/ready']).toContain(startup.path);
        expect(resolvePort(container, startup.port)).toBe(apiPort);
      }
    });

    it('reads API keys from a mounted Secret and serves metrics to the cluster', () => {
      const file = env.API_KEYS_FILE;
      expect(file).toBeTruthy();
      const mount = arr(container.volumeMounts)
        .map(obj)
        .find((m) => file.startsWith(`${String(m.mountPath)}/`));
      expect(mount).toBeDefined();
      const volume = arr(podSpec(api).volumes)
        .map(obj)
        .find((v) => v.name === mount!.name);
      expect(obj(volume?.secret).secretName).toBe('orchestra-api-keys');
      const secret = exampleSecrets.find((s) => s.metadata.name === 'orchestra-api-keys');
      expect(Object.keys(obj(secret?.stringData))).toContain(path.posix.basename(file));
      expect(env.METRICS_PUBLIC).toBe('true');
      expect(env.NODE_ENV).toBe('production');
    });

    it('has a terminationGracePeriodSeconds', () => {
      expect(Number(podSpec(api).terminationGracePeriodSeconds)).toBeGreaterThanOrEqual(30);
    });

    it('has a Service whose targetPort is the API container port', () => {
      const service = byKind('Service').find((s) =>
        Object.entries(obj(obj(s.spec).selector)).every(([k, v]) => obj(obj(obj(obj(api.spec).template).metadata).labels)[k] === v),
      );
      expect(service).toBeDefined();
      for (const port of arr(obj(service!.spec).ports).map(obj)) expect(resolvePort(container, port.targetPort ?? port.port)).toBe(apiPort);
    });
  });

  describe.each(NODE_POOL_NAMES)('worker-%s', (pool) => {
    const d = deployment(`worker-${pool}`);
    const container = containers(d)[0];
    const env = { ...configData, ...containerEnv(container) };

    it('runs node dist/workers/main.js --pool <pool>', () => {
      const cmd = commandLine([...arr(container.command), ...arr(container.args)]);
      expect(cmd).toContain('dist/workers/main.js');
      expect(` ${cmd} `).toContain(` --pool ${pool} `);
    });

    it('declares the metrics port it serves (WORKER_METRICS_ADDRESS) as `metrics`', () => {
      const { host, port } = hostPort(env.WORKER_METRICS_ADDRESS);
      expect(host).toBe('0.0.0.0');
      expect(resolvePort(container, 'metrics')).toBe(port);
      expect(port).toBe(9464);
    });

    it('probes /healthz (RUNNING and polling) on the health port (WORKER_HEALTH_ADDRESS)', () => {
      const port = hostPort(env.WORKER_HEALTH_ADDRESS).port;
      for (const probe of ['livenessProbe', 'startupProbe', 'readinessProbe']) {
        const httpGet = obj(obj(container[probe]).httpGet);
        expect({ probe, path: httpGet.path, port: resolvePort(container, httpGet.port) }).toEqual({ probe, path: '/healthz', port });
      }
    });

    it('gets 45 s to stop, more than WORKER_SHUTDOWN_GRACE', () => {
      expect(podSpec(d).terminationGracePeriodSeconds).toBe(45);
      expect(45_000).toBeGreaterThan(durationMs(env.WORKER_SHUTDOWN_GRACE ?? '30s'));
    });
  });
});

describe('deploy/k8s/keda.yaml', () => {
  const scaledObjects = byKind('ScaledObject');

  it('has one ScaledObject per pool and none for unknown pools', () => {
    expect(scaledObjects.map((s) => obj(obj(s.spec).scaleTargetRef).name).sort()).toEqual(NODE_POOL_NAMES.map((p) => `worker-${p}`).sort());
  });

  it.each(NODE_POOL_NAMES)('scales worker-%s on its task queue with the temporal scaler', (pool: PoolName) => {
    const so = scaledObjects.find((s) => obj(obj(s.spec).scaleTargetRef).name === `worker-${pool}`)!;
    expect(so.apiVersion).toBe('keda.sh/v1alpha1');
    const spec = obj(so.spec);
    expect(obj(spec.scaleTargetRef).kind ?? 'Deployment').toBe('Deployment');
    expect(deployments.map((d) => d.metadata.name)).toContain(`worker-${pool}`);
    const min = Number(spec.minReplicaCount ?? 0);
    const max = Number(spec.maxReplicaCount ?? 100);
    expect(min).toBeGreaterThanOrEqual(1);
    expect(max).toBeGreaterThanOrEqual(min);
    const triggers = arr(spec.triggers)
      .map(obj)
      .filter((t) => t.type === 'temporal');
    expect(triggers).toHaveLength(1);
    const metadata = obj(triggers[0].metadata);
    // KEDA's trigger metadata is map[string]string.
    for (const [k, v] of Object.entries(metadata)) expect({ k, type: typeof v }).toEqual({ k, type: 'string' });
    expect(metadata.taskQueue).toBe(POOLS[pool].queue);
    expect(metadata.queueTypes).toBe(POOLS[pool].runs === 'workflows' ? 'workflow' : 'activity');
    expect(metadata.endpoint).toBe(configData.TEMPORAL_ADDRESS);
    expect(metadata.namespace).toBe(configData.TEMPORAL_NAMESPACE);
    expect(String(metadata.targetQueueSize)).toMatch(/^[1-9]\d*$/);
  });

  it('keeps the scaler endpoint in sync with the configmap through kustomize replacements', () => {
    const replacements = arr(kustomization.replacements).map(obj);
    const sources = replacements.map((r) => String(obj(r.source).fieldPath));
    expect(sources).toEqual(expect.arrayContaining(['data.TEMPORAL_ADDRESS', 'data.TEMPORAL_NAMESPACE']));
  });
});

describe('deploy/k8s/overlays/hpa', () => {
  const overlay = obj(parse(fs.readFileSync(path.join(hpaDir, 'kustomization.yaml'), 'utf8')));
  const overlayResources = arr(overlay.resources).map(String);
  const hpas = overlayResources
    .filter((r) => r.endsWith('.yaml'))
    .flatMap((r) => loadDocs(path.join(hpaDir, r)))
    .filter((d) => d.kind === 'HorizontalPodAutoscaler');
  const deletes = arr(overlay.patches)
    .map((p) => String(obj(p).patch ?? ''))
    .filter((p) => p.includes('$patch: delete'))
    .map((p) => obj(parse(p)))
    .filter((p) => p.kind === 'ScaledObject')
    .map((p) => String(obj(p.metadata).name));

  it('lists files that exist', () => {
    for (const r of overlayResources) expect({ r, exists: fs.existsSync(path.join(hpaDir, r)) }).toEqual({ r, exists: true });
  });

  it.each(NODE_POOL_NAMES)('has a CPU HPA for worker-%s and removes its ScaledObject', (pool) => {
    const hpa = hpas.find((h) => obj(obj(h.spec).scaleTargetRef).name === `worker-${pool}`);
    expect(hpa).toBeDefined();
    expect(hpa!.apiVersion).toBe('autoscaling/v2');
    const spec = obj(hpa!.spec);
    expect(obj(spec.scaleTargetRef).kind).toBe('Deployment');
    expect(Number(spec.maxReplicas)).toBeGreaterThanOrEqual(Number(spec.minReplicas ?? 1));
    const metrics = arr(spec.metrics).map(obj);
    expect(metrics.some((m) => obj(m.resource).name === 'cpu')).toBe(true);
    const so = byKind('ScaledObject').find((s) => obj(obj(s.spec).scaleTargetRef).name === `worker-${pool}`)!;
    expect(deletes).toContain(so.metadata.name);
  });

  it('is a component the base can turn on, or an overlay of the base', () => {
    if (overlay.kind === 'Component') expect(overlay.apiVersion).toBe('kustomize.config.k8s.io/v1alpha1');
    else expect(overlayResources.some((r) => path.resolve(hpaDir, r) === k8sDir)).toBe(true);
  });
});

describe('deploy/k8s/README.md', () => {
  const text = fs.readFileSync(path.join(k8sDir, 'README.md'), 'utf8');
  it('explains applying, Temporal (Helm chart and Cloud), KEDA vs HPA', () => {
    expect(text).toContain('kubectl apply -k deploy/k8s');
    expect(text).toContain('temporal-frontend.temporal.svc.cluster.local:7233');
    expect(text).toContain('tmprl.cloud');
    expect(text).toMatch(/KEDA/);
    expect(text).toMatch(/HPA/);
  });
});

// Renders with kustomize when kubectl is on this machine (it is not required).
const kubectl = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' });
const describeIfKubectl = kubectl.status === 0 ? describe : describe.skip;

describeIfKubectl('kubectl kustomize', () => {
  function render(dir: string): K8s[] {
    const result = spawnSync('kubectl', ['kustomize', dir], { encoding: 'utf8', timeout: 60_000 });
    if (result.status !== 0) throw new Error(`kubectl kustomize ${dir}: ${result.stderr}`);
    return parseAllDocuments(result.stdout)
      .map((d) => d.toJS() as K8s)
      .filter(isObject);
  }
  const count = (docs: K8s[], kind: string) => docs.filter((d) => d.kind === kind).length;

  it('renders the base: KEDA, no HPA, the image retargeted, the endpoint copied', () => {
    const docs = render(k8sDir);
    expect(count(docs, 'Deployment')).toBe(NODE_POOL_NAMES.length + 1);
    const enabled = arr(kustomization.components).map(String).includes('overlays/hpa');
    expect(count(docs, 'ScaledObject')).toBe(enabled ? 0 : NODE_POOL_NAMES.length);
    expect(count(docs, 'HorizontalPodAutoscaler')).toBe(enabled ? NODE_POOL_NAMES.length : 0);
    for (const d of docs) expect(d.metadata.namespace ?? kustomization.namespace).toBe(kustomization.namespace);
  });

  it('renders with the hpa component: HPAs, no ScaledObjects', () => {
    const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'orchestra-k8s-'));
    try {
      fs.cpSync(k8sDir, copy, { recursive: true });
      const file = path.join(copy, 'kustomization.yaml');
      const k = obj(parse(fs.readFileSync(file, 'utf8')));
      k.components = [...new Set([...arr(k.components).map(String), 'overlays/hpa'])];
      fs.writeFileSync(file, JSON.stringify(k));
      const docs = render(copy);
      expect(count(docs, 'ScaledObject')).toBe(0);
      expect(count(docs, 'HorizontalPodAutoscaler')).toBe(NODE_POOL_NAMES.length);
    } finally {
      fs.rmSync(copy, { recursive: true, force: true });
    }
  });
});
