/**
 * Hardening against real servers: the development mode's Host rule (421) and GET / → /ui,
 * TRUST_PROXY's hop count, admin for /codec/encode, nosniff and frame-ancestors on every
 * answer, the per-caller cap on result waits, and an event stream whose client never reads
 * (dropped past SSE's buffer bound, while a reading client of the same run keeps its stream).
 * In-process apps run the real routes with a configuration of the test's own; a few checks
 * go to the shared development-mode API to prove the wiring in the real process.
 */
process.env.LOG_LEVEL = 'warn';
import { Client, Connection } from '@temporalio/client';
import type { Server } from 'node:http';
import { request as httpRequest } from 'node:http';
import net from 'node:net';
import { createApp } from '../../src/api/app';
import { ApiKeys, hashKey } from '../../src/http/auth';
import type { AppContext } from '../../src/api/context';
import { ApiMetrics } from '../../src/http/metrics';
import { Runs, type RunView } from '../../src/api/runs';
import { loadConfig, type Config } from '../../src/config';
import type { TenantReach } from '../../src/workflows/tenants';
import { apiUrl, raw } from '../support/http';

const SECRETS = { read: 'hard-read', write: 'hard-write', other: 'hard-write-2', admin: 'hard-admin' } as const;
const KEYS = JSON.stringify({
  keys: [
    { id: 'read', sha256: hashKey(SECRETS.read), scopes: ['read'], tenant: 'hardening' },
    { id: 'write', sha256: hashKey(SECRETS.write), scopes: ['write'], tenant: 'hardening' },
    { id: 'other', sha256: hashKey(SECRETS.other), scopes: ['write'], tenant: 'hardening' },
    { id: 'admin', sha256: hashKey(SECRETS.admin), scopes: ['admin'] },
  ],
});
const bearer = (secret: string) => ({ authorization: `Bearer ${secret}` });
const json = { 'content-type': 'application/json' };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** A counter's or gauge's value (no labels). */
const counted = async (metric: { get(): Promise<{ values: Array<{ value: number }> }> }) => (await metric.get()).values[0]?.value ?? 0;

let connection: Connection;
let client: Client;

beforeAll(async () => {
  connection = await Connection.connect({ address: process.env.TEMPORAL_ADDRESS! });
  client = new Client({ connection });
});

afterAll(async () => {
  await connection.close();
});

type Overrides = { security?: Partial<Config['security']>; api?: Partial<Config['api']> };

async function startApp(overrides: Overrides, runs?: (config: Config) => Runs): Promise<{ url: string; context: AppContext; stop: () => Promise<void> }> {
  const base = loadConfig();
  const config: Config = {
    ...base,
    api: { ...base.api, ...overrides.api },
    security: {
      ...base.security,
      devMode: false,
      apiKeysFile: undefined,
      apiKeysInline: KEYS,
      rateLimitPerMinute: 0,
      rateLimitAnonymousPerMinute: 0,
      ...overrides.security,
    },
  };
  const apiKeys = new ApiKeys({ inline: config.security.apiKeysInline });
  const context: AppContext = {
    config,
    client,
    runs: runs ? runs(config) : new Runs(client, config),
    pingDatabase: async () => undefined,
    apiKeys,
    metrics: new ApiMetrics(),
  };
  const server = await new Promise<Server>((resolve) => {
    const s = createApp(context).listen(0, '127.0.0.1', () => resolve(s));
  });
  const stop = async () => {
    apiKeys.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  };
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, context, stop };
}

describe('development mode answers loopback Hosts only', () => {
  test('the shared API (development mode): a foreign Host is 421 problem+json that says how to fix it; loopback names pass', async () => {
    for (const host of ['evil.example', 'evil.example:3000', 'localhost.evil.example', '127.0.0.1.nip.io', '192.168.1.20:3000', '[::2]']) {
      const reply = await raw(apiUrl(), 'GET', '/tasks', { host });
      expect([host, reply.status, reply.headers['content-type']]).toEqual([host, 421, 'application/problem+json']);
      expect(JSON.parse(reply.text).detail).toContain('ALLOWED_HOSTS');
    }
    // X-Forwarded-Host is never read: a page could set it.
    expect((await raw(apiUrl(), 'GET', '/tasks', { host: 'evil.example', 'x-forwarded-host': 'localhost' })).status).toBe(421);
    const port = new URL(apiUrl()).port;
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `LOCALHOST:${port}`, `127.1.2.3:${port}`, `[::1]:${port}`, 'localhost']) {
      expect([host, (await raw(apiUrl(), 'GET', '/tasks', { host })).status]).toEqual([host, 200]);
    }
  });

  test('ALLOWED_HOSTS adds names; outside development mode the Host is not checked', async () => {
    const dev = await startApp({ security: { devMode: true, allowedHosts: ['orchestra.test'] } });
    const keyed = await startApp({});
    try {
      expect((await raw(dev.url, 'GET', '/health', { host: 'orchestra.test:8080' })).status).toBe(200);
      expect((await raw(dev.url, 'GET', '/health', { host: 'other.test' })).status).toBe(421);
      expect((await raw(keyed.url, 'GET', '/health', { host: 'api.example.com' })).status).toBe(200);
    } finally {
      await dev.stop();
      await keyed.stop();
    }
  });

  test('GET / redirects to the dashboard', async () => {
    const reply = await raw(apiUrl(), 'GET', '/');
    expect([reply.status, reply.headers.location]).toEqual([302, '/ui']);
  });
});

describe('TRUST_PROXY: the client address from X-Forwarded-For, N hops from the right', () => {
  /** With one anonymous request a minute per address, a 429 says the address was seen before. */
  async function seen(hops: number, forwardedFor: string[]): Promise<boolean[]> {
    const app = await startApp({ security: { trustProxyHops: hops, rateLimitAnonymousPerMinute: 1, rateLimitBurst: 1 } });
    try {
      const out: boolean[] = [];
      for (const xff of forwardedFor) out.push((await raw(app.url, 'GET', '/tasks', { 'x-forwarded-for': xff })).status === 429);
      return out;
    } finally {
      await app.stop();
    }
  }

  test('0 (the default): the header is ignored, every request is the socket peer', async () => {
    expect(await seen(0, ['10.0.0.1', '10.0.0.2'])).toEqual([false, true]);
  });

  test('1: the last entry, what the one proxy appended; entries a client wrote before it do not count', async () => {
    expect(await seen(1, ['spoof-a, 10.0.0.1', 'spoof-b, 10.0.0.2', 'spoof-c, 10.0.0.1'])).toEqual([false, false, true]);
  });

  test('2: the second from the right', async () => {
    expect(await seen(2, ['spoof, 10.0.0.5, 172.16.0.1', 'other, 10.0.0.6, 172.16.0.1', 'x, 10.0.0.5, 172.16.0.2'])).toEqual([false, false, true]);
  });
});

describe('least privilege', () => {
  test('/codec/encode needs admin; /codec/decode stays read', async () => {
    const app = await startApp({});
    try {
      const body = JSON.stringify({ payloads: [] });
      const post = (path: string, secret: string) => raw(app.url, 'POST', path, { ...bearer(secret), ...json }, body);
      expect((await post('/codec/encode', SECRETS.read)).status).toBe(403);
      expect((await post('/codec/encode', SECRETS.write)).status).toBe(403);
      // Past the scope check: encryption is off in this app, so the handler answers 404.
      expect((await post('/codec/encode', SECRETS.admin)).status).toBe(404);
      expect((await post('/codec/decode', SECRETS.read)).status).toBe(404);
    } finally {
      await app.stop();
    }
  });

  test('JSON answers, problems, /docs and the dashboard carry nosniff and forbid framing; the dashboard keeps its own policy', async () => {
    const framing = (headers: Record<string, string | string[] | undefined>) => [
      headers['x-content-type-options'],
      headers['x-frame-options'],
      String(headers['content-security-policy']),
    ];
    for (const path of ['/tasks', '/workflows/no-such-run', '/no-such-route', '/docs', '/openapi.json']) {
      const reply = await raw(apiUrl(), 'GET', path);
      expect([path, ...framing(reply.headers)]).toEqual([path, 'nosniff', 'DENY', "frame-ancestors 'none'"]);
    }
    const page = await raw(apiUrl(), 'GET', '/ui/');
    expect(page.status).toBe(200);
    expect(framing(page.headers)).toEqual(['nosniff', 'DENY', expect.stringContaining("default-src 'self'")]);
    expect(String(page.headers['content-security-policy'])).toContain("frame-ancestors 'none'");
    const app = await startApp({});
    try {
      const unauthorized = await raw(app.url, 'GET', '/tasks');
      expect([unauthorized.status, ...framing(unauthorized.headers)]).toEqual([401, 'nosniff', 'DENY', "frame-ancestors 'none'"]);
    } finally {
      await app.stop();
    }
  });

  test('result waits are capped per key: 429 with Retry-After past RESULT_MAX_WAITS_PER_KEY, other keys unaffected, freed when a wait answers', async () => {
    const app = await startApp({ api: { maxResultWaitsPerCaller: 2 } });
    const workflowId = `hardening-wait-${Date.now().toString(36)}`;
    try {
      const started = await raw(
        app.url,
        'POST',
        '/workflows',
        { ...bearer(SECRETS.write), ...json },
        JSON.stringify({ workflowId, canvas: { task: 'sleep', args: [60_000] } }),
      );
      expect(started.status).toBe(201);
      const wait = (secret: string, timeout: string) => raw(app.url, 'GET', `/workflows/${workflowId}/result?timeout=${timeout}`, bearer(secret));
      const holders = [wait(SECRETS.write, '8s'), wait(SECRETS.write, '8s')];
      // The two holders are in once a third is refused; each holds for 8 s.
      let refused: Awaited<ReturnType<typeof wait>> | undefined;
      for (let i = 0; i < 40 && refused?.status !== 429; i++) {
        refused = await wait(SECRETS.write, '1ms');
        if (refused.status !== 429) await sleep(100);
      }
      expect([refused?.status, Number(refused?.headers['retry-after'])]).toEqual([429, 5]);
      expect(JSON.parse(refused!.text).detail).toContain('RESULT_MAX_WAITS_PER_KEY');
      // Another key (same tenant) has its own slots.
      expect((await wait(SECRETS.other, '1s')).status).toBe(202);
      expect((await Promise.all(holders)).map((r) => r.status)).toEqual([202, 202]);
      expect((await wait(SECRETS.write, '1s')).status).toBe(202);
      expect(await counted(app.context.metrics.resultWaitRefusals)).toBeGreaterThanOrEqual(1);
    } finally {
      await raw(app.url, 'POST', `/workflows/${workflowId}/terminate`, { ...bearer(SECRETS.admin), ...json }, '{}');
      await app.stop();
    }
  });
});

describe('event streams respect backpressure', () => {
  /** A run whose state changes at every read and weighs about 200 KB: frames pile up fast for a client that does not read. */
  class HeavyRuns extends Runs {
    private reads = 0;
    override async view(workflowId: string, _reach?: TenantReach): Promise<RunView> {
      this.reads++;
      const state = { status: 'running', note: `${this.reads}:${'x'.repeat(200_000)}` };
      return { workflowId, status: 'RUNNING', state } as unknown as RunView;
    }
  }

  test('a client that never reads is dropped past SSE_MAX_BUFFERED_BYTES; a reading client of the same run keeps its stream', async () => {
    const maxBufferedBytes = 256 * 1024;
    const app = await startApp(
      { security: { devMode: true }, api: { events: { pollMs: 20, keepAliveMs: 60_000, maxStreams: 10, maxStreamsPerCaller: 10, maxBufferedBytes } } },
      (config) => new HeavyRuns(client, config),
    );
    const url = new URL(app.url);
    const path = '/workflows/hardening-heavy-run/events';
    let readBytes = 0;
    const reader = httpRequest({ host: url.hostname, port: url.port, path, method: 'GET' }, (res) => res.on('data', (c: Buffer) => (readBytes += c.length)));
    reader.on('error', () => undefined);
    reader.end();
    // The stalled client sends its request, then never reads a byte.
    const stalled = net.connect(Number(url.port), url.hostname, () => stalled.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`));
    stalled.pause();
    stalled.on('error', () => undefined);
    const { metrics } = app.context;
    try {
      const deadline = Date.now() + 60_000;
      while ((await counted(metrics.eventDrops)) === 0 && Date.now() < deadline) await sleep(200);
      expect(await counted(metrics.eventDrops)).toBe(1);
      // The reader was under the same load, many times the bound, and is still served.
      const before = readBytes;
      await sleep(500);
      expect(before).toBeGreaterThan(4 * maxBufferedBytes);
      expect(readBytes).toBeGreaterThan(before);
      expect(await counted(metrics.eventStreams)).toBe(1);
    } finally {
      stalled.destroy();
      reader.destroy();
      await app.stop();
    }
  });
});
