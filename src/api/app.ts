/** The Koa application: routes by resource behind problem-details error handling. */
import Koa from 'koa';
import type { AppContext } from './context';
import { docsRoutes } from './openapi';
import { problemDetails } from './problem';
import { healthRoutes } from './routes/health';
import { taskRoutes } from './routes/tasks';
import { workflowRoutes } from './routes/workflows';

export function createApp(context: AppContext): Koa {
  const app = new Koa();
  app.use(problemDetails);
  for (const router of [healthRoutes(context), docsRoutes(), taskRoutes(), workflowRoutes(context)]) {
    app.use(router.routes());
    app.use(router.allowedMethods());
  }
  return app;
}
