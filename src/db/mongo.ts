/**
 * The mongoose connection: strict queries and filter sanitizing on, indexes built on start.
 *
 * A process must outlive the database: `connectDatabase` keeps trying with backoff until
 * the database answers (it never gives up), and once connected the driver reconnects by
 * itself after an outage. Operations issued while it is down wait at most
 * `DATABASE_WAIT_MS` (mongoose's buffer, the driver's server selection) and then fail, so a
 * request or an activity gets an error it can answer 503 to or retry, instead of hanging.
 * One sent to a database that stops answering (a frozen process: the socket open, nothing
 * coming back) fails after the connection's answer timeout: `DATABASE_REQUEST_TIMEOUT_MS`
 * in the API, whose requests wait on it, `DATABASE_SOCKET_TIMEOUT_MS` in the workers, whose
 * activities may run long queries and retry anyway.
 */
import mongoose from 'mongoose';
import { logger } from '../logging';

mongoose.set('strictQuery', true);
mongoose.set('sanitizeFilter', true);

/** How long an operation waits for an absent database before it fails. */
export const DATABASE_WAIT_MS = 5000;
/** How long an operation waits for a connected database that stopped answering (the socket's deadline). */
export const DATABASE_SOCKET_TIMEOUT_MS = 30_000;
/**
 * The same for the API: an operation on the request path gets its answer within 5 s, or the
 * request fails (503): the socket's deadline, and the handshake's of a new connection.
 */
export const DATABASE_REQUEST_TIMEOUT_MS = 5000;
mongoose.set('bufferTimeoutMS', DATABASE_WAIT_MS);

const RETRY = { initialMs: 500, maxMs: 10_000 } as const;

// An 'error' event with no listener would throw and end the process; log the state instead.
let wasConnected = false;
mongoose.connection.on('error', (error: Error) => logger().warn({ err: error }, 'database connection error'));
mongoose.connection.on('connected', () => (wasConnected = true));
mongoose.connection.on('disconnected', () => {
  if (wasConnected) logger().warn('database disconnected; the driver reconnects by itself, requests that need it answer 503');
});
mongoose.connection.on('reconnected', () => logger().info('database reconnected'));

let connecting: Promise<typeof mongoose> | undefined;

/** True while the driver holds a live connection. */
export function databaseConnected(): boolean {
  return mongoose.connection.readyState === mongoose.ConnectionStates.connected;
}

/** How a process uses the database: the API answers requests, workers run activities. */
export interface DatabaseUse {
  /** How long an operation waits for a connected database's answer (the socket's deadline). */
  answerTimeoutMs: number;
  /**
   * Whether the driver reads and writes again after a network error. The API does not: an
   * operation it retried waits a second deadline (a new connection's handshake to a frozen
   * server: a POST /users took 15 s), and its client retries after the 503 anyway (a
   * repeated write is a 409 or the same comment by its Idempotency-Key).
   */
  retry: boolean;
  /** How long an operation waits to find the server (and a new connection's handshake). */
  selectionTimeoutMs: number;
}

export const WORKER_DATABASE_USE: DatabaseUse = { answerTimeoutMs: DATABASE_SOCKET_TIMEOUT_MS, selectionTimeoutMs: DATABASE_WAIT_MS, retry: true };
/**
 * A write that meets a frozen database on a new connection waits for the handshake, then
 * (the pool cleared) for server selection again: each gets half the request's bound, so the
 * whole stays within DATABASE_REQUEST_TIMEOUT_MS (it took 10 s with 5 s each).
 */
export const API_DATABASE_USE: DatabaseUse = {
  answerTimeoutMs: DATABASE_REQUEST_TIMEOUT_MS,
  selectionTimeoutMs: DATABASE_REQUEST_TIMEOUT_MS / 2,
  retry: false,
};

/**
 * Resolves once connected, retrying for as long as it takes (each failure is passed to
 * `onRetry`, for the log). Safe to call more than once: every caller shares one attempt.
 */
export function connectDatabase(
  uri: string,
  onRetry: (error: Error, delayMs: number) => void = defaultRetryLog,
  use: DatabaseUse = WORKER_DATABASE_USE,
): Promise<typeof mongoose> {
  connecting ??= (async () => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await mongoose.connect(uri, {
          serverSelectionTimeoutMS: use.selectionTimeoutMs,
          socketTimeoutMS: use.answerTimeoutMs,
          // A new connection's handshake to a frozen server waits no longer than server selection.
          connectTimeoutMS: use.selectionTimeoutMs,
          retryReads: use.retry,
          retryWrites: use.retry,
          autoIndex: true,
        });
      } catch (error) {
        const delayMs = Math.min(RETRY.maxMs, RETRY.initialMs * 2 ** (attempt - 1));
        onRetry(error as Error, delayMs);
        await mongoose.disconnect().catch(() => undefined);
        await new Promise((resolve) => setTimeout(resolve, delayMs));
      }
    }
  })();
  return connecting;
}

function defaultRetryLog(error: Error, delayMs: number): void {
  logger().warn(`database not reachable (${error.message}); trying again in ${delayMs} ms`);
}

export async function pingDatabase(): Promise<void> {
  const db = mongoose.connection.db;
  if (!db || !databaseConnected()) throw new Error('not connected');
  await db.admin().ping();
}

export async function disconnectDatabase(): Promise<void> {
  connecting = undefined;
  wasConnected = false;
  await mongoose.disconnect();
}
