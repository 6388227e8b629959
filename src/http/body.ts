/**
 * Request bodies: what a write must declare (JSON or multipart, so a web page cannot post
 * cross-site with a form or text/plain), and reading JSON with a size and a nesting limit;
 * malformed JSON is a 400 that says why, never a 5xx.
 */
import type { Context, Next } from 'koa';
import type { z } from 'zod';
import { parseWith } from '../validation/issues';
import { LIMITS } from '../workflows/language/limits';
import { badRequest, HttpProblem } from './problem';

/**
 * Arrays and objects nested deeper than this are refused before parsing. Four JSON levels
 * per canvas level covers the deepest valid canvas (a chord is node → chord → header →
 * node), and nothing downstream then recurses deep enough to overflow the stack.
 */
export const MAX_JSON_DEPTH = 4 * LIMITS.maxDepth;

const UNSAFE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * Writes carry `application/json` (or `+json`) or `multipart/form-data`, or no body at all:
 * the content types a cross-site form or `fetch` can send without a CORS preflight
 * (text/plain, form-urlencoded) are 415. A browser's cross-site write (Sec-Fetch-Site) is
 * refused outright unless it comes from the Web UI's origin (the /codec endpoint).
 */
export function requireBodyType(uiOrigin: string) {
  return async (ctx: Context, next: Next): Promise<void> => {
    if (!UNSAFE_METHODS.has(ctx.method)) return next();
    if (ctx.get('sec-fetch-site') === 'cross-site' && ctx.get('origin') !== uiOrigin) {
      throw new HttpProblem(403, 'Forbidden', 'Cross-site writes from a browser are refused.');
    }
    const declared = ctx.get('content-type');
    const hasBody = Number(ctx.get('content-length') || 0) > 0 || ctx.get('transfer-encoding') !== '';
    if (declared ? !ctx.is('json', 'multipart/form-data') : hasBody) {
      throw new HttpProblem(
        415,
        'Unsupported Media Type',
        `Send the body as application/json (or multipart/form-data for uploads)${declared ? `, not ${declared}` : ' with a Content-Type header'}.`,
      );
    }
    return next();
  };
}

/** `maxDepth` is MAX_JSON_DEPTH but for bodies that wrap requests (a batch's list of canvases). */
export async function readJson(ctx: Context, maxBytes: number, maxDepth = MAX_JSON_DEPTH): Promise<unknown> {
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
  if (!ctx.is('json')) throw new HttpProblem(415, 'Unsupported Media Type', 'Send the body as application/json.');
  return parseJson(text, maxDepth);
}

/** JSON.parse with the nesting limit, and without `__proto__` keys (which some copies would turn into a prototype). */
export function parseJson(text: string, maxDepth = MAX_JSON_DEPTH): unknown {
  const depth = nestingDepth(text, maxDepth);
  if (depth > maxDepth) {
    throw new HttpProblem(400, 'Bad Request', `The body nests arrays and objects deeper than ${maxDepth} levels.`, [
      { path: '', message: `nests deeper than ${maxDepth} levels` },
    ]);
  }
  let protoKey = false;
  let value: unknown;
  try {
    value = JSON.parse(text, (key, v: unknown) => {
      if (key === '__proto__') protoKey = true;
      return v;
    });
  } catch (error) {
    throw new HttpProblem(400, 'Bad Request', `The body is not valid JSON: ${(error as Error).message}`, [{ path: '', message: 'is not valid JSON' }]);
  }
  if (protoKey)
    throw new HttpProblem(400, 'Bad Request', 'The body has a "__proto__" key.', [{ path: '', message: 'keys named "__proto__" are not accepted' }]);
  const illFormed = illFormedTextPath(value);
  if (illFormed !== undefined) {
    throw badRequest([
      { path: illFormed, message: 'must be well-formed Unicode: a lone surrogate (an escape from \\ud800 to \\udfff without its pair) is not text' },
    ]);
  }
  return value;
}

/** A UTF-16 surrogate without its other half: JSON may escape one, but no UTF-8 encoding (gRPC, BSON, SMTP) can carry it. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** The path of the first key or string that is not well-formed Unicode, or undefined. Nesting is bounded by MAX_JSON_DEPTH. */
function illFormedTextPath(value: unknown, path = ''): string | undefined {
  if (typeof value === 'string') return LONE_SURROGATE.test(value) ? path : undefined;
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) {
      const found = illFormedTextPath(item, `${path}[${i}]`);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  for (const [key, item] of Object.entries(value)) {
    const at = path ? `${path}.${key}` : key;
    if (LONE_SURROGATE.test(key)) return at;
    const found = illFormedTextPath(item, at);
    if (found !== undefined) return found;
  }
  return undefined;
}

/**
 * The deepest nesting of arrays and objects in JSON text, counted in one pass (brackets
 * inside strings do not count); stops counting past `stopAbove`.
 */
export function nestingDepth(text: string, stopAbove = Infinity): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      depth++;
      if (depth > deepest) deepest = depth;
      if (deepest > stopAbove) return deepest;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return deepest;
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
