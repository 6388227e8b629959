/**
 * A trigger: a canvas started for every event of a name (optionally only those whose payload
 * meets a filter), in the tenant of the key that registered it. Its body is the body POST
 * /workflows takes, plus `event`, `filter` and `id`, so a canvas's problems have the paths
 * they have there (`canvas.chain[1].task`). The event's payload is the canvas's input: its
 * first step receives it as a chain's next step receives a result (validated so).
 */
import { validateCanvasRequest } from '../canvas/validate';
import { EventNameSchema } from '../canvas/schemas';
import type { TaskDefinition, TaskVisibility } from '../tasks/registry';
import { Issues, type Validation } from '../validation/issues';
import type { CanvasRequest } from '../workflows/language/types';
import { validateFilter, type EventFilter } from './filter';
import { TRIGGER_ID_PATTERN } from './limits';

/** What a trigger starts: a canvas request without the fields an event decides (the run's id, when it runs). */
export type TriggerRequest = Omit<CanvasRequest, 'workflowId' | 'exclusive' | 'debounce'>;

export interface TriggerDefinition {
  id: string;
  event: string;
  filter?: EventFilter;
  request: TriggerRequest;
}

/** The metadata key a triggered run's event is recorded under (GET /workflows/:id, `metadata.event`). */
export const EVENT_METADATA_KEY = 'event';

/** Fields of a start request that an event decides, and why. */
const REFUSED: Record<string, string> = {
  workflowId: "is decided by the event: each run's id is event-<trigger id>-<hash of tenant, event id and trigger id>, so a repeated event starts nothing new",
  exclusive: 'does not apply to a trigger: one event id starts one run per trigger',
  debounce: 'does not apply to a trigger: the events decide when runs start',
};

export interface TriggerValidationOptions {
  reach: TaskVisibility;
  python?: ReadonlyMap<string, TaskDefinition>;
  /** A generated id, used when the body names none. */
  newId: () => string;
}

/** Checks a POST /triggers body (or a trigger declared in code), reporting every problem with its path. */
export function validateTrigger(body: unknown, options: TriggerValidationOptions): Validation<TriggerDefinition> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return { ok: false, issues: [{ path: '', message: 'must be a JSON object: {"event", "canvas", "filter"?, "id"?, …}' }] };
  }
  const { id, event, filter, ...request } = body as Record<string, unknown>;
  const issues = new Issues();
  if (id !== undefined && (typeof id !== 'string' || !TRIGGER_ID_PATTERN.test(id))) {
    issues.add('id', 'must be 1 to 64 letters, digits, . _ or -, starting with a letter or digit');
  }
  if (event === undefined) issues.add('event', 'is required: the event name that starts this canvas');
  else issues.check(EventNameSchema, event, 'event');
  if (filter !== undefined) validateFilter(filter, 'filter', issues);
  for (const [field, why] of Object.entries(REFUSED)) if (field in request) issues.add(field, why);
  const metadata = request.metadata;
  if (typeof metadata === 'object' && metadata !== null && EVENT_METADATA_KEY in metadata) {
    issues.add(`metadata.${EVENT_METADATA_KEY}`, "is reserved: a triggered run's metadata.event names the event that started it");
  }
  const allowed = Object.fromEntries(Object.entries(request).filter(([field]) => !(field in REFUSED)));
  const validation = validateCanvasRequest(allowed, { reach: options.reach, python: options.python, input: true });
  if (!validation.ok) for (const issue of validation.issues) issues.add(issue.path, issue.message);
  if (!issues.ok || !validation.ok) return { ok: false, issues: issues.list };
  return {
    ok: true,
    value: {
      id: (id as string | undefined) ?? options.newId(),
      event: event as string,
      ...(filter === undefined ? {} : { filter: filter as EventFilter }),
      request: validation.value,
    },
  };
}
