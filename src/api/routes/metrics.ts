/** GET /metrics: Prometheus text format. */
import { Router } from '@koa/router';
import type { ApiMetrics } from '../../http/metrics';
import { requires } from '../../http/auth';

/** `isPublic` (METRICS_PUBLIC=true) lets a scraper in without a key. */
export function metricsRoutes(metrics: ApiMetrics, isPublic: boolean): Router {
  const router = new Router();
  router.get(
    '/metrics',
    requires(isPublic ? 'public' : 'read', {
      summary: 'Prometheus metrics of this API process',
      responses: { 200: { description: 'Prometheus text format.', contentType: 'text/plain', schema: { json: { type: 'string' } } } },
    }),
    async (ctx) => {
      ctx.type = metrics.registry.contentType;
      ctx.body = await metrics.registry.metrics();
    },
  );
  return router;
}
