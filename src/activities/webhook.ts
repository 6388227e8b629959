/**
 * Delivers a run's completion webhook (src/workflows/notify.ts), on the orchestrator pool.
 * Each attempt checks the URL again, connects to the address it checked (no redirects
 * followed), and sends the same body with the same Idempotency-Key, freshly signed. A 2xx
 * is delivered; a 408, 429 or 5xx, a timeout or a lost connection is retried by the
 * activity's retry policy; any other 4xx is refused for good. Sent again after a crash
 * mid-attempt, it reaches the receiver twice with one Idempotency-Key: exactly once for
 * a receiver that honours it.
 */
import { Context } from '@temporalio/activity';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import type { Config } from '../config';
import { ErrorType, permanentFailure, transientFailure } from '../workflows/errors';
import { WEBHOOK_ACTIVITY, type WebhookDelivery, type WebhookReceipt } from '../workflows/language/notify';
import { keySigningSecret, SIGNATURE_HEADER, signatureHeader } from '../webhooks/signing';
import { resolveWebhookAddress, type CheckedAddress } from '../webhooks/url-policy';

/** One attempt's bound: connecting, sending and the receiver's answer. */
const ATTEMPT_TIMEOUT_MS = 10_000;
const RETRIED_STATUSES = new Set([408, 425, 429]);

function secretFor(delivery: WebhookDelivery, config: Config): string {
  if (delivery.secret) return delivery.secret;
  const server = config.webhooks.signingSecret;
  if (!server)
    throw permanentFailure(ErrorType.WebhookRefused, 'no secret to sign with: the request gave none and WEBHOOK_SIGNING_SECRET is not set on the worker');
  return keySigningSecret(server, delivery.signer);
}

/** POSTs `body` to `url`, connecting only to `checked`; answers the status (the response body is read and dropped). */
function post(url: URL, checked: CheckedAddress, headers: Record<string, string>, body: string): Promise<number> {
  // The connection goes to the address that passed the check, whatever DNS says now (TLS still verifies the host name).
  const pinned: LookupFunction = (_host, options, callback) => {
    if (options.all) callback(null, [{ address: checked.address, family: checked.family }]);
    else callback(null, checked.address, checked.family);
  };
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(
      url,
      { method: 'POST', headers: { ...headers, 'Content-Length': String(Buffer.byteLength(body)) }, lookup: pinned, timeout: ATTEMPT_TIMEOUT_MS },
      (res: IncomingMessage) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${ATTEMPT_TIMEOUT_MS} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}

export function webhookActivities(config: Config): Record<string, (delivery: WebhookDelivery) => Promise<WebhookReceipt>> {
  async function deliver(delivery: WebhookDelivery): Promise<WebhookReceipt> {
    const { attempt } = Context.current().info;
    const secret = secretFor(delivery, config);
    let checked: CheckedAddress;
    try {
      checked = await resolveWebhookAddress(delivery.url, config.webhooks);
    } catch (error) {
      throw permanentFailure(ErrorType.WebhookRefused, `webhook URL refused: ${(error as Error).message}`);
    }
    const body = JSON.stringify(delivery.body);
    const headers = {
      'Content-Type': 'application/json',
      'User-Agent': 'Orchestra-Webhooks/1',
      'Idempotency-Key': delivery.body.deliveryId,
      'Orchestra-Event': delivery.body.event,
      'Orchestra-Attempt': String(attempt),
      [SIGNATURE_HEADER]: signatureHeader(secret, Math.floor(Date.now() / 1000), body),
    };
    let status: number;
    try {
      status = await post(new URL(delivery.url), checked, headers, body);
    } catch (error) {
      throw transientFailure(ErrorType.WebhookFailed, `webhook not delivered: ${(error as Error).message}`);
    }
    if (status >= 200 && status < 300) return { responseStatus: status, attempt };
    if (status >= 500 || RETRIED_STATUSES.has(status)) throw transientFailure(ErrorType.WebhookFailed, `the receiver answered ${status}`);
    throw permanentFailure(ErrorType.WebhookRefused, `the receiver answered ${status}; not retried`);
  }
  return { [WEBHOOK_ACTIVITY]: deliver };
}
