/**
 * Outbound calls have deadlines: a Temporal server that accepts the connection and never
 * answers fails the API client's call with DEADLINE_EXCEEDED (the default deadline, across
 * the SDK's retries) instead of holding it forever; a caller's own deadline wins.
 */
import { Connection, defaultGrpcRetryOptions, makeGrpcRetryInterceptor } from '@temporalio/client';
import net from 'node:net';
import { defaultDeadline } from '../../src/temporal/clients';

let silent: net.Server;
let address: string;
const sockets = new Set<net.Socket>();

beforeAll(async () => {
  // Takes connections, reads nothing back: a server that hangs.
  silent = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  address = `127.0.0.1:${(silent.address() as net.AddressInfo).port}`;
});

afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await new Promise((resolve) => silent.close(resolve));
});

const grpcCode = (error: unknown) => ((error as { cause?: { code?: number } }).cause ?? (error as { code?: number })).code;

test('a call to a server that never answers ends with DEADLINE_EXCEEDED', async () => {
  const connection = Connection.lazy({ address, interceptors: [defaultDeadline(300), makeGrpcRetryInterceptor(defaultGrpcRetryOptions())] });
  const error = await connection.workflowService.getSystemInfo({}).catch((e: unknown) => e);
  expect(grpcCode(error)).toBe(4); // DEADLINE_EXCEEDED; without the interceptor this call would hang past the test's timeout
  await connection.close();
}, 20_000);

test("the caller's own deadline is kept", async () => {
  const connection = Connection.lazy({ address, interceptors: [defaultDeadline(60_000)] });
  const error = await connection.withDeadline(Date.now() + 300, () => connection.workflowService.getSystemInfo({})).catch((e: unknown) => e);
  expect(grpcCode(error)).toBe(4);
  await connection.close();
}, 20_000);
