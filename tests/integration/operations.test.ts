/**
 * Operations against real servers: API keys (401, 403, scopes, rotation without restart),
 * rate limits, metrics, the payload codec with ciphertext at rest, graceful worker shutdown.
 * Auth tests run the real app in this process with keys configured (the shared test API
 * runs in development mode, like `npm start`).
 */
import { Client, Connection } from '@temporalio/client';
// The in-process apps log every request; the assertions say what matters here.
process.env.LOG_LEVEL = 'warn';
import type { Server } from 'node:http';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ApiKeys, hashKey } from '../../src/http/auth';
import { createApp } from '../../src/api/app';
import { ApiMetrics } from '../../src/http/metrics';
import { Runs } from '../../src/api/runs';
import { loadConfig, type Config } from '../../src/config';
import { AesGcmCodec } from '../../src/temporal/codec';
import { call, control, waitFor, waitForEnd } from '../support/http';

interface Running {
  url: string;
  server: Server;
  keys: ApiKeys;
}

const key = (scopes: string[], id: string, secret: string) => ({ id, sha256: hashKey(secret), scopes });
const dir = mkdtempSync(path.join(os.tmpdir(), 'orchestra-keys-'));
const keysFile = path.join(dir, 'keys.json');
let connection: Connection;
let client: Client;

async function startApp(overrides: Partial<Config['security']> = {}, codec?: AesGcmCodec): Promise<Running> {
  const base = loadConfig();
  const config: Config = { ...base, security: { ...base.security, devMode: false, apiKeysFile: keysFile, ...overrides } };
  const keys = new ApiKeys({ file: config.security.apiKeysFile, inline: config.security.apiKeysInline });
  const app = createApp({
    config,
    client,
    runs: new Runs(client, config),
    pingDatabase: async () => undefined,
    apiKeys: keys,
    metrics: new ApiMetrics(),
    codec,
  });
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}`, server, keys };
}

async function stopApp(app: Running): Promise<void> {
  app.keys.close();
  await new Promise((resolve) => app.server.close(resolve));
}

const request = (app: Running, method: string, route: string, secret?: string, body?: unknown) =>
  fetch(`${app.url}${route}`, {
    method,
    headers: { ...(secret ? { authorization: `Bearer ${secret}` } : {}), ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });

beforeAll(async () => {
  connection = await Connection.connect({ address: process.env.TEMPORAL_ADDRESS! });
  client = new Client({ connection });
  writeFileSync(
    keysFile,
    JSON.stringify({ keys: [key(['read'], 'reader', 'r-secret'), key(['write'], 'writer', 'w-secret'), key(['admin'], 'ops', 'a-secret')] }),
  );
});

afterAll(async () => {
  await connection.close();
});

describe('API keys', () => {
  let app: Running;
  beforeAll(async () => (app = await startApp()));
  afterAll(async () => stopApp(app));

  test('health, readiness and docs need no key; everything else does', async () => {
    expect((await request(app, 'GET', '/health')).status).toBe(200);
    expect((await request(app, 'GET', '/openapi.json')).status).toBe(200);
    const missing = await request(app, 'GET', '/tasks');
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toContain('Bearer');
    expect((await request(app, 'GET', '/tasks', 'not-a-key')).status).toBe(401);
    expect((await request(app, 'GET', '/metrics')).status).toBe(401);
  });

  test('scopes: read reads, write starts, admin terminates', async () => {
    expect((await request(app, 'GET', '/tasks', 'r-secret')).status).toBe(200);
    const canvas = { canvas: { task: 'sleep', args: [30000] } };
    expect((await request(app, 'POST', '/workflows', 'r-secret', canvas)).status).toBe(403);
    const started = await request(app, 'POST', '/workflows', 'w-secret', canvas);
    expect(started.status).toBe(201);
    const { workflowId } = (await started.json()) as { workflowId: string };
    expect((await request(app, 'GET', `/workflows/${workflowId}`, 'w-secret')).status).toBe(200);
    expect((await request(app, 'POST', `/workflows/${workflowId}/terminate`, 'w-secret', { reason: 'no' })).status).toBe(403);
    expect((await request(app, 'POST', `/workflows/${workflowId}/terminate`, 'a-secret', { reason: 'test' })).status).toBe(200);
  });

  test('a key rotates without a restart when the file changes', async () => {
    writeFileSync(keysFile, JSON.stringify({ keys: [key(['read'], 'reader', 'r-secret-2')] }));
    const deadline = Date.now() + 10_000;
    while ((await request(app, 'GET', '/tasks', 'r-secret')).status !== 401 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    expect((await request(app, 'GET', '/tasks', 'r-secret')).status).toBe(401);
    expect((await request(app, 'GET', '/tasks', 'r-secret-2')).status).toBe(200);
    // An invalid file keeps the keys that work.
    writeFileSync(keysFile, '{"keys": [{"id": "x"}]}');
    await new Promise((r) => setTimeout(r, 2500));
    expect((await request(app, 'GET', '/tasks', 'r-secret-2')).status).toBe(200);
    writeFileSync(
      keysFile,
      JSON.stringify({ keys: [key(['read'], 'reader', 'r-secret'), key(['write'], 'writer', 'w-secret'), key(['admin'], 'ops', 'a-secret')] }),
    );
  });
});

describe('rate limits', () => {
  test('over the limit answers 429 with Retry-After, per key', async () => {
    const app = await startApp({ rateLimitPerMinute: 60, rateLimitBurst: 3 });
    try {
      await new Promise((r) => setTimeout(r, 1500)); // let the rotated file settle
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++) statuses.push((await request(app, 'GET', '/tasks', 'r-secret')).status);
      expect(statuses).toEqual([200, 200, 200, 429]);
      const limited = await request(app, 'GET', '/tasks', 'r-secret');
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(((await limited.json()) as { status: number }).status).toBe(429);
      expect((await request(app, 'GET', '/tasks', 'w-secret')).status).toBe(200);
    } finally {
      await stopApp(app);
    }
  });

  test('a batch of N starts counts as N requests, and one over the limit starts nothing', async () => {
    const app = await startApp({ rateLimitPerMinute: 60, rateLimitBurst: 5 });
    const id = `limited-${Date.now().toString(36)}`;
    const batch = (ids: string[]) => ({ canvases: ids.map((workflowId) => ({ workflowId, canvas: { task: 'add', args: [1, 2] } })) });
    try {
      expect((await request(app, 'POST', '/workflows/batch', 'w-secret', batch([`${id}-a`, `${id}-b`, `${id}-c`, `${id}-d`]))).status).toBe(201);
      // One of five left: a batch of two is over it, and neither of its runs starts.
      const limited = await request(app, 'POST', '/workflows/batch', 'w-secret', batch([`${id}-e`, `${id}-f`]));
      expect(limited.status).toBe(429);
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      for (const run of [`${id}-e`, `${id}-f`]) {
        await expect(client.workflow.getHandle(run).describe()).rejects.toThrow(/not found/i);
      }
    } finally {
      await stopApp(app);
    }
  });
});

describe('metrics', () => {
  test('the API exports request counts, latency and workflow starts', async () => {
    await call('GET', '/tasks');
    await waitForEnd((await call('POST', '/workflows', { canvas: { task: 'add', args: [1, 2] } })).body.workflowId);
    const text = (await call('GET', '/metrics')).body as string;
    expect(text).toMatch(/orchestra_http_requests_total\{method="GET",route="\/tasks",status="200"\} \d+/);
    expect(text).toContain('orchestra_http_request_duration_seconds_bucket');
    expect(text).toMatch(/orchestra_workflow_starts_total\{type="canvas"\} \d+/);
  });

  test('each worker pool exports the SDK metrics, including schedule-to-start latency', async () => {
    const text = await (await fetch(process.env.ORCHESTRA_TEST_DEFAULT_METRICS_URL!)).text();
    expect(text).toContain('temporal_activity_schedule_to_start_latency');
    expect(text).toContain('task_queue="orchestra-default"');
  });
});

describe('payload encryption', () => {
  const codec = new AesGcmCodec({ k1: Buffer.alloc(32, 7).toString('base64'), k2: Buffer.alloc(32, 9).toString('base64') }, 'k2');

  test('the server stores only ciphertext, and the codec client reads it back', async () => {
    const encrypted = new Client({ connection, dataConverter: { payloadCodecs: [codec] } });
    const marker = `secret-marker-${Date.now()}`;
    const handle = await encrypted.workflow.start('canvas', {
      taskQueue: 'orchestra-codec-test',
      workflowId: `codec-${Date.now()}`,
      args: [{ canvas: { task: 'noop', args: [marker] } }],
    });
    const raw = await client.workflow.getHandle(handle.workflowId).fetchHistory();
    const input = raw.events![0].workflowExecutionStartedEventAttributes!.input!.payloads![0];
    expect(Buffer.from(input.metadata!.encoding!).toString()).toBe('binary/encrypted');
    expect(Buffer.from(input.metadata!['encryption-key-id']!).toString()).toBe('k2');
    expect(Buffer.from(input.data!).toString('latin1')).not.toContain(marker);
    const [decoded] = await codec.decode([input]);
    expect(Buffer.from(decoded.data!).toString()).toContain(marker);
    await handle.terminate('codec test done');
  });

  test('old keys still decrypt after rotation, and /codec serves the Web UI', async () => {
    const old = new AesGcmCodec({ k1: Buffer.alloc(32, 7).toString('base64') }, 'k1');
    const [sealed] = await old.encode([{ metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.from('"hello"') }]);
    const app = await startApp({}, codec);
    try {
      const wire = {
        payloads: [
          {
            metadata: Object.fromEntries(Object.entries(sealed.metadata!).map(([k, v]) => [k, Buffer.from(v!).toString('base64')])),
            data: Buffer.from(sealed.data!).toString('base64'),
          },
        ],
      };
      const response = await request(app, 'POST', '/codec/decode', 'r-secret', wire);
      expect(response.status).toBe(200);
      expect(response.headers.get('access-control-allow-origin')).toBeTruthy();
      const body = (await response.json()) as { payloads: Array<{ data: string }> };
      expect(Buffer.from(body.payloads[0].data, 'base64').toString()).toBe('"hello"');
      expect((await request(app, 'POST', '/codec/decode', undefined, wire)).status).toBe(401);
    } finally {
      await stopApp(app);
    }
  });
});

describe('graceful shutdown', () => {
  test('SIGTERM to a pool mid-activity: the activity finishes on the same attempt and the run completes', async () => {
    const started = await call('POST', '/workflows', { canvas: { task: 'sleep', args: [6000], options: { heartbeatTimeout: '2s' } } });
    const id = started.body.workflowId;
    await waitFor(id, (v) => (v.state?.heartbeat?.progress ?? 0) > 0);
    await control('stop', 'worker-default'); // SIGTERM; resolves when the process has exited
    const run = await waitForEnd(id, '60s');
    expect(run).toMatchObject({ status: 'COMPLETED', result: 6000 });
    const client2 = new Client({ connection });
    const history = await client2.workflow.getHandle(id).fetchHistory();
    const attempts = history.events!.filter((e) => e.activityTaskStartedEventAttributes).map((e) => e.activityTaskStartedEventAttributes!.attempt);
    expect(attempts).toEqual([1]);
    await control('start', 'worker-default');
  });
});
