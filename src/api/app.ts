/**
 * The Koa application: security headers, metrics, logs, problem details, the development
 * mode's Host check, who the caller is, rate limits, the body type rule, then routes by
 * resource. Each route checks its own scope (`requires`).
 */
import type { Router } from '@koa/router';
import Koa from 'koa';
import { identify } from '../http/auth';
import { dependencyAvailability } from '../http/availability';
import { requireBodyType } from '../http/body';
import type { AppContext } from './context';
import { loopbackHostsOnly } from '../http/host-check';
import { docsRoutes } from './openapi';
import { problemDetails } from '../http/problem';
import { rateLimit } from '../http/rate-limit';
import { requestLog } from '../http/request-log';
import { securityHeaders } from '../http/security-headers';
import { activeTracing } from '../telemetry/tracing';
import { codecRoutes } from './routes/codec';
import { commentRoutes } from '../app/comments/routes';
import { healthRoutes } from './routes/health';
import { metricsRoutes } from './routes/metrics';
import { poolRoutes } from './routes/pools';
import { scheduleRoutes } from './routes/schedules';
import { taskRoutes } from './routes/tasks';
import { userRoutes } from '../app/users/routes';
import { workflowRoutes } from './routes/workflows';
import { bulkRoutes } from './routes/bulk';
import { webhookRoutes } from './routes/webhooks';
import { PythonCatalog } from '../tasks/python-catalog';
import { dashboardRoutes } from './ui/routes';
import { eventRoutes } from './routes/events';
import { triggerRoutes } from './routes/triggers';
import { BuiltinTriggers } from '../triggers/builtin-registry';

/** Every router the API serves; each of their routes declares its access with `requires`. */
export function apiRouters(given: AppContext): Router[] {
  // One reader of the Python pool's catalog for the routes that validate and list tasks.
  const context = { ...given, pythonTasks: given.pythonTasks ?? new PythonCatalog() };
  // The built-in triggers (src/triggers/builtin.ts), checked here: a bad declaration fails the start.
  const builtinTriggers = new BuiltinTriggers();
  const { config, metrics } = context;
  // /openapi.json is built from these routers, itself included, at its first request.
  const routers: Router[] = [
    healthRoutes(context),
    docsRoutes(() => routers),
    metricsRoutes(metrics, config.security.publicMetrics),
    codecRoutes(context.codec, config.security.uiOrigin, config.api.maxBodyBytes),
    taskRoutes(context.pythonTasks!),
    // Before /workflows/:id/…: POST /workflows/bulk/cancel is not a run named `bulk`.
    bulkRoutes(context),
    workflowRoutes(context),
    userRoutes(context),
    commentRoutes(context),
    scheduleRoutes(context),
    triggerRoutes(context, builtinTriggers),
    eventRoutes(context, builtinTriggers),
    webhookRoutes(context),
    poolRoutes(context),
    dashboardRoutes(),
  ];
  return routers;
}

export function createApp(context: AppContext, routers: Router[] = apiRouters(context)): Koa {
  const { config, apiKeys, metrics } = context;
  const app = new Koa();
  // X-Forwarded-For is read only with TRUST_PROXY hops, and then only its last N entries
  // (those our own proxies appended): ctx.ip is the Nth address from the right.
  const hops = config.security.trustProxyHops;
  app.proxy = hops > 0;
  app.maxIpsCount = hops;
  // Outermost when tracing is on (src/telemetry): the request's span covers everything below; off, nothing is added.
  const tracing = activeTracing();
  if (tracing) app.use(tracing.requestSpans());
  app.use(securityHeaders);
  app.use(metrics.middleware());
  app.use(requestLog);
  app.use(problemDetails);
  app.use(loopbackHostsOnly({ devMode: config.security.devMode, allowedHosts: config.security.allowedHosts }));
  app.use(identify({ keys: apiKeys, devMode: config.security.devMode }));
  const { rateLimitPerMinute: perMinute, rateLimitBurst: burst, rateLimitAnonymousPerMinute: anonymousPerMinute } = config.security;
  app.use(rateLimit({ perMinute, burst, anonymousPerMinute }));
  app.use(requireBodyType(config.security.uiOrigin));
  app.use(dependencyAvailability(context.databaseAvailable));
  for (const router of routers) {
    app.use(router.routes());
    app.use(router.allowedMethods());
  }
  return app;
}
