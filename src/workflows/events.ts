/**
 * The run's event inbox: events arrive by signal (POST /workflows/:id/events/:name, or
 * POST /events/:name with `deliverToWaiting`) and wait there until a wait node for their
 * name takes them, so one that arrives before its node is reached is not lost. An event
 * with an id is kept once per run: the same id again (a repeated POST /events) is dropped.
 * Registering the handler is not a command, and old histories hold no event ids: they
 * replay unchanged.
 */
import { condition, defineSignal, setHandler } from '@temporalio/workflow';
import { EVENT_ID_PATTERN, EVENT_SIGNAL, isCanvasEvent, type CanvasEvent } from './language/events';
import { markWaiting } from './waiting-for';

export const eventSignal = defineSignal<[CanvasEvent]>(EVENT_SIGNAL);

// Module state is per workflow execution (the SDK isolates workflow modules).
const inbox: CanvasEvent[] = [];
/** Every event this run received (a retry's carried-over ones first), for a later retry. */
const received: CanvasEvent[] = [];
/** `<name> <id>` of every event with an id this run kept (ids are per event name). */
const keptIds = new Set<string>();
let listening = false;

/** Starts keeping events; signals sent before this are buffered by the SDK and delivered now. */
export function listenForEvents(carried: CanvasEvent[] = []): void {
  for (const event of carried) keep(event);
  if (listening) return;
  listening = true;
  // A signal sent another way (the CLI) may be malformed: ignored rather than failing the run.
  setHandler(eventSignal, (event) => {
    if (!isCanvasEvent(event)) return;
    // The sender (set by the API) is kept only when it is the strings the API writes.
    const sender = typeof event.sentBy === 'string' ? { sentBy: event.sentBy, ...(typeof event.sentAt === 'string' ? { sentAt: event.sentAt } : {}) } : {};
    const id = typeof event.id === 'string' && EVENT_ID_PATTERN.test(event.id) ? { id: event.id } : {};
    keep({ name: event.name, payload: event.payload, ...sender, ...id });
  });
}

function keep(event: CanvasEvent): void {
  if (event.id !== undefined) {
    const key = `${event.name} ${event.id}`;
    if (keptIds.has(key)) return;
    keptIds.add(key);
  }
  inbox.push(event);
  received.push(event);
}

export function receivedEvents(): CanvasEvent[] {
  return received;
}

/** Takes the first event named `name`, waiting up to `timeoutMs`; undefined when none came. */
export async function takeEvent(name: string, timeoutMs: number): Promise<CanvasEvent | undefined> {
  listenForEvents();
  const deadline = Date.now() + timeoutMs;
  const has = () => inbox.some((event) => event.name === name);
  const index = inbox.findIndex((event) => event.name === name);
  if (index >= 0) return inbox.splice(index, 1)[0];
  // Visible to POST /events/:name's deliverToWaiting only while it really waits.
  const done = markWaiting(name);
  try {
    for (;;) {
      // Two wait nodes for one name may wake on one event: the loser waits on for the rest of its time.
      const left = deadline - Date.now();
      if (left <= 0 || !(await condition(has, left))) return undefined;
      const next = inbox.findIndex((event) => event.name === name);
      if (next >= 0) return inbox.splice(next, 1)[0];
    }
  } finally {
    done();
  }
}
