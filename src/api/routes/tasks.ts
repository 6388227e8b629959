/** GET /tasks: the task registry and the Python pool's tasks, with each task's argument schema as JSON Schema. */
import { Router } from '@koa/router';
import { z } from 'zod';
import { POOLS } from '../../workflows/tasks/pools';
import { TASKS, type TaskDefinition } from '../../tasks/registry';
import type { PythonCatalog, PythonTaskDefinition } from '../../tasks/python-catalog';
import { requires } from '../../http/auth';
import { json } from '../../http/route-docs';

function describeTask(task: TaskDefinition | PythonTaskDefinition) {
  return {
    name: task.name,
    visibility: task.visibility,
    pool: task.pool,
    queue: POOLS[task.pool].queue,
    description: task.description,
    defaults: task.defaults,
    params: task.params.map((p) => ({ name: p.name, optional: p.optional ?? false, ...(p.kind ? { kind: p.kind } : {}), schema: z.toJSONSchema(p.schema) })),
    ...(task.varArgs ? { varArgs: true } : {}),
    ...(task.varKwargs ? { varKwargs: true } : {}),
    ...('celery' in task ? { celery: task.celery } : {}),
  };
}

export function describeTasks() {
  return [...TASKS.values()].map(describeTask);
}

export function taskRoutes(python: PythonCatalog): Router {
  const router = new Router();
  const registry = describeTasks();
  router.get(
    '/tasks',
    requires('read', {
      summary: 'The task registry, and the tasks the Python pool last published',
      responses: {
        200: json(
          { json: { type: 'object', properties: { tasks: { type: 'array', items: { type: 'object' } } } } },
          "Each task: name, visibility, pool, queue, defaults, parameters with JSON Schema; a Python task also its parameters' kinds, *args/**kwargs and its Celery options.",
        ),
      },
    }),
    async (ctx) => {
      // The registry answers even when the database (where the Python pool publishes) does not.
      const published = await python.tasks().catch(() => new Map<string, PythonTaskDefinition>());
      ctx.body = { tasks: [...registry, ...[...published.values()].map(describeTask)] };
    },
  );
  return router;
}
