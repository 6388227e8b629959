/** GET /tasks: the task registry, with each task's argument schema as JSON Schema. */
import { Router } from '@koa/router';
import { z } from 'zod';
import { POOLS } from '../../workflows/tasks/pools';
import { TASKS } from '../../tasks/registry';
import { requires } from '../../http/auth';
import { json } from '../../http/route-docs';

export function describeTasks() {
  return [...TASKS.values()].map((task) => ({
    name: task.name,
    visibility: task.visibility,
    pool: task.pool,
    queue: POOLS[task.pool].queue,
    description: task.description,
    defaults: task.defaults,
    params: task.params.map((p) => ({ name: p.name, optional: p.optional ?? false, schema: z.toJSONSchema(p.schema) })),
  }));
}

export function taskRoutes(): Router {
  const router = new Router();
  const body = { tasks: describeTasks() };
  router.get(
    '/tasks',
    requires('read', {
      summary: 'The task registry',
      responses: {
        200: json(
          { json: { type: 'object', properties: { tasks: { type: 'array', items: { type: 'object' } } } } },
          'Each task: name, visibility, pool, queue, defaults, parameters with JSON Schema.',
        ),
      },
    }),
    (ctx) => {
      ctx.body = body;
    },
  );
  return router;
}
