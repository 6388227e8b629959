/**
 * GET /webhooks/signing-secret: the caller's key's webhook signing secret, which signs the
 * completion webhooks of the runs it starts without a `notify.secret` of their own. It is
 * derived from WEBHOOK_SIGNING_SECRET and the key's id, so it changes when either does.
 */
import { Router } from '@koa/router';
import type { AppContext } from '../context';
import { callerKeyId, requires } from '../../http/auth';
import { HttpProblem } from '../../http/problem';
import { json } from '../../http/route-docs';
import { keySigningSecret, SIGNATURE_HEADER } from '../../webhooks/signing';

export function webhookRoutes({ config }: AppContext): Router {
  const router = new Router();
  router.get(
    '/webhooks/signing-secret',
    requires('write', {
      summary: "The caller's key's webhook signing secret",
      description: `Signs the completion webhooks (\`notify\`) of the runs this key starts without a \`notify.secret\`: the ${SIGNATURE_HEADER} header is \`t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">\`. 503 when the server has no WEBHOOK_SIGNING_SECRET.`,
      responses: {
        200: json(
          { json: { type: 'object', properties: { keyId: { type: 'string' }, secret: { type: 'string' }, header: { type: 'string' } } } },
          'The key, its secret, and the header that carries the signature.',
        ),
      },
    }),
    (ctx) => {
      const server = config.webhooks.signingSecret;
      if (!server) throw new HttpProblem(503, 'Service Unavailable', 'WEBHOOK_SIGNING_SECRET is not set: give each request its own notify.secret.');
      const keyId = callerKeyId(ctx);
      ctx.set('Cache-Control', 'no-store');
      ctx.body = { keyId, secret: keySigningSecret(server, keyId), header: SIGNATURE_HEADER };
    },
  );
  return router;
}
