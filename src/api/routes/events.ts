/**
 * POST /events/:name: an event for the caller's tenant. Starts every canvas registered for it
 * (/triggers) whose filter its payload meets and, with `"deliverToWaiting": true`, resumes the
 * tenant's runs whose wait nodes wait for it. The `Event-Id` header makes it idempotent
 * (../event-triggers.ts).
 */
import { Router } from '@koa/router';
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { EventNameSchema } from '../../canvas/schemas';
import { readValid } from '../../http/body';
import { badRequest } from '../../http/problem';
import { json, problem } from '../../http/route-docs';
import { callerName, callerTenant, requires } from '../../http/auth';
import type { PythonCatalog } from '../../tasks/python-catalog';
import type { BuiltinTriggers } from '../../triggers/builtin-registry';
import { TRIGGER_LIMITS } from '../../triggers/limits';
import { EVENT_ID_PATTERN, EVENT_ID_RULE } from '../../workflows/language/events';
import { postEvent } from '../event-triggers';
import type { AppContext } from '../context';

export const PostEventBody = z
  .strictObject({
    payload: z.json().meta({ description: "Any JSON (absent: null): each started canvas's input, and the result of each wait node it resumes." }).optional(),
    deliverToWaiting: z.boolean().optional().meta({ description: "Also resume the tenant's running runs whose wait nodes wait for this event." }),
  })
  .meta({ id: 'PostEvent' });

export function eventRoutes(app: AppContext & { pythonTasks: PythonCatalog }, builtins: BuiltinTriggers): Router {
  const router = new Router({ prefix: '/events' });
  const { client, config, metrics } = app;
  const deps = { client, config, metrics, pythonCatalog: app.pythonTasks, builtins };

  router.post(
    '/:name',
    requires('write', {
      summary: "Post an event: start its triggers' canvases; with deliverToWaiting, resume the runs waiting for it",
      params: { name: { schema: EventNameSchema, description: 'The event name triggers are registered for and wait nodes wait for.' } },
      headers: {
        'Event-Id': {
          description:
            "The event's id (letters, digits, . _ : @ = -; up to 128): the same id again answers the same runs and starts nothing new (422 with another body). Absent: a new id, so every request is a new event.",
        },
      },
      body: PostEventBody,
      responses: {
        202: json('EventAccepted', 'A new event: the runs it started and the runs it resumed.'),
        200: json('EventAccepted', 'This Event-Id came before: the same runs, nothing new started (`repeated: true`).'),
        400: problem('A bad name (`path.name`), Event-Id (`header.Event-Id`) or body (`payload`, `deliverToWaiting`).'),
        422: problem('The Event-Id was used with a different event.'),
      },
    }),
    async (ctx) => {
      const name = EventNameSchema.safeParse(ctx.params.name);
      const eventId = ctx.get('event-id') || undefined;
      const { payload, deliverToWaiting } = await readValid(ctx, PostEventBody, config.api.maxBodyBytes, {});
      const issues = [];
      if (!name.success) issues.push({ path: 'path.name', message: name.error.issues[0]?.message ?? 'is not a valid event name' });
      if (eventId !== undefined && !EVENT_ID_PATTERN.test(eventId)) issues.push({ path: 'header.Event-Id', message: EVENT_ID_RULE });
      if (payload !== undefined && Buffer.byteLength(JSON.stringify(payload)) > TRIGGER_LIMITS.payloadBytes) {
        issues.push({ path: 'payload', message: `must be at most ${TRIGGER_LIMITS.payloadBytes} bytes of JSON: it is copied into every run; pass references` });
      }
      if (issues.length || !name.success) throw badRequest(issues, 'The event is not valid; nothing was started.');
      const answer = await postEvent(
        deps,
        { tenant: callerTenant(ctx), sentBy: callerName(ctx) },
        { name: name.data, eventId: eventId ?? randomUUID(), payload: payload ?? null, deliverToWaiting: deliverToWaiting === true },
      );
      ctx.status = answer.status;
      ctx.body = answer.body;
    },
  );

  return router;
}
