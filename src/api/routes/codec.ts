/**
 * The remote codec endpoint the Temporal Web UI calls to show decrypted payloads
 * (POST /codec/decode, /codec/encode with {"payloads": [{metadata, data}]}, base64 fields).
 * Behind the API's auth (decode needs `read`, encode `admin`); CORS allows the UI's origin
 * (TEMPORAL_UI_ORIGIN).
 */
import { Router } from '@koa/router';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { z } from 'zod';
import { readValid } from '../../http/body';
import { HttpProblem } from '../../http/problem';
import { requires } from '../../http/auth';
import { json, problem, type RouteDoc } from '../../http/route-docs';

const WirePayloads = z.strictObject({
  payloads: z.array(z.object({ metadata: z.record(z.string(), z.string()).optional(), data: z.string().optional() })).max(1000),
});
type WirePayload = z.infer<typeof WirePayloads>['payloads'][number];

const fromWire = (p: WirePayload): Payload => ({
  metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
  data: Buffer.from(p.data ?? '', 'base64'),
});
const toWire = (p: Payload): WirePayload => ({
  metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v ?? []).toString('base64')])),
  data: Buffer.from(p.data ?? []).toString('base64'),
});

export function codecRoutes(codec: PayloadCodec | undefined, uiOrigin: string, maxBodyBytes: number): Router {
  const router = new Router({ prefix: '/codec' });
  router.use(async (ctx, next) => {
    ctx.set('Access-Control-Allow-Origin', uiOrigin);
    ctx.set('Access-Control-Allow-Methods', 'POST, OPTIONS');
    ctx.set('Access-Control-Allow-Headers', 'Content-Type, Authorization, X-Namespace');
    ctx.set('Access-Control-Allow-Credentials', 'true');
    if (ctx.method === 'OPTIONS') {
      ctx.status = 204;
      return;
    }
    await next();
  });
  for (const direction of ['encode', 'decode'] as const) {
    router.options(
      `/${direction}`,
      requires('public', {
        summary: `CORS preflight of /codec/${direction} for the Temporal Web UI`,
        responses: { 204: 'Allowed (Access-Control-Allow-* headers).' },
      }),
      (ctx) => void (ctx.status = 204),
    );
    const codecDoc: RouteDoc = {
      summary: `${direction === 'encode' ? 'Encrypt' : 'Decrypt'} payloads (the Temporal Web UI's remote codec endpoint)`,
      body: WirePayloads,
      responses: {
        200: json(WirePayloads, 'The payloads, same shape, base64 fields.'),
        400: problem('Not {payloads: [...]}.'),
        404: problem('Payload encryption is off.'),
      },
    };
    // Decoding shows what is stored (read); encoding makes payloads the workers would take as the
    // key's own (a signal's or a start's input from the Web UI), so it needs admin.
    router.post(`/${direction}`, requires(direction === 'encode' ? 'admin' : 'read', codecDoc), async (ctx) => {
      if (!codec) throw new HttpProblem(404, 'Not Found', 'Payload encryption is off (ORCHESTRA_ENCRYPTION_KEYS is not set).');
      const payloads = (await readValid(ctx, WirePayloads, maxBodyBytes)).payloads.map(fromWire);
      const result = direction === 'encode' ? await codec.encode(payloads) : await codec.decode(payloads);
      ctx.body = { payloads: result.map(toWire) };
    });
  }
  return router;
}
