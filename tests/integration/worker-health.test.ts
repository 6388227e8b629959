/**
 * A worker's /healthz against the real Temporal server: healthy only while the SDK worker
 * is RUNNING and the server lists its identity among the queue's pollers; a worker that
 * stopped, or an identity the server never saw poll, is a 503 with the reason.
 */
import { NativeConnection, Worker } from '@temporalio/worker';
import type { AddressInfo } from 'node:net';
import { checkWorkers, serveWorkerHealth, type HealthTarget } from '../../src/workers/health';
import { pollUntil } from '../support/temporal';

let connection: NativeConnection;
beforeAll(async () => {
  connection = await NativeConnection.connect({ address: process.env.TEMPORAL_ADDRESS! });
});
afterAll(async () => {
  await connection.close();
});

test('RUNNING and polling is healthy; stopped, or never seen polling, is not', async () => {
  const taskQueue = `health-${Date.now().toString(36)}`;
  const worker = await Worker.create({ connection, taskQueue, identity: `health-test@${process.pid}`, activities: { ping: async () => 'pong' } });
  const running = worker.run();
  const target: HealthTarget = { worker, kind: 'activities' };
  const healthy = await pollUntil(
    () => checkWorkers(connection, [target]),
    (h) => h.healthy,
    20_000,
  );
  expect(healthy).toMatchObject({ healthy: true, workers: [{ taskQueue, state: 'RUNNING' }] });
  expect(healthy.workers[0].lastPollAgeSeconds).toBeLessThan(120);

  // Same process, same SDK state, but an identity the server never saw poll: not healthy.
  const stranger: HealthTarget = { worker: { getState: () => 'RUNNING', options: { ...worker.options, identity: 'nobody@nowhere' } }, kind: 'activities' };
  expect(await checkWorkers(connection, [stranger])).toMatchObject({ healthy: false, workers: [{ problem: 'the server lists no poll from nobody@nowhere' }] });

  const server = serveWorkerHealth('127.0.0.1:0', () => checkWorkers(connection, [target]));
  await new Promise((resolve) => server.once('listening', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/healthz`;
  expect((await fetch(url)).status).toBe(200);

  worker.shutdown();
  await running;
  const stopped = await checkWorkers(connection, [target]);
  expect(stopped).toMatchObject({ healthy: false, workers: [{ state: 'STOPPED', problem: 'the SDK worker is STOPPED' }] });
  await new Promise((resolve) => setTimeout(resolve, 5100)); // past the endpoint's 5 s cache
  const reply = await fetch(url);
  expect([reply.status, ((await reply.json()) as { healthy: boolean }).healthy]).toEqual([503, false]);
  server.close();
});
