/**
 * A route's query parameters, read with the zod schema its docs declare (route-docs.ts), so
 * the bounds the OpenAPI document shows are the ones enforced: a 400 at query.<name> otherwise.
 */
import type { Context } from 'koa';
import type { z } from 'zod';
import { parseWith } from '../validation/issues';
import { badRequest } from './problem';

export function readQuery<S extends z.ZodType>(ctx: Context, schema: S): z.output<S> {
  const parsed = parseWith(schema, ctx.query, 'query');
  if (!parsed.ok) throw badRequest(parsed.issues, 'The query is not valid.');
  return parsed.value;
}
