/**
 * Static checks of the container setup: docker-compose.yml, the Temporal dynamic
 * config it mounts, and the Dockerfile. Docker does not run here, so the files are
 * parsed and checked against the app's contract (pools, env vars, endpoints).
 */
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { POOLS, NODE_POOL_NAMES, PYTHON_POOL } from '../../src/workflows/tasks/pools';

const root = path.resolve(__dirname, '..', '..');
const composePath = path.join(root, 'docker-compose.yml');
const dockerfilePath = path.join(root, 'Dockerfile');

type Env = Record<string, string>;
interface Service {
  image?: string;
  build?: unknown;
  command?: string | string[];
  entrypoint?: string | string[];
  container_name?: string;
  ports?: Array<string | number | { target?: number; published?: number | string }>;
  environment?: Record<string, unknown> | string[];
  depends_on?: string[] | Record<string, { condition?: string }>;
  healthcheck?: { test?: string | string[]; disable?: boolean };
  volumes?: Array<string | { type?: string; source?: string; target?: string }>;
  profiles?: string[];
}
interface Compose {
  services: Record<string, Service>;
}

// Merge keys (`<<: *app`) resolved, as Docker Compose does.
const compose = parse(fs.readFileSync(composePath, 'utf8'), { merge: true }) as Compose;
const services = compose.services;
const serviceNames = Object.keys(services);

const workerServiceNames = NODE_POOL_NAMES.map((pool) => `worker-${pool}`);
const appServiceNames = ['api', ...workerServiceNames];

function envOf(service: Service): Env {
  const raw = service.environment;
  if (raw === undefined || raw === null) return {};
  if (Array.isArray(raw)) {
    const env: Env = {};
    for (const entry of raw) {
      const eq = entry.indexOf('=');
      if (eq > 0) env[entry.slice(0, eq)] = entry.slice(eq + 1);
    }
    return env;
  }
  const env: Env = {};
  for (const [key, value] of Object.entries(raw)) {
    if (key !== '<<' && value !== null && value !== undefined) env[key] = String(value);
  }
  return env;
}

function commandLine(cmd: string | string[] | undefined): string {
  if (cmd === undefined) return '';
  return Array.isArray(cmd) ? cmd.join(' ') : cmd;
}

function dependsOn(service: Service): string[] {
  const deps = service.depends_on;
  if (!deps) return [];
  return Array.isArray(deps) ? deps : Object.keys(deps);
}

/** Container-side ports a service publishes or declares (`"1025:1025"`, `"127.0.0.1:80:8080/tcp"`, long form). */
function containerPorts(service: Service): number[] {
  return (service.ports ?? []).map((p) => {
    if (typeof p === 'number') return p;
    if (typeof p === 'object') return Number(p.target);
    const withoutProto = p.split('/')[0];
    const parts = withoutProto.split(':');
    return Number(parts[parts.length - 1]);
  });
}

/** Services whose image starts with `prefix` (e.g. `mongo:`). */
function servicesWithImage(prefix: string): string[] {
  return serviceNames.filter((name) => (services[name].image ?? '').startsWith(prefix));
}

/** host and port of `host:port`. */
function hostPort(address: string): { host: string; port: string } {
  const match = /^([^:/]+):(\d+)$/.exec(address);
  if (!match) throw new Error(`not a host:port address: ${address}`);
  return { host: match[1], port: match[2] };
}

describe('docker-compose.yml', () => {
  it('defines the infrastructure services', () => {
    for (const name of ['postgres', 'temporal', 'temporal-admin-tools', 'temporal-ui', 'mongodb', 'mailpit', 'api']) {
      expect(services).toHaveProperty([name]);
    }
    // Current images, as Temporal's own compose examples use them: the server image, not
    // the deprecated auto-setup; admin-tools of the same version (no tctl suffix any more).
    const server = /^temporalio\/server:(\d+)\.(\d+)\.(\d+)$/.exec(services.temporal.image ?? '');
    expect(server).not.toBeNull();
    expect(Number(server![1]) * 1000 + Number(server![2])).toBeGreaterThanOrEqual(1031);
    expect(servicesWithImage('temporalio/auto-setup')).toEqual([]);
    for (const name of servicesWithImage('temporalio/admin-tools'))
      expect([name, services[name].image]).toEqual([name, `temporalio/admin-tools:${server![1]}.${server![2]}.${server![3]}`]);
    const ui = /^temporalio\/ui:(\d+)\.(\d+)\.\d+$/.exec(services['temporal-ui'].image ?? '');
    expect(Number(ui![1]) * 1000 + Number(ui![2])).toBeGreaterThanOrEqual(2049);
    expect(services.postgres.image).toMatch(/^postgres:\d+/);
    expect(services.mongodb.image).toMatch(/^mongo:8(\.|$)/);
    expect(services.mailpit.image).toMatch(/^axllent\/mailpit(:|$)/);
    expect(envOf(services.temporal).DB).toBe('postgres12');
  });

  it.each(NODE_POOL_NAMES)('has a worker service for pool %s running --pool <pool>', (pool) => {
    expect(POOLS[pool]).toBeDefined();
    const service = services[`worker-${pool}`];
    expect(service).toBeDefined();
    const cmd = commandLine(service.command);
    expect(cmd).toMatch(/dist\/workers\/main\.js/);
    expect(` ${cmd} `).toContain(` --pool ${pool} `);
  });

  it('has no worker service for a pool that does not exist', () => {
    const workers = serviceNames.filter((name) => name.startsWith('worker-'));
    expect(workers.sort()).toEqual([...workerServiceNames, `worker-${PYTHON_POOL}`].sort());
  });

  it('runs the Python pool from its own image, behind the profile python, with the Celery app mounted', () => {
    const service = services[`worker-${PYTHON_POOL}`];
    expect(service.profiles).toEqual(['python']);
    expect(service.build).toMatchObject({ dockerfile: 'python/Dockerfile' });
    const env = envOf(service);
    expect(env).toMatchObject({
      TEMPORAL_ADDRESS: 'temporal:7233',
      MONGODB_URI: 'mongodb://mongodb:27017/orchestra',
      ORCHESTRA_PYTHON_QUEUE: POOLS.python.queue,
    });
    expect(String(service.volumes?.[0])).toMatch(/:\/app\/celery-app:ro$/);
    expect(fs.readFileSync(path.join(root, 'python', 'Dockerfile'), 'utf8')).toMatch(/pip install --no-cache-dir -r python\/requirements.txt/);
  });

  it('publishes on every interface only the API (which checks keys); Temporal, its UI, MongoDB and Mailpit on 127.0.0.1 only', () => {
    const published = (name: string) =>
      (services[name].ports ?? []).map((p) => {
        if (typeof p === 'number') return { name, hostIp: '' };
        if (typeof p === 'object') return { name, hostIp: String((p as { host_ip?: string }).host_ip ?? '') };
        const parts = p.split('/')[0].split(':');
        return { name, hostIp: parts.length === 3 ? parts[0] : '' };
      });
    for (const name of ['temporal', 'temporal-ui', 'mongodb', 'mailpit']) {
      expect(published(name).length).toBeGreaterThan(0);
      for (const port of published(name)) expect(port).toEqual({ name, hostIp: '127.0.0.1' });
    }
    const open = serviceNames.flatMap(published).filter((p) => p.hostIp !== '127.0.0.1');
    expect(open.map((p) => p.name)).toEqual(['api']);
  });

  it.each(workerServiceNames)('%s can be scaled: no container_name, no host ports', (name) => {
    const service = services[name];
    expect(service.container_name).toBeUndefined();
    expect(service.ports ?? []).toEqual([]);
  });

  it.each(appServiceNames)('%s is built from the Dockerfile and restarts', (name) => {
    const service = services[name];
    expect(service.build ?? service.image).toBeDefined();
    expect(service.image).toBe(services.api.image);
    expect(service).toHaveProperty('restart');
  });

  describe.each(appServiceNames)('%s environment', (name) => {
    const env = envOf(services[name]);

    it('points TEMPORAL_ADDRESS at the temporal service on 7233', () => {
      const { host, port } = hostPort(env.TEMPORAL_ADDRESS);
      expect(port).toBe('7233');
      expect(servicesWithImage('temporalio/server:')).toContain(host);
    });

    it('points MONGODB_URI at the mongodb service', () => {
      const url = new URL(env.MONGODB_URI);
      expect(url.protocol).toBe('mongodb:');
      expect(servicesWithImage('mongo:')).toContain(url.hostname);
      expect(url.port === '' ? '27017' : url.port).toBe('27017');
      expect(url.pathname).toBe('/orchestra');
    });

    it('points SMTP_URL at the mailpit SMTP port', () => {
      const url = new URL(env.SMTP_URL);
      expect(url.protocol).toBe('smtp:');
      expect(servicesWithImage('axllent/mailpit')).toContain(url.hostname);
      expect(url.port).toBe('1025');
      expect(containerPorts(services[url.hostname])).toContain(1025);
    });

    it('links to the Temporal UI as seen from the host browser', () => {
      expect(env.TEMPORAL_UI_URL).toBe('http://localhost:8080');
    });

    it('only names hosts that are services of this file', () => {
      const hosts = [hostPort(env.TEMPORAL_ADDRESS).host, new URL(env.MONGODB_URI).hostname, new URL(env.SMTP_URL).hostname];
      for (const host of hosts) expect(serviceNames).toContain(host);
    });
  });

  it('api binds 0.0.0.0 on 3000, publishes it and health-checks /health', () => {
    const api = services.api;
    const env = envOf(api);
    expect(env.API_HOST).toBe('0.0.0.0');
    expect(env.API_PORT ?? '3000').toBe('3000');
    expect(containerPorts(api)).toContain(3000);
    expect(commandLine(api.command) || 'node dist/api/main.js').toContain('dist/api/main.js');
    const test = commandLine(api.healthcheck?.test);
    expect(test).toContain('/health');
    expect(test).not.toContain('/ready');
  });

  it('app services wait for their dependencies with conditions', () => {
    for (const name of appServiceNames) {
      const deps = services[name].depends_on;
      expect(deps).toBeDefined();
      expect(Array.isArray(deps)).toBe(false);
      const map = deps as Record<string, { condition?: string }>;
      for (const dep of ['temporal', 'mongodb']) {
        expect(map[dep]?.condition).toBe('service_healthy');
      }
    }
  });

  it('every depends_on names a service of this file', () => {
    for (const name of serviceNames) {
      for (const dep of dependsOn(services[name])) {
        expect({ service: name, dependsOn: dep, exists: serviceNames.includes(dep) }).toEqual({
          service: name,
          dependsOn: dep,
          exists: true,
        });
      }
    }
  });

  it('registers the custom search attributes with the temporal CLI', () => {
    const registering = serviceNames.filter((name) => {
      const s = services[name];
      const text = `${commandLine(s.entrypoint)} ${commandLine(s.command)}`;
      return text.includes('temporal operator search-attribute create');
    });
    expect(registering.length).toBeGreaterThan(0);
    for (const name of registering) {
      const s = services[name];
      expect(s.image).toMatch(/^temporalio\/admin-tools:/);
      const text = commandLine(s.command);
      expect(text).toContain('OrchestraWorkflowKind');
      expect(text).toContain('OrchestraTasks');
      expect(text).toContain('OrchestraTenant');
      expect(text).toContain('OrchestraTags');
      expect(text).toMatch(/\bKeyword\b/);
      expect(text).toContain('KeywordList');
      expect(hostPort(envOf(s).TEMPORAL_ADDRESS).host).toBe('temporal');
    }
  });

  it('sets up the schema once, before the server starts, through admin-tools (no auto-setup)', () => {
    const schema = services['temporal-schema'];
    expect(schema.image).toMatch(/^temporalio\/admin-tools:/);
    const script = commandLine(schema.command);
    expect(script).toContain('temporal-sql-tool --plugin postgres12 --ep postgres');
    expect(script).toMatch(/for db in temporal temporal_visibility/);
    expect(script).toContain('update-schema -d /etc/temporal/schema/postgresql/v12/$$dir/versioned');
    expect(services.temporal.depends_on).toEqual({ 'temporal-schema': { condition: 'service_completed_successfully' } });
    expect(envOf(services.temporal)).toMatchObject({ DB: 'postgres12', POSTGRES_SEEDS: 'postgres' });
    expect(commandLine(services.temporal.healthcheck?.test)).toContain('7233');
  });

  it('creates the namespace in a one-shot the app containers wait for', () => {
    const setup = services['temporal-setup'];
    const script = commandLine(setup.command);
    expect(script).toContain('temporal operator namespace create --namespace "$$ns"');
    expect(envOf(setup).TEMPORAL_NAMESPACE).toBe(envOf(services.api).TEMPORAL_NAMESPACE);
    for (const name of appServiceNames)
      expect((services[name].depends_on as Record<string, { condition?: string }>)['temporal-setup']).toEqual({ condition: 'service_completed_successfully' });
  });

  it('gives the API keys on the first start: a first admin key in the data volume, no development mode', () => {
    const env = envOf(services.api);
    expect(env.ORCHESTRA_DEV_MODE ?? 'false').toBe('false');
    const dataMount = (services.api.volumes ?? [])
      .map(String)
      .find((v) => v.startsWith('orchestra-data:'))!
      .split(':')[1];
    for (const file of [env.API_KEYS_FILE, env.API_FIRST_KEY_FILE]) expect(path.posix.dirname(file)).toBe(dataMount);
  });

  it.each(workerServiceNames)('%s is health-checked on /healthz at WORKER_HEALTH_ADDRESS (polling, not just alive)', (name) => {
    const { port } = hostPort(envOf(services[name]).WORKER_HEALTH_ADDRESS);
    expect(commandLine(services[name].healthcheck?.test)).toContain(`127.0.0.1:${port}/healthz`);
  });

  it('temporal-ui reaches temporal and serves on 8080', () => {
    const ui = services['temporal-ui'];
    const env = envOf(ui);
    expect(hostPort(env.TEMPORAL_ADDRESS)).toEqual({ host: 'temporal', port: '7233' });
    expect(env.TEMPORAL_CORS_ORIGINS).toBeTruthy();
    expect(containerPorts(ui)).toContain(8080);
  });

  it('mailpit serves SMTP on 1025 and the inbox on 8025', () => {
    expect(containerPorts(services.mailpit)).toEqual(expect.arrayContaining([1025, 8025]));
  });

  it('postgres and mongodb have healthchecks and volumes', () => {
    for (const name of ['postgres', 'mongodb']) {
      expect(services[name].healthcheck?.test).toBeDefined();
      expect((services[name].volumes ?? []).length).toBeGreaterThan(0);
    }
  });

  it('mounts the dynamic config file that the temporal service points at', () => {
    const temporal = services.temporal;
    const configured = envOf(temporal).DYNAMIC_CONFIG_FILE_PATH;
    expect(configured).toBeTruthy();
    // The server image's working directory is /etc/temporal; relative paths resolve from it.
    const inContainer = path.posix.resolve('/etc/temporal', configured);

    const mounts = (temporal.volumes ?? []).map((v) => {
      if (typeof v === 'string') {
        const [source, target] = v.split(':');
        return { source, target };
      }
      return { source: v.source ?? '', target: v.target ?? '' };
    });
    const mount = mounts.find((m) => m.source.startsWith('.') && (inContainer === m.target || inContainer.startsWith(`${m.target}/`)));
    expect(mount).toBeDefined();
    const onHost = path.join(root, mount!.source, path.posix.relative(mount!.target, inContainer));
    expect(fs.existsSync(onHost)).toBe(true);
    const dynamicConfig = parse(fs.readFileSync(onHost, 'utf8')) as Record<string, Array<{ value: unknown }>>;
    expect(dynamicConfig['system.forceSearchAttributesCacheRefreshOnRead']?.[0]?.value).toBe(true);
    for (const [key, values] of Object.entries(dynamicConfig)) {
      expect({ key, isList: Array.isArray(values) }).toEqual({ key, isList: true });
    }
  });
});

describe('Dockerfile', () => {
  const text = fs.existsSync(dockerfilePath) ? fs.readFileSync(dockerfilePath, 'utf8') : '';
  // Instructions, with line continuations joined and comments dropped.
  const instructions = text
    .replace(/\\\r?\n/g, ' ')
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));

  it('exists', () => {
    expect(fs.existsSync(dockerfilePath)).toBe(true);
  });

  it('is multi-stage on Node 24 LTS', () => {
    const froms = instructions.filter((line) => /^FROM\s/i.test(line));
    expect(froms.length).toBeGreaterThan(1);
    expect(text).toContain('ARG NODE_IMAGE=node:24-bookworm-slim');
  });

  it('builds with npm run build and keeps only production deps at runtime', () => {
    expect(instructions.some((line) => /^RUN\s.*npm ci(?!.*--omit=dev)/i.test(line))).toBe(true);
    expect(instructions.some((line) => /^RUN\s.*npm run build/i.test(line))).toBe(true);
    expect(instructions.some((line) => /^RUN\s.*npm ci .*--omit=dev/i.test(line))).toBe(true);
    expect(text).toMatch(/WORKFLOW_BUNDLE_PATH=\/app\/dist\/workflow-bundle\.js/);
  });

  it('runs the final stage as a non-root user', () => {
    const lastFrom = instructions.map((l) => /^FROM\s/i.test(l)).lastIndexOf(true);
    const users = instructions
      .slice(lastFrom)
      .filter((line) => /^USER\s/i.test(line))
      .map((line) => line.split(/\s+/)[1]);
    expect(users.length).toBeGreaterThan(0);
    const user = users[users.length - 1].split(':')[0];
    expect(['root', '0']).not.toContain(user);
  });

  it('defaults to the API', () => {
    const cmd = instructions.filter((line) => /^CMD\s/i.test(line)).pop();
    expect(cmd).toContain('dist/api/main.js');
  });
});
