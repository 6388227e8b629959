/**
 * /triggers: canvases started by events (README, "Event triggers"). Register, list, read and
 * delete, each within the key's tenant (another tenant's trigger is a 404, as an unknown id
 * is). The built-in triggers (src/triggers/builtin.ts) are listed and readable by every key,
 * and cannot be changed over REST.
 */
import { Router } from '@koa/router';
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { readJson } from '../../http/body';
import { badRequest, conflict, notFound } from '../../http/problem';
import { json, problem } from '../../http/route-docs';
import { callerKeyId, callerName, callerTenant, requires, taskReach } from '../../http/auth';
import { notifyIssues } from '../../webhooks/notify-check';
import { pythonTasksFor, type PythonCatalog } from '../../tasks/python-catalog';
import { readQuery } from '../../http/query';
import { EventNameSchema } from '../../canvas/schemas';
import type { BuiltinTrigger, BuiltinTriggers } from '../../triggers/builtin-registry';
import { validateTrigger, type TriggerDefinition } from '../../triggers/definition';
import { TRIGGER_LIMITS } from '../../triggers/limits';
import { createTrigger, deleteTrigger, findTrigger, listTriggers, triggersFor, type StoredTrigger } from '../../triggers/store';
import type { AppContext } from '../context';

const ListQuery = z.object({ event: EventNameSchema.optional().meta({ description: "Only this event's triggers." }) });

export function triggerRoutes(app: AppContext & { pythonTasks: PythonCatalog }, builtins: BuiltinTriggers): Router {
  const router = new Router({ prefix: '/triggers' });
  const { config } = app;

  router.post(
    '/',
    requires('write', {
      summary: 'Register a canvas to start for every event of a name (optionally only payloads a filter matches)',
      body: { contentType: 'application/json', schema: { ref: 'TriggerBody' } },
      responses: {
        201: json('Trigger', 'Registered.'),
        400: problem('Invalid (paths as POST /workflows gives them, plus `event`, `filter`, `id`); nothing registered.'),
        409: problem('The id is taken (in this tenant, or by a built-in trigger), or the event has its most triggers.'),
      },
    }),
    async (ctx) => {
      const body = await readJson(ctx, config.api.maxBodyBytes);
      const python = await pythonTasksFor(app.pythonTasks, body);
      const valid = validateTrigger(body, { reach: taskReach(ctx), python, newId: randomUUID });
      if (!valid.ok) throw badRequest(valid.issues, 'The trigger is not valid; nothing was registered.');
      const definition = valid.value;
      const webhookIssues = await notifyIssues(definition.request.notify, config.webhooks);
      if (webhookIssues.length) throw badRequest(webhookIssues, 'The trigger is not valid; nothing was registered.');
      if (builtins.find(definition.id)) throw conflict(`the id ${definition.id} belongs to a built-in trigger (src/triggers/builtin.ts)`);
      const stored: StoredTrigger = {
        ...definition,
        tenant: callerTenant(ctx),
        createdAt: new Date().toISOString(),
        createdBy: callerName(ctx),
        signer: callerKeyId(ctx),
      };
      const outcome = await createTrigger(stored);
      if (outcome === 'exists') throw conflict(`a trigger with id ${definition.id} exists; delete it first, or choose another id`);
      if (outcome === 'full')
        throw conflict(`event ${definition.event} has ${TRIGGER_LIMITS.perEvent} triggers, the most one event may have; delete one first`);
      ctx.status = 201;
      ctx.set('Location', `/triggers/${encodeURIComponent(definition.id)}`);
      ctx.body = view(stored);
    },
  );

  router.get(
    '/',
    requires('read', {
      summary: "The tenant's triggers and the built-in ones, by event name then id",
      query: ListQuery,
      responses: {
        200: json({ json: { type: 'object', properties: { triggers: { type: 'array', items: { $ref: '#/components/schemas/Trigger' } } } } }, 'The triggers.'),
        400: problem('Invalid query.'),
      },
    }),
    async (ctx) => {
      const { event } = readQuery(ctx, ListQuery);
      const tenant = callerTenant(ctx);
      const own = event === undefined ? await listTriggers(tenant) : await triggersFor(tenant, event);
      const builtin = event === undefined ? builtins.all : builtins.forEvent(event);
      ctx.body = { triggers: [...own.map(view), ...builtin.map(builtinView)] };
    },
  );

  router.get(
    '/:id',
    requires('read', { summary: 'A trigger', responses: { 200: json('Trigger', 'The trigger.'), 404: problem('Unknown id (or another tenant’s).') } }),
    async (ctx) => {
      const builtin = builtins.find(ctx.params.id);
      if (builtin) return void (ctx.body = builtinView(builtin));
      const trigger = await findTrigger(callerTenant(ctx), ctx.params.id);
      if (!trigger) throw notFound(`no trigger with id ${ctx.params.id}`);
      ctx.body = view(trigger);
    },
  );

  router.delete(
    '/:id',
    requires('write', {
      summary: 'Delete a trigger; runs it started go on',
      responses: { 204: 'Deleted.', 404: problem('Unknown id (or another tenant’s).'), 409: problem('A built-in trigger.') },
    }),
    async (ctx) => {
      const id = ctx.params.id;
      if (builtins.find(id)) throw conflict(`trigger ${id} is built in (src/triggers/builtin.ts); change or remove it there`);
      if (!(await deleteTrigger(callerTenant(ctx), id))) throw notFound(`no trigger with id ${id}`);
      ctx.status = 204;
    },
  );

  return router;
}

/** A trigger as the API shows it: the body it was registered with, and who registered it when. */
function view(trigger: StoredTrigger): Record<string, unknown> {
  const { tenant: _tenant, signer: _signer, createdAt, createdBy } = trigger;
  return { ...definitionView(trigger), builtin: false, createdAt, createdBy };
}

function builtinView(trigger: BuiltinTrigger): Record<string, unknown> {
  return { ...definitionView(trigger), builtin: true, description: trigger.description };
}

function definitionView({ id, event, filter, request }: TriggerDefinition): Record<string, unknown> {
  return {
    id,
    event,
    ...(filter ? { filter } : {}),
    ...request,
    links: { self: `/triggers/${encodeURIComponent(id)}`, runs: `/workflows?id=event-${encodeURIComponent(id)}-` },
  };
}
