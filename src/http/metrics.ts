/** The API's Prometheus metrics (GET /metrics): requests by route and status, latency, workflow starts, errors. */
import type { Context, Next } from 'koa';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export class ApiMetrics {
  readonly registry = new Registry();
  readonly requests = new Counter({
    name: 'orchestra_http_requests_total',
    help: 'HTTP requests',
    labelNames: ['method', 'route', 'status'],
    registers: [this.registry],
  });
  readonly latency = new Histogram({
    name: 'orchestra_http_request_duration_seconds',
    help: 'HTTP request latency',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });
  readonly workflowStarts = new Counter({
    name: 'orchestra_workflow_starts_total',
    help: 'Workflows started through the API',
    labelNames: ['type'],
    registers: [this.registry],
  });
  readonly errors = new Counter({
    name: 'orchestra_errors_total',
    help: 'Requests (and POST /workflows/batch items) answered with a 5xx, by kind',
    labelNames: ['kind'],
    registers: [this.registry],
  });
  readonly eventStreams = new Gauge({ name: 'orchestra_sse_streams', help: 'Open GET /workflows/:id/events streams', registers: [this.registry] });
  readonly eventPolls = new Counter({
    name: 'orchestra_sse_polls_total',
    help: 'Reads of a run for its event streams: one a poll per run, however many streams watch it',
    registers: [this.registry],
  });
  readonly eventRefusals = new Counter({
    name: 'orchestra_sse_refused_total',
    help: 'Event streams refused over a cap',
    labelNames: ['cap'],
    registers: [this.registry],
  });
  readonly eventDrops = new Counter({
    name: 'orchestra_sse_dropped_total',
    help: 'Event streams closed because their client left more than SSE_MAX_BUFFERED_BYTES unread',
    registers: [this.registry],
  });
  readonly resultWaitRefusals = new Counter({
    name: 'orchestra_result_waits_refused_total',
    help: 'GET /workflows/:id/result refused over RESULT_MAX_WAITS_PER_KEY',
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'orchestra_api_' });
  }

  /** Measures every request; the route is the matched pattern, so ids do not explode the labels. */
  middleware() {
    return async (ctx: Context, next: Next): Promise<void> => {
      const stop = this.latency.startTimer();
      try {
        await next();
      } finally {
        const labels = { method: ctx.method, route: (ctx as Context & { _matchedRoute?: string })._matchedRoute ?? 'unmatched', status: String(ctx.status) };
        stop(labels);
        this.requests.inc(labels);
        if (ctx.status >= 500) this.errors.inc({ kind: 'http_5xx' });
      }
    };
  }
}
