/**
 * Events delivered to a running canvas (wait nodes) and what a retried run resumes from.
 * Plain names and types, workflow-safe: the workflow defines its signal and query with
 * these names, the API sends and asks with them.
 */
import type { Json } from './types';

/** The signal that delivers an event: `{name, payload}`. */
export const EVENT_SIGNAL = 'event';

/** The query a closed canvas run answers for a retry: its request, completed steps and events. */
export const RETRY_QUERY = 'retryState';

/** Letters, digits and . _ : - ; up to 100 characters (it travels in a URL path). */
export const EVENT_NAME_PATTERN = /^[A-Za-z0-9._:-]{1,100}$/;

/** An event's id (the Event-Id header): letters, digits and . _ : @ = - ; up to 128 characters. A run keeps one event per name and id. */
export const EVENT_ID_PATTERN = /^[A-Za-z0-9._:@=-]{1,128}$/;
export const EVENT_ID_RULE = 'must be 1 to 128 letters, digits, . _ : @ = or -';

export interface CanvasEvent {
  name: string;
  payload: Json;
  /** The event's id, when it has one: a run keeps one event per name and id (a repeated POST /events delivers once). */
  id?: string;
  /** Who sent it (an API key's id, or `development mode`) and when: set by the API, kept on the wait node. */
  sentBy?: string;
  sentAt?: string;
}

/**
 * What a retry carries into the new run: the results of the steps that completed, keyed
 * by their step id (a task's node path; `<path>#<k>` for a batch; `<path>/<k>` for a
 * delegated chunk), and every event the earlier run received, in arrival order.
 */
export interface Resume {
  steps: Record<string, Json>;
  events: CanvasEvent[];
}

export function isCanvasEvent(value: unknown): value is CanvasEvent {
  if (typeof value !== 'object' || value === null) return false;
  const { name } = value as { name?: unknown };
  return typeof name === 'string' && EVENT_NAME_PATTERN.test(name) && 'payload' in value;
}
