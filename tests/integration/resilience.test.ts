/**
 * The API without its database: started while the database is down, it serves what needs
 * only Temporal, answers 503 with Retry-After where the database is needed, says so on
 * /ready, and works once the database is back, without a restart. The API already
 * running through the outage does not exit either.
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config';
import { freePort, waitForPort, type ManagedProcess } from '../../src/devservices/processes';
import { api } from '../../src/devservices/stack';
import { control, pids } from '../support/http';

async function call(base: string, method: string, route: string, body?: unknown) {
  const response = await fetch(`${base}${route}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
}

describe('the API while the database is down', () => {
  let second: ManagedProcess | undefined;
  let databaseStopped = false;

  afterAll(async () => {
    if (databaseStopped) await control('start', 'ferretdb');
    await second?.stop(10_000);
  });

  test('starts without it: 503 + Retry-After on /users and /comments, 201 on /workflows, /ready says which; then works once the database is started', async () => {
    const before = await pids();
    await control('stop', 'ferretdb');
    databaseStopped = true;

    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'orchestra-resilience-'));
    const port = await freePort();
    second = api(loadConfig(), { dataDir, logDir: path.join(dataDir, 'logs'), echo: false }, { API_PORT: String(port), ORCHESTRA_SERVICE: 'api-resilience' });
    await waitForPort(port, 60_000, second);
    const base = `http://127.0.0.1:${port}`;

    const user = await call(base, 'POST', '/users', { name: 'nodb', email: 'nodb@example.com' });
    expect(user.status).toBe(503);
    expect(Number(user.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(user.headers.get('content-type')).toContain('application/problem+json');
    expect(user.body).toMatchObject({ status: 503, title: 'Service Unavailable' });
    const comment = await call(base, 'POST', '/comments', { authorId: '0123456789abcdef01234567', text: 'hello' });
    expect(comment.status).toBe(503);
    expect((await call(base, 'GET', '/users/0123456789abcdef01234567/avatar/64')).status).toBe(503);

    const started = await call(base, 'POST', '/workflows', {
      canvas: {
        chain: [
          { task: 'add', args: [2, 3] },
          { task: 'mul', args: [4] },
        ],
      },
    });
    expect(started.status).toBe(201);
    const result = await call(base, 'GET', `/workflows/${encodeURIComponent(started.body.workflowId)}/result?timeout=60s`);
    expect(result.body).toMatchObject({ status: 'COMPLETED', result: 20 });
    expect((await call(base, 'GET', '/tasks')).status).toBe(200);
    expect((await call(base, 'GET', '/health')).status).toBe(200);
    const ready = await call(base, 'GET', '/ready');
    expect(ready.status).toBe(503);
    expect(ready.body.checks.temporal).toBe('ok');
    expect(ready.body.checks.database).toMatch(/^unreachable/);

    await control('start', 'ferretdb');
    databaseStopped = false;
    // The API connects by itself in the background (retry backoff at most 10 s); the bound
    // only catches an API that never does.
    const deadline = Date.now() + 60_000;
    let created = await call(base, 'POST', '/users', { name: 'backdb', email: `backdb-${Date.now()}@example.com` });
    while (created.status === 503 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      created = await call(base, 'POST', '/users', { name: 'backdb', email: `backdb-${Date.now()}@example.com` });
    }
    expect(created.status).toBe(201);
    expect((await call(base, 'GET', `/users/${created.body.id}`)).status).toBe(200);
    expect((await call(base, 'GET', '/ready')).status).toBe(200);

    // Neither API process exited over the outage.
    expect(second.restarts).toBe(0);
    expect((await pids()).api).toBe(before.api);
  });
});
