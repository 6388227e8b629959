/** Reading the domain routes' JSON bodies: size limit, no `$`/`.` keys, then a zod schema. */
import type { Context } from 'koa';
import type { z } from 'zod';
import { parseWith } from '../validation/issues';
import { unsafeKeys } from './safe-keys';
import { readJson } from '../http/body';
import { badRequest } from '../http/problem';

export async function readBody<S extends z.ZodType>(ctx: Context, schema: S, maxBytes: number): Promise<z.infer<S>> {
  const body = await readJson(ctx, maxBytes);
  if (body === undefined) throw badRequest([{ path: '', message: 'a JSON body is required' }], 'The request is not valid; nothing was written.');
  // Operator and dotted keys are refused outright, before any schema or mongoose sees them.
  const unsafe = unsafeKeys(body);
  if (unsafe.length > 0) throw badRequest(unsafe, 'The request is not valid; nothing was written.');
  const parsed = parseWith(schema, body);
  if (!parsed.ok) throw badRequest(parsed.issues, 'The request is not valid; nothing was written.');
  return parsed.value;
}
