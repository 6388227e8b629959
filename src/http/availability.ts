/**
 * Dependency outages are 503 with Retry-After, never 500. Routes that need the database
 * (/users, /comments and avatars) answer 503 at once while it is disconnected, and any
 * request whose database or Temporal call fails for want of a connection, or for want of an
 * answer (a frozen database: the API's operations wait DATABASE_REQUEST_TIMEOUT_MS, see
 * ../db/mongo), answers 503 too, so a client knows to retry. Everything else (/workflows, /schedules, /tasks, /health)
 * keeps working while the database is down.
 */
import { isGrpcServiceError, ServiceError } from '@temporalio/client';
import type { Context, Next } from 'koa';
import { GrpcStatus } from '../temporal/grpc-status';
import { HttpProblem } from './problem';

/** Seconds a client is told to wait before retrying during an outage. */
export const OUTAGE_RETRY_AFTER_S = 5;

/** Path prefixes whose every route reads or writes the database. */
const DATABASE_ROUTES = ['/users', '/comments', '/triggers', '/events'];

const MONGO_CONNECTIVITY_ERRORS = new Set([
  'MongoNetworkError',
  'MongoNetworkTimeoutError',
  'MongoServerSelectionError',
  'MongooseServerSelectionError',
  'MongoNotConnectedError',
  'MongoPoolClearedError',
  'MongoTopologyClosedError',
]);

/**
 * Socket errors the driver sometimes passes on unwrapped (a write to a connection the
 * server has just closed). The API's only raw socket to a dependency is the database's:
 * Temporal's errors arrive as gRPC statuses.
 */
const SOCKET_ERROR_CODES = new Set(['EPIPE', 'ECONNRESET', 'ECONNREFUSED', 'ECONNABORTED']);

const TEMPORAL_UNREACHABLE_CODES = new Set<number>([GrpcStatus.DEADLINE_EXCEEDED, GrpcStatus.UNAVAILABLE]);

/**
 * Refused before the route ran (`upFront`), nothing was written; failed during the route (the
 * database stopped answering), a write already sent may still land when it answers again.
 */
export const databaseUnavailable = (upFront: boolean) =>
  new HttpProblem(
    503,
    'Service Unavailable',
    upFront
      ? 'The database is not reachable right now; nothing was written. Retry later.'
      : 'The database stopped answering during this request. Retry later: a write it had sent may still be applied when the database answers, so repeat a comment with the same Idempotency-Key, and expect 409 for a user that was created.',
    undefined,
    { 'Retry-After': String(OUTAGE_RETRY_AFTER_S) },
  );

export const temporalUnavailable = () =>
  new HttpProblem(503, 'Service Unavailable', 'The Temporal server is not reachable right now. Retry later.', undefined, {
    'Retry-After': String(OUTAGE_RETRY_AFTER_S),
  });

/** A database error that says "no connection" (as opposed to a bad query or a duplicate key). */
export function isDatabaseConnectivityError(error: unknown): boolean {
  for (let e = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if (MONGO_CONNECTIVITY_ERRORS.has(e.name)) return true;
    if (SOCKET_ERROR_CODES.has(String((e as { code?: unknown }).code))) return true;
    // mongoose's own buffer: "Operation `users.findOne()` buffering timed out after 5000ms"
    if (e.name === 'MongooseError' && /buffering timed out|before initial connection/i.test(e.message)) return true;
  }
  return false;
}

/** A Temporal client error that says the server could not be reached in time. */
export function isTemporalConnectivityError(error: unknown): boolean {
  for (let e = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if (isGrpcServiceError(e) && TEMPORAL_UNREACHABLE_CODES.has(e.code)) return true;
    if (e instanceof ServiceError && /failed to connect/i.test(e.message)) return true;
  }
  return false;
}

/**
 * The middleware. `databaseAvailable` answers whether the database connection is up; the
 * API process passes the connection's state. Without it (an app built in a test with no
 * database behind it), database routes are not refused up front, only their errors mapped.
 */
export function dependencyAvailability(databaseAvailable?: () => boolean) {
  return async (ctx: Context, next: Next): Promise<void> => {
    const path = ctx.path.toLowerCase();
    if (databaseAvailable && !databaseAvailable() && DATABASE_ROUTES.some((p) => path === p || path.startsWith(`${p}/`))) throw databaseUnavailable(true);
    try {
      await next();
    } catch (error) {
      if (error instanceof HttpProblem) throw error;
      if (isDatabaseConnectivityError(error)) throw databaseUnavailable(false);
      if (isTemporalConnectivityError(error)) throw temporalUnavailable();
      throw error;
    }
  };
}
