/**
 * The run's event inbox: events arrive by signal (POST /workflows/:id/events/:name) and
 * wait there until a wait node for their name takes them, so one that arrives before its
 * node is reached is not lost. Registering the handler is not a command: old histories
 * replay unchanged.
 */
import { condition, defineSignal, setHandler } from '@temporalio/workflow';
import { EVENT_SIGNAL, isCanvasEvent, type CanvasEvent } from './language/events';

export const eventSignal = defineSignal<[CanvasEvent]>(EVENT_SIGNAL);

// Module state is per workflow execution (the SDK isolates workflow modules).
const inbox: CanvasEvent[] = [];
/** Every event this run received (a retry's carried-over ones first), for a later retry. */
const received: CanvasEvent[] = [];
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
    keep({ name: event.name, payload: event.payload, ...sender });
  });
}

function keep(event: CanvasEvent): void {
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
  for (;;) {
    const index = inbox.findIndex((event) => event.name === name);
    if (index >= 0) return inbox.splice(index, 1)[0];
    // Two wait nodes for one name may wake on one event: the loser waits on for the rest of its time.
    const left = deadline - Date.now();
    if (left <= 0 || !(await condition(has, left))) return undefined;
  }
}
