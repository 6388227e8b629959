/**
 * Reading runs through the API against the real Temporal dev server: heartbeat progress of a
 * run whose payloads are encrypted, and the event streams (one shared poll per run, caps per
 * key and in total, keep-alive comments). The app runs in this process with its own settings,
 * as in operations.test.ts.
 */
// The in-process apps log every request; the assertions say what matters here.
process.env.LOG_LEVEL = 'warn';
import { Client, Connection } from '@temporalio/client';
import type { Server } from 'node:http';
import { createApp } from '../../src/api/app';
import { ApiKeys, hashKey } from '../../src/http/auth';
import { ApiMetrics } from '../../src/http/metrics';
import { Runs, type RunOutcome, type RunView } from '../../src/api/runs';
import type { TenantReach } from '../../src/workflows/tenants';
import { loadConfig, type Config } from '../../src/config';
import { dataConverter, payloadCodec } from '../../src/temporal/clients';
import { NamespaceWorkers, pollUntil } from '../support/temporal';

// One team's three keys: they share a tenant, so each sees the runs the write key starts.
const KEYS = [
  { id: 'reader-a', secret: 'a-secret', scopes: ['write'] },
  { id: 'reader-b', secret: 'b-secret', scopes: ['read'] },
  { id: 'reader-c', secret: 'c-secret', scopes: ['read'] },
].map((key) => ({ ...key, tenant: 'readers' }));

/** Counts the run reads that reach Temporal (each is a describe plus a state query). */
class CountingRuns extends Runs {
  views = 0;
  override async view(workflowId: string, reach: TenantReach, closedWith?: RunOutcome): Promise<RunView> {
    this.views++;
    return super.view(workflowId, reach, closedWith);
  }
}

interface Running {
  url: string;
  server: Server;
  runs: CountingRuns;
  metrics: ApiMetrics;
}

async function startApp(config: Config, client: Client): Promise<Running> {
  const apiKeys = new ApiKeys({
    inline: JSON.stringify({ keys: KEYS.map(({ id, secret, scopes, tenant }) => ({ id, sha256: hashKey(secret), scopes, tenant })) }),
  });
  const runs = new CountingRuns(client, config);
  const metrics = new ApiMetrics();
  const app = createApp({
    config: { ...config, security: { ...config.security, devMode: false } },
    client,
    runs,
    pingDatabase: async () => undefined,
    apiKeys,
    metrics,
    codec: payloadCodec(config),
  });
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, server, runs, metrics };
}

const stopApp = (app: Running) => new Promise((resolve) => app.server.close(resolve));

const request = (app: Running, method: string, route: string, secret: string, body?: unknown) =>
  fetch(`${app.url}${route}`, {
    method,
    headers: { authorization: `Bearer ${secret}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('heartbeats with payload encryption on', () => {
  // Its own namespace, so the test's workers (which hold the key) serve its runs, not the
  // shared pools (which do not).
  const namespace = `orchestra-encrypted-${Date.now()}`;
  const keys = { k1: Buffer.alloc(32, 3).toString('base64') };
  let workers: NamespaceWorkers;
  let app: Running;
  let config: Config;

  beforeAll(async () => {
    const base = loadConfig();
    config = { ...base, temporal: { ...base.temporal, namespace }, encryption: { keys: JSON.stringify(keys), keyId: 'k1' } };
    workers = await NamespaceWorkers.start(config);
    app = await startApp(config, new Client({ connection: workers.connection, namespace, dataConverter: dataConverter(config) }));
  });

  afterAll(async () => {
    await stopApp(app);
    await workers.stop();
  });

  test("GET /workflows/:id shows a heartbeating task's progress (200, not 500)", async () => {
    const started = await request(app, 'POST', '/workflows', 'a-secret', { canvas: { task: 'sleep', args: [30_000] } });
    expect(started.status).toBe(201);
    const { workflowId } = (await started.json()) as { workflowId: string };

    // The payloads at rest are ciphertext: encryption is really on for this run.
    const history = await new Client({ connection: workers.connection, namespace }).workflow.getHandle(workflowId).fetchHistory();
    const input = history.events![0].workflowExecutionStartedEventAttributes!.input!.payloads![0];
    expect(Buffer.from(input.metadata!.encoding!).toString()).toBe('binary/encrypted');

    const statuses: number[] = [];
    const view = await pollUntil(
      async () => {
        const response = await request(app, 'GET', `/workflows/${workflowId}`, 'b-secret');
        statuses.push(response.status);
        return (await response.json()) as RunView;
      },
      (v) => typeof v.state?.heartbeat?.progress === 'number' && v.state.heartbeat.progress > 0,
    );
    expect(statuses.every((s) => s === 200)).toBe(true);
    expect(view.status).toBe('RUNNING');
    expect(view.state!.heartbeat!.progress).toBeGreaterThan(0);
    expect(view.state!.heartbeat!.message).toMatch(/slept \d+ of 30000 ms/);
    expect((await request(app, 'POST', `/workflows/${workflowId}/cancel`, 'a-secret')).status).toBe(202);
  });
});

/** An open event stream: everything it received so far, and how to close it. */
interface OpenStream {
  status: number;
  headers: Headers;
  text: () => string;
  ended: Promise<void>;
  close: () => void;
}

async function openStream(app: Running, workflowId: string, secret: string): Promise<OpenStream> {
  const controller = new AbortController();
  const response = await fetch(`${app.url}/workflows/${workflowId}/events`, { headers: { authorization: `Bearer ${secret}` }, signal: controller.signal });
  let received = '';
  const ended = (async () => {
    if (!response.ok || !response.body) return;
    const decoder = new TextDecoder();
    try {
      for await (const chunk of response.body) received += decoder.decode(chunk as Uint8Array, { stream: true });
    } catch {
      // aborted by close()
    }
  })();
  return { status: response.status, headers: response.headers, text: () => received, ended, close: () => controller.abort() };
}

const events = (text: string, name: string) => text.split('\n\n').filter((block) => block.startsWith(`event: ${name}\n`));

describe('event streams', () => {
  const pollMs = 200;
  let connection: Connection;
  let app: Running;

  beforeAll(async () => {
    const base = loadConfig();
    const config: Config = { ...base, api: { ...base.api, events: { pollMs, keepAliveMs: 300, maxStreams: 6, maxStreamsPerCaller: 4 } } };
    connection = await Connection.connect({ address: base.temporal.address });
    app = await startApp(config, new Client({ connection }));
  });

  afterAll(async () => {
    await stopApp(app);
    await connection.close();
  });

  const startSleep = async (ms: number) => {
    const response = await request(app, 'POST', '/workflows', 'a-secret', { canvas: { task: 'sleep', args: [ms] } });
    expect(response.status).toBe(201);
    return ((await response.json()) as { workflowId: string }).workflowId;
  };

  test('an unknown run is a 404 before any stream opens', async () => {
    const stream = await openStream(app, 'no-such-run', 'b-secret');
    expect(stream.status).toBe(404);
  });

  test('subscribers of one run share one poll; caps answer 429 and 503 with Retry-After; idle streams get keep-alive comments', async () => {
    const workflowId = await startSleep(60_000);
    const windowMs = 3000;
    // Enough polls for the window at the configured interval, plus the first read and one in flight.
    const pollBudget = windowMs / pollMs + 2;

    const first = await openStream(app, workflowId, 'a-secret');
    expect(first.status).toBe(200);
    expect(first.headers.get('content-type')).toContain('text/event-stream');
    let before = app.runs.views;
    await pause(windowMs);
    const alone = app.runs.views - before;

    const more = await Promise.all([1, 2, 3].map(() => openStream(app, workflowId, 'a-secret')));
    expect(more.map((s) => s.status)).toEqual([200, 200, 200]);
    before = app.runs.views;
    await pause(windowMs);
    const together = app.runs.views - before;
    // One stream polling on its own each would make this four times `alone`.
    expect(alone).toBeLessThanOrEqual(pollBudget);
    expect(together).toBeLessThanOrEqual(pollBudget);
    expect(Number(await app.metrics.eventPolls.get().then((m) => m.values[0]?.value ?? 0))).toBeGreaterThanOrEqual(alone + together);

    // Every subscriber got the run's state at once, and keep-alive comments while nothing changed.
    for (const stream of [first, ...more]) {
      expect(events(stream.text(), 'state').length).toBeGreaterThanOrEqual(1);
      expect(stream.text()).toContain(': keep-alive\n\n');
    }

    // Key a holds 4 streams, its cap: the fifth is refused, another key is not.
    const overKey = await openStream(app, workflowId, 'a-secret');
    expect(overKey.status).toBe(429);
    expect(Number(overKey.headers.get('retry-after'))).toBeGreaterThan(0);
    const other = await Promise.all([openStream(app, workflowId, 'b-secret'), openStream(app, workflowId, 'b-secret')]);
    expect(other.map((s) => s.status)).toEqual([200, 200]);
    // Six open in all, the server's cap.
    const overTotal = await openStream(app, workflowId, 'c-secret');
    expect(overTotal.status).toBe(503);
    expect(Number(overTotal.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await app.metrics.eventStreams.get()).values[0]?.value).toBe(6);

    // A closed stream frees its place.
    first.close();
    await pollUntil(
      async () => (await app.metrics.eventStreams.get()).values[0]?.value,
      (open) => open === 5,
      5000,
    );
    const again = await openStream(app, workflowId, 'c-secret');
    expect(again.status).toBe(200);

    // When the last subscriber leaves, the run is no longer polled.
    for (const stream of [...more, ...other, again]) stream.close();
    await pollUntil(
      async () => (await app.metrics.eventStreams.get()).values[0]?.value,
      (open) => open === 0,
      5000,
    );
    await pause(2 * pollMs);
    const settled = app.runs.views;
    await pause(5 * pollMs);
    expect(app.runs.views).toBe(settled);
    expect((await request(app, 'POST', `/workflows/${workflowId}/cancel`, 'a-secret')).status).toBe(202);
  });

  test('every subscriber gets the end event when the run closes, and the stream ends', async () => {
    const workflowId = await startSleep(1500);
    const streams = await Promise.all([openStream(app, workflowId, 'b-secret'), openStream(app, workflowId, 'c-secret')]);
    await Promise.all(streams.map((s) => s.ended));
    for (const stream of streams) {
      const states = events(stream.text(), 'state');
      expect(JSON.parse(states[states.length - 1].split('data: ')[1])).toMatchObject({ status: 'COMPLETED', result: 1500 });
      expect(events(stream.text(), 'end')).toEqual(['event: end\ndata: {"status":"COMPLETED"}']);
    }
    // A late subscriber of the closed run gets its last state and the end at once.
    const late = await openStream(app, workflowId, 'b-secret');
    await late.ended;
    expect(events(late.text(), 'end')).toHaveLength(1);
  });
});
