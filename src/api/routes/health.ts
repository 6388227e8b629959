/**
 * Liveness (/health: the process answers) and readiness (/ready: Temporal and the database
 * answer). Anyone may ask which dependency is down; the error's text (addresses, driver
 * messages) only a caller with a valid key, or development mode, gets to read.
 */
import { Router } from '@koa/router';
import type { AppContext } from '../context';
import { callerOf, requires } from '../../http/auth';
import { json, type RouteDoc } from '../../http/route-docs';

const READY = {
  json: {
    type: 'object',
    properties: {
      status: { enum: ['ready', 'not ready'] },
      checks: { type: 'object', properties: { temporal: { type: 'string' }, database: { type: 'string' } } },
    },
  },
};

const CHECK_TIMEOUT_MS = 2000;

export function healthRoutes(app: AppContext): Router {
  const router = new Router();
  router.get(
    '/health',
    requires('public', {
      summary: 'The process is up (liveness)',
      responses: { 200: json({ json: { type: 'object', properties: { status: { const: 'ok' } } } }, 'Up.') },
    }),
    (ctx) => {
      ctx.body = { status: 'ok' };
    },
  );
  const readyDoc: RouteDoc = {
    summary: 'Temporal and the database answer (readiness)',
    description: 'Each check says ok or unreachable; the error text only with a valid key or in development mode.',
    responses: { 200: json(READY, 'Ready.'), 503: json(READY, 'Not ready, with which check failed.') },
  };
  router.get('/ready', requires('public', readyDoc), async (ctx) => {
    const [temporal, database] = await Promise.all([
      check(() => app.client.withDeadline(Date.now() + CHECK_TIMEOUT_MS, () => app.client.workflowService.getSystemInfo({})).then(() => undefined)),
      check(() => withTimeout(app.pingDatabase(), CHECK_TIMEOUT_MS)),
    ]);
    const ready = temporal === 'ok' && database === 'ok';
    const detailed = callerOf(ctx).kind !== 'anonymous';
    const shown = (result: string) => (detailed || result === 'ok' ? result : 'unreachable');
    ctx.status = ready ? 200 : 503;
    ctx.body = { status: ready ? 'ready' : 'not ready', checks: { temporal: shown(temporal), database: shown(database) } };
  });
  return router;
}

async function check(probe: () => Promise<void>): Promise<string> {
  try {
    await probe();
    return 'ok';
  } catch (error) {
    return `unreachable: ${(error as Error).message}`;
  }
}

function withTimeout(promise: Promise<void>, ms: number): Promise<void> {
  return Promise.race([promise, new Promise<void>((_, reject) => setTimeout(() => reject(new Error(`no answer in ${ms} ms`)), ms).unref())]);
}
