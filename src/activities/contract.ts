/** The checks every task call passes through: arguments fit the registry, results are JSON. */
import type { TaskDefinition } from '../tasks/registry';

/** A description of what does not fit, or undefined when the arguments fit. */
export function checkArgs(definition: TaskDefinition, args: unknown[]): string | undefined {
  const { params } = definition;
  if (args.length > params.length) return `takes at most ${params.length} arguments (${params.map((p) => p.name).join(', ')}), got ${args.length}`;
  for (let i = 0; i < params.length; i++) {
    const param = params[i];
    if (i >= args.length || args[i] === undefined) {
      if (!param.optional) return `missing argument ${param.name}`;
      continue;
    }
    const parsed = param.schema.safeParse(args[i]);
    if (!parsed.success) return `argument ${param.name}: ${parsed.error.issues[0]?.message ?? 'invalid'}`;
  }
  return undefined;
}

/** Where a value stops being JSON, or undefined when it is JSON all the way down. */
export function checkJson(value: unknown, path = 'result', seen = new Set<object>()): string | undefined {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return undefined;
  if (typeof value === 'number') return Number.isFinite(value) ? undefined : `${path} is ${value}`;
  if (typeof value !== 'object') return `${path} is ${typeof value === 'undefined' ? 'undefined' : `a ${typeof value}`}`;
  if (seen.has(value)) return `${path} is circular`;
  seen.add(value);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const problem = checkJson(value[i], `${path}[${i}]`, seen);
      if (problem) return problem;
    }
    return undefined;
  }
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return `${path} is a ${value.constructor?.name ?? 'non-plain object'}`;
  for (const [key, v] of Object.entries(value)) {
    const problem = checkJson(v, `${path}.${key}`, seen);
    if (problem) return problem;
  }
  return undefined;
}
