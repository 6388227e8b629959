/** Outages of the database or of Temporal are 503 with Retry-After; other errors are left alone. */
import { ServiceError } from '@temporalio/client';
import Koa from 'koa';
import type { AddressInfo } from 'node:net';
import { dependencyAvailability, isDatabaseConnectivityError, isTemporalConnectivityError } from '../../src/http/availability';
import { problemDetails } from '../../src/http/problem';

/** What @grpc/grpc-js rejects a call with when the server does not answer. */
const grpcError = (code: number) =>
  Object.assign(new Error(`${code} UNAVAILABLE: No connection established`), { code, details: 'No connection established', metadata: {} });

async function answer(databaseUp: boolean | undefined, path: string, error?: Error) {
  const app = new Koa();
  app.use(problemDetails);
  app.use(dependencyAvailability(databaseUp === undefined ? undefined : () => databaseUp));
  app.use(async (ctx) => {
    if (error) throw error;
    ctx.body = { ok: true };
  });
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  try {
    const response = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}${path}`);
    return { status: response.status, retryAfter: response.headers.get('retry-after'), body: (await response.json()) as Record<string, unknown> };
  } finally {
    server.close();
  }
}

describe('dependency availability', () => {
  test('database routes answer 503 with Retry-After while the database is down; other routes run', async () => {
    for (const path of ['/users', '/users/abc/avatar/64', '/COMMENTS', '/comments/x']) {
      const reply = await answer(false, path);
      expect(reply).toMatchObject({ status: 503, body: { status: 503, title: 'Service Unavailable' } });
      expect(Number(reply.retryAfter)).toBeGreaterThan(0);
    }
    expect((await answer(false, '/workflows')).status).toBe(200);
    expect((await answer(false, '/usersettings')).status).toBe(200);
    expect((await answer(true, '/users')).status).toBe(200);
  });

  test('a connectivity error from the database driver or from Temporal becomes 503; anything else stays a 500', async () => {
    const mongo = Object.assign(new Error('connection refused'), { name: 'MongoServerSelectionError' });
    const epipe = Object.assign(new Error('This socket has been ended by the other party'), { code: 'EPIPE' });
    const buffering = Object.assign(new Error('Operation `users.findOne()` buffering timed out after 5000ms'), { name: 'MongooseError' });
    const temporal = new ServiceError('Failed to start workflow', { cause: grpcError(14) });
    for (const error of [mongo, epipe, buffering, temporal]) {
      const reply = await answer(true, '/workflows', error);
      expect([reply.status, Number(reply.retryAfter) > 0]).toEqual([503, true]);
    }
    expect(isDatabaseConnectivityError(new Error('E11000 duplicate key'))).toBe(false);
    expect(isTemporalConnectivityError(new ServiceError('bad', { cause: grpcError(3) }))).toBe(false);
    // A frozen database: the operation's socket deadline passes. The write may land later, and the answer says so.
    const frozen = Object.assign(new Error('connection 4 to 127.0.0.1:27017 timed out'), { name: 'MongoNetworkTimeoutError' });
    const late = await answer(true, '/comments', frozen);
    expect([late.status, Number(late.retryAfter) > 0, late.body.detail]).toEqual([503, true, expect.stringContaining('may still be applied')]);
    expect((await answer(false, '/comments')).body.detail).toContain('nothing was written');
    const spy = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    expect((await answer(true, '/workflows', new Error('a bug'))).status).toBe(500);
    spy.mockRestore();
  });
});
