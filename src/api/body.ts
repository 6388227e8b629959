/** Reads a JSON request body with a size limit; malformed JSON is a 400 that says where. */
import type { Context } from 'koa';
import type { z } from 'zod';
import { parseWith } from '../canvas/issues';
import { badRequest, HttpProblem } from './problem';

export async function readJson(ctx: Context, maxBytes: number): Promise<unknown> {
  const declared = Number(ctx.get('content-length') || 0);
  if (declared > maxBytes) throw tooLarge(maxBytes);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) throw tooLarge(maxBytes);
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return undefined;
  if (!ctx.is('json') && ctx.get('content-type')) {
    throw new HttpProblem(415, 'Unsupported Media Type', 'Send the body as application/json.');
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new HttpProblem(400, 'Bad Request', `The body is not valid JSON: ${(error as Error).message}`, [{ path: '', message: 'is not valid JSON' }]);
  }
}

function tooLarge(maxBytes: number): HttpProblem {
  return new HttpProblem(413, 'Content Too Large', `The body is larger than ${maxBytes} bytes.`);
}

/**
 * Reads a JSON body and parses it with a zod schema: the schema's output, or a 400 naming
 * every problem's path. `whenEmpty` stands in for a missing body.
 */
export async function readValid<S extends z.ZodType>(ctx: Context, schema: S, maxBytes: number, whenEmpty?: unknown): Promise<z.output<S>> {
  const parsed = parseWith(schema, (await readJson(ctx, maxBytes)) ?? whenEmpty);
  if (!parsed.ok) throw badRequest(parsed.issues);
  return parsed.value;
}
