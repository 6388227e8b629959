/**
 * What a route says about itself for the OpenAPI document, declared where the route is
 * defined, next to its scope: `router.post('/', requires('write', { summary, body: Schema,
 * responses }), handler)`. src/api/openapi.ts builds the document by walking the routers,
 * so a route without a doc, or a doc without a route, cannot exist. Request schemas are
 * the zod schemas that validate the request; they become JSON Schema through zod itself.
 */
import type { z } from 'zod';

/** A response body: a zod schema, a component's name ({ref: 'Run'}) or a JSON Schema object. */
export type SchemaDoc = z.ZodType | { ref: string } | { json: Record<string, unknown> };

export interface ResponseDoc {
  description: string;
  schema?: SchemaDoc;
  /** Default application/json; problems are application/problem+json. */
  contentType?: string;
}

export interface ParameterDoc {
  schema?: SchemaDoc;
  description?: string;
  required?: boolean;
}

export interface RouteDoc {
  summary: string;
  description?: string;
  /** Descriptions and schemas of the path's `:params` (each one is documented either way). */
  params?: Record<string, ParameterDoc>;
  /** Query parameters, one per key of this object schema. */
  query?: z.ZodObject;
  headers?: Record<string, ParameterDoc>;
  /** The request body: the schema that validates it (JSON), or another media type. */
  body?: z.ZodType | { contentType: string; schema?: SchemaDoc; description?: string; required?: boolean };
  /** Status → a description, or a response. 401/403 are added for routes that need a key. */
  responses: Record<number, string | ResponseDoc>;
  /** Not an API operation (the dashboard's and docs' static files): listed, marked as such. */
  asset?: boolean;
}

/** A problem-details response: `problem('Unknown id.')`. */
export const problem = (description: string): ResponseDoc => ({ description, contentType: 'application/problem+json', schema: { ref: 'Problem' } });

/** A JSON response with a component's schema: `json('Run', 'The run.')`. */
export const json = (schema: SchemaDoc | string, description: string): ResponseDoc => ({
  description,
  schema: typeof schema === 'string' ? { ref: schema } : schema,
});
