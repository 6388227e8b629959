/**
 * A server span per API request, named by method and route template (`POST /workflows`),
 * with its status. It is the current span while the route runs, so the Temporal client's
 * spans (a start, a describe, a query) are its children, and the start carries it on into
 * the workflow. A caller's W3C `traceparent` makes the request part of the caller's trace.
 */
import { context, propagation, SpanKind, SpanStatusCode, trace, type Tracer } from '@opentelemetry/api';
import { ATTR_HTTP_REQUEST_METHOD, ATTR_HTTP_RESPONSE_STATUS_CODE, ATTR_HTTP_ROUTE, ATTR_URL_PATH } from '@opentelemetry/semantic-conventions';
import type { Context, Middleware } from 'koa';

export function requestSpans(tracer: Tracer): Middleware {
  return async (ctx: Context, next) => {
    const parent = propagation.extract(context.active(), ctx.headers);
    const span = tracer.startSpan(
      ctx.method,
      { kind: SpanKind.SERVER, attributes: { [ATTR_HTTP_REQUEST_METHOD]: ctx.method, [ATTR_URL_PATH]: ctx.path } },
      parent,
    );
    try {
      await context.with(trace.setSpan(parent, span), next);
    } catch (error) {
      span.recordException(error as Error);
      throw error;
    } finally {
      // The route template is known once the router has matched (@koa/router sets it); ids stay out of span names.
      const route = (ctx as Context & { _matchedRoute?: string })._matchedRoute;
      if (route !== undefined) {
        span.updateName(`${ctx.method} ${route}`);
        span.setAttribute(ATTR_HTTP_ROUTE, route);
      }
      span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, ctx.status);
      if (ctx.status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    }
  };
}
