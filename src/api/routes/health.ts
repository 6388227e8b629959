/**
 * Liveness (/health: the process answers) and readiness (/ready: Temporal and the database
 * answer). Anyone may ask which dependency is down; the error's text (addresses, driver
 * messages) only a caller with a valid key, or development mode, gets to read.
 */
import { Router } from '@koa/router';
import type { AppContext } from '../context';
import { callerOf, requires } from '../auth';

const CHECK_TIMEOUT_MS = 2000;

export function healthRoutes(app: AppContext): Router {
  const router = new Router();
  router.get('/health', requires('public'), (ctx) => {
    ctx.body = { status: 'ok' };
  });
  router.get('/ready', requires('public'), async (ctx) => {
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
