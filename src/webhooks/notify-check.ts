/**
 * A request's `notify` checked before its run starts (the schema checked its shape): the
 * URL against the webhook policy, with a lookup, and a secret to sign with.
 */
import type { Issue } from '../validation/issues';
import type { NotifySpec } from '../workflows/language/types';
import { resolveWebhookAddress, type WebhookPolicy } from './url-policy';

export interface WebhookRules extends WebhookPolicy {
  /** WEBHOOK_SIGNING_SECRET: without it a request must bring its own `secret`. */
  signingSecret: string | undefined;
}

export async function notifyIssues(notify: NotifySpec | undefined, rules: WebhookRules, path = 'notify'): Promise<Issue[]> {
  if (!notify) return [];
  const issues: Issue[] = [];
  try {
    await resolveWebhookAddress(notify.url, rules);
  } catch (error) {
    issues.push({ path: `${path}.url`, message: (error as Error).message });
  }
  if (!notify.secret && !rules.signingSecret) {
    issues.push({ path: `${path}.secret`, message: 'is required: this server has no WEBHOOK_SIGNING_SECRET to derive a key signing secret from' });
  }
  return issues;
}
