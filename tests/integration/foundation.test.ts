/** The first slice end to end, against the real dev server, database and worker pools. */
import { execFileSync } from 'node:child_process';
import { provision } from '../../src/devservices/processes';
import { call, control, pids, runCanvas, temporalClient, waitFor, waitForEnd } from '../support/http';

describe('foundation', () => {
  test('health and readiness', async () => {
    const health = await call('GET', '/health');
    expect(health.body).toEqual({ status: 'ok' });
    // Idle connections live 65 s, not Node's 5 s, so a client reusing one after a pause is answered (src/api/main.ts).
    expect(health.headers.get('keep-alive')).toBe('timeout=65');
    const ready = await call('GET', '/ready');
    expect(ready.status).toBe(200);
    expect(ready.body.checks).toEqual({ temporal: 'ok', database: 'ok' });
  });

  test('divide(10, 4) gives 2.5 with a 201 and a link into the Web UI', async () => {
    const started = await call('POST', '/workflows', { canvas: { task: 'divide', args: [10, 4] } });
    expect(started.status).toBe(201);
    expect(started.body.workflowId).toMatch(/^canvas-/);
    expect(started.body.links.ui).toContain(`/workflows/${started.body.workflowId}/${started.body.runId}`);
    const run = await waitForEnd(started.body.workflowId);
    expect(run).toMatchObject({ status: 'COMPLETED', result: 2.5, type: 'canvas', failure: null });
    expect(run.closeTime).not.toBeNull();
  });

  test('divide(1, 0) fails at once with ZeroDivisionError', async () => {
    // On its pool, so the history shows each attempt (inline, divide is a local activity).
    const run = await runCanvas({ canvas: { task: 'divide', args: [1, 0], options: { local: false } } });
    expect(run.status).toBe('FAILED');
    expect(run.failure).toMatchObject({ type: 'ZeroDivisionError', message: 'division by zero' });
    const client = await temporalClient();
    const history = await client.workflow.getHandle(run.workflowId).fetchHistory();
    const scheduled = history.events!.filter((e) => e.activityTaskStartedEventAttributes);
    expect(scheduled).toHaveLength(1);
    expect(scheduled[0].activityTaskStartedEventAttributes!.attempt).toBe(1);
    await client.connection.close();
  });

  test('flaky(2) succeeds on its third attempt', async () => {
    const run = await runCanvas({ canvas: { task: 'flaky', args: [2] } });
    expect(run).toMatchObject({ status: 'COMPLETED', result: 3 });
  });

  test('sleep(60000) cancelled through the API ends CANCELED within seconds', async () => {
    const started = await call('POST', '/workflows', { canvas: { task: 'sleep', args: [60000], options: { heartbeatTimeout: '2s' } } });
    const id = started.body.workflowId;
    const running = await waitFor(id, (v) => v.state?.heartbeat?.progress !== undefined);
    expect(running.state).toMatchObject({ status: 'running', attempt: 1 });
    const requested = Date.now();
    expect((await call('POST', `/workflows/${id}/cancel`)).status).toBe(202);
    const run = await waitForEnd(id, '30s');
    expect(run.status).toBe('CANCELED');
    expect(Date.now() - requested).toBeLessThan(15_000);
    expect((await call('POST', `/workflows/${id}/cancel`)).status).toBe(409);
  });

  test('terminate ends a run at once with the reason', async () => {
    const started = await call('POST', '/workflows', { canvas: { task: 'sleep', args: [60000] } });
    const id = started.body.workflowId;
    expect((await call('POST', `/workflows/${id}/terminate`, { reason: 'operator said so' })).status).toBe(200);
    const run = await waitForEnd(id, '10s');
    expect(run.status).toBe('TERMINATED');
    expect(run.failure.message).toContain('operator said so');
  });

  test('a step routed with "queue" runs on that pool, not its home pool', async () => {
    const run = await runCanvas({ canvas: { task: 'add', args: [1, 2], options: { queue: 'ml' } } });
    expect(run).toMatchObject({ status: 'COMPLETED', result: 3 });
    const client = await temporalClient();
    const history = await client.workflow.getHandle(run.workflowId).fetchHistory();
    const scheduled = history.events!.find((e) => e.activityTaskScheduledEventAttributes)!.activityTaskScheduledEventAttributes!;
    expect(scheduled.taskQueue!.name).toBe('orchestra-ml');
    const started = history.events!.find((e) => e.activityTaskStartedEventAttributes)!.activityTaskStartedEventAttributes!;
    expect(started.identity).toMatch(/^ml@/);
    await client.connection.close();
  });

  test('an unknown id is a 404, not a pending forever', async () => {
    for (const path of ['/workflows/no-such-run', '/workflows/no-such-run/result?timeout=1s']) {
      const reply = await call('GET', path);
      expect(reply.status).toBe(404);
      expect(reply.headers.get('content-type')).toContain('application/problem+json');
    }
    expect((await call('POST', '/workflows/no-such-run/cancel')).status).toBe(404);
  });

  test('bad input is a 4xx naming the JSON path, and nothing starts', async () => {
    const client = await temporalClient();
    const before = (await client.workflow.count('WorkflowType="canvas"')).count;
    const malformed = await call('POST', '/workflows', '{"canvas": ');
    expect(malformed.status).toBe(400);
    const wrong = await call('POST', '/workflows', { canvas: { task: 'divide', args: [1, 'two'] } });
    expect(wrong.status).toBe(400);
    expect(wrong.body.errors).toEqual([{ path: 'canvas.args[1]', message: expect.stringContaining('number') }]);
    const unknown = await call('POST', '/workflows', { canvas: { task: 'explode' } });
    expect(unknown.body.errors[0]).toMatchObject({ path: 'canvas.task', message: expect.stringContaining('known tasks: add') });
    const big = await call('POST', '/workflows', JSON.stringify({ canvas: { task: 'noop', args: ['x'.repeat(600 * 1024)] } }));
    expect(big.status).toBe(413);
    expect((await client.workflow.count('WorkflowType="canvas"')).count).toBe(before);
    await client.connection.close();
  });

  test('GET /workflows lists runs newest first, filters, and pages with a cursor', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await runCanvas({ canvas: { task: 'add', args: [i, i] }, workflowId: `list-${Date.now()}-${i}` })).workflowId);
    // Visibility is eventually consistent: poll until the three are listed.
    let page: any;
    for (let tries = 0; tries < 40; tries++) {
      page = (await call('GET', '/workflows?type=canvas&status=COMPLETED&limit=2')).body;
      const all = [page, (await call('GET', `/workflows?type=canvas&status=COMPLETED&limit=50`)).body];
      if (ids.every((id) => all[1].runs.some((r: any) => r.workflowId === id))) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(page.runs).toHaveLength(2);
    expect(page.runs.every((r: any) => r.status === 'COMPLETED' && r.type === 'canvas')).toBe(true);
    expect(page.runs[0].startTime >= page.runs[1].startTime).toBe(true);
    expect(page.nextCursor).toEqual(expect.any(String));
    const next = (await call('GET', `/workflows?type=canvas&status=COMPLETED&limit=2&cursor=${page.nextCursor}`)).body;
    expect(next.runs[0].workflowId).not.toBe(page.runs[0].workflowId);
    expect((await call('GET', '/workflows?status=SLEEPING')).body.errors[0].path).toBe('query.status');
  });

  test('kill -9 of the default pool mid-sleep: the restarted pool finishes the run', async () => {
    const started = await call('POST', '/workflows', { canvas: { task: 'sleep', args: [6000], options: { heartbeatTimeout: '2s' } } });
    const id = started.body.workflowId;
    await waitFor(id, (v) => (v.state?.heartbeat?.progress ?? 0) > 0);
    const before = (await pids())['worker-default'];
    await control('kill', 'worker-default', 'SIGKILL');
    const run = await waitForEnd(id, '90s');
    expect(run).toMatchObject({ status: 'COMPLETED', result: 6000 });
    expect((await pids())['worker-default']).not.toBe(before);
  });

  test('the temporal CLI starts a canvas with plain JSON input, and sees what the API started', async () => {
    const cli = provision('temporal');
    const address = process.env.TEMPORAL_ADDRESS!;
    const id = `cli-${Date.now()}`;
    const out = execFileSync(
      cli,
      [
        'workflow',
        'execute',
        '--address',
        address,
        '--type',
        'canvas',
        '--task-queue',
        'orchestra-workflows',
        '--workflow-id',
        id,
        '--input',
        '{"canvas":{"chain":[{"task":"add","args":[4,5]},{"task":"mul","args":[2]}]}}',
        '-o',
        'json',
      ],
      { encoding: 'utf8' },
    );
    expect(JSON.parse(out).result).toBe(18);
    expect((await call('GET', `/workflows/${id}`)).body).toMatchObject({ status: 'COMPLETED', result: 18 });
    const described = JSON.parse(execFileSync(cli, ['workflow', 'describe', '--address', address, '--workflow-id', id, '-o', 'json'], { encoding: 'utf8' }));
    expect(JSON.stringify(described)).toContain('canvas');
  });
});
