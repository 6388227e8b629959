/** The Koa application: metrics, logs, problem details, auth and rate limits, then routes by resource. */
import Koa from 'koa';
import { authenticate } from './auth';
import type { AppContext } from './context';
import { docsRoutes } from './openapi';
import { problemDetails } from './problem';
import { rateLimit } from './rate-limit';
import { requestLog } from './request-log';
import { codecRoutes } from './routes/codec';
import { commentRoutes } from './routes/comments';
import { healthRoutes } from './routes/health';
import { metricsRoutes } from './routes/metrics';
import { scheduleRoutes } from './routes/schedules';
import { taskRoutes } from './routes/tasks';
import { userRoutes } from './routes/users';
import { workflowRoutes } from './routes/workflows';

export function createApp(context: AppContext): Koa {
  const { config, apiKeys, metrics } = context;
  const app = new Koa();
  app.proxy = process.env.TRUST_PROXY === 'true';
  app.use(metrics.middleware());
  app.use(requestLog);
  app.use(problemDetails);
  app.use(authenticate({ keys: apiKeys, devMode: config.security.devMode, publicMetrics: config.security.publicMetrics }));
  app.use(rateLimit(config.security.rateLimitPerMinute, config.security.rateLimitBurst));
  const routers = [
    healthRoutes(context),
    docsRoutes(),
    metricsRoutes(metrics),
    codecRoutes(context.codec, config.security.uiOrigin, config.api.maxBodyBytes),
    taskRoutes(),
    workflowRoutes(context),
    userRoutes(context),
    commentRoutes(context),
    scheduleRoutes(context),
  ];
  for (const router of routers) {
    app.use(router.routes());
    app.use(router.allowedMethods());
  }
  return app;
}
