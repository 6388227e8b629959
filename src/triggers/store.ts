/**
 * Triggers registered over REST, in MongoDB, shaped for the embedded database (which answers
 * from an index only by `_id`):
 *
 * - `event_triggers`, `_id` = `<tenant>/<event>`: every trigger of one tenant for one event
 *   name, so POST /events/:name reads its triggers with one lookup. Changed by version (a
 *   compare-and-set), so two registrations at once cannot lose one.
 * - `trigger_ids`, `_id` = `<tenant>/<trigger id>`: which event a trigger id is registered
 *   for, for GET and DELETE /triggers/:id and to keep ids unique per tenant.
 *
 * A trigger's filter and canvas are kept as JSON text: their keys (`"order.status"`, a
 * kwarg named `$x`) need not be field names the database accepts.
 *
 * `event_triggers` is the truth. A crash between the two writes can leave an id entry whose
 * event holds no such trigger: readers treat it as absent, and a new trigger may take the id.
 */
import mongoose from 'mongoose';
import type { TriggerDefinition } from './definition';
import { TRIGGER_LIMITS } from './limits';

export const EVENT_TRIGGERS_COLLECTION = 'event_triggers';
export const TRIGGER_IDS_COLLECTION = 'trigger_ids';

export interface StoredTrigger extends TriggerDefinition {
  tenant: string;
  createdAt: string;
  /** The key that registered it (or `development mode`). */
  createdBy: string;
  /** That key's id: its signing secret signs the `notify` webhooks of the runs the trigger starts. */
  signer: string;
}

/** A trigger as kept: its filter and request as JSON text. */
interface TriggerEntry {
  id: string;
  createdAt: string;
  createdBy: string;
  signer: string;
  definition: string;
}

interface EventTriggersDocument {
  _id: string;
  tenant: string;
  event: string;
  version: number;
  triggers: TriggerEntry[];
}

interface TriggerIdDocument {
  _id: string;
  event: string;
}

/** The database is not connected: named as the driver names it, so the API answers 503. */
class NotConnected extends Error {
  override name = 'MongoNotConnectedError';
}

export function collection<T extends { _id: string }>(name: string) {
  const db = mongoose.connection.db;
  if (!db) throw new NotConnected('the database is not connected');
  return db.collection<T>(name);
}

const byEvent = () => collection<EventTriggersDocument>(EVENT_TRIGGERS_COLLECTION);
const byId = () => collection<TriggerIdDocument>(TRIGGER_IDS_COLLECTION);
const eventKey = (tenant: string, event: string) => `${tenant}/${event}`;
const idKey = (tenant: string, id: string) => `${tenant}/${id}`;
const isDuplicateKey = (error: unknown) => (error as { code?: unknown }).code === 11000;

/** Compare-and-set attempts before a registration gives up (only many writers on one event could use them up). */
const ATTEMPTS = 8;

const toEntry = ({ id, createdAt, createdBy, signer, filter, request }: StoredTrigger): TriggerEntry => ({
  id,
  createdAt,
  createdBy,
  signer,
  definition: JSON.stringify({ filter, request }),
});

function fromEntries(document: EventTriggersDocument | null): StoredTrigger[] {
  if (!document) return [];
  const { tenant, event } = document;
  return document.triggers.map(({ id, createdAt, createdBy, signer, definition }) => {
    const { filter, request } = JSON.parse(definition) as Pick<StoredTrigger, 'filter' | 'request'>;
    return { id, event, tenant, createdAt, createdBy, signer, ...(filter === undefined ? {} : { filter }), request };
  });
}

/** The triggers of one tenant for one event name: one lookup by `_id`. */
export async function triggersFor(tenant: string, event: string): Promise<StoredTrigger[]> {
  return fromEntries(await byEvent().findOne({ _id: eventKey(tenant, event) }));
}

/** A tenant's trigger by id, or undefined. */
export async function findTrigger(tenant: string, id: string): Promise<StoredTrigger | undefined> {
  const entry = await byId().findOne({ _id: idKey(tenant, id) });
  if (!entry) return undefined;
  return (await triggersFor(tenant, entry.event)).find((t) => t.id === id);
}

/** A tenant's triggers, by event name then id (a scan of event_triggers: listing is rare, events are not). */
export async function listTriggers(tenant: string): Promise<StoredTrigger[]> {
  const documents = await byEvent().find({ tenant }).limit(TRIGGER_LIMITS.listed).toArray();
  return documents
    .flatMap(fromEntries)
    .sort((a, b) => a.event.localeCompare(b.event) || a.id.localeCompare(b.id))
    .slice(0, TRIGGER_LIMITS.listed);
}

export type CreateOutcome = 'created' | 'exists' | 'full';

/** Registers a trigger: `exists` if the tenant has one with its id, `full` if its event has TRIGGER_LIMITS.perEvent. */
export async function createTrigger(trigger: StoredTrigger): Promise<CreateOutcome> {
  const { tenant, id, event } = trigger;
  if (!(await claimId(tenant, id, event))) return 'exists';
  const added = await changeEvent(tenant, event, (triggers) => {
    if (triggers.length >= TRIGGER_LIMITS.perEvent) return undefined;
    return [...triggers.filter((t) => t.id !== id), toEntry(trigger)];
  });
  if (added) return 'created';
  await byId().deleteOne({ _id: idKey(tenant, id), event });
  return 'full';
}

/** Removes a tenant's trigger; false if it has none with this id. */
export async function deleteTrigger(tenant: string, id: string): Promise<boolean> {
  const entry = await byId().findOne({ _id: idKey(tenant, id) });
  if (!entry) return false;
  let held = false;
  await changeEvent(tenant, entry.event, (triggers) => {
    held = triggers.some((t) => t.id === id);
    return held ? triggers.filter((t) => t.id !== id) : undefined;
  });
  // The event first: a crash in between leaves only a stale id entry, which readers ignore.
  await byId().deleteOne({ _id: idKey(tenant, id), event: entry.event });
  return held;
}

/** Takes the id for `event`; false if a trigger holds it. A stale entry (see above) is taken over. */
async function claimId(tenant: string, id: string, event: string): Promise<boolean> {
  const _id = idKey(tenant, id);
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    try {
      await byId().insertOne({ _id, event });
      return true;
    } catch (error) {
      if (!isDuplicateKey(error)) throw error;
    }
    const entry = await byId().findOne({ _id });
    if (!entry) continue; // deleted meanwhile: try again
    if ((await byEvent().findOne({ _id: eventKey(tenant, entry.event) }))?.triggers.some((t) => t.id === id)) return false;
    const taken = await byId().updateOne({ _id, event: entry.event }, { $set: { event } });
    if (taken.matchedCount === 1) return true;
  }
  throw new Error(`trigger id ${id}: too many concurrent changes; try again`);
}

/**
 * Applies `change` to an event's triggers by compare-and-set on the document's version;
 * `change` answers undefined to leave them as they are. Answers whether it changed them.
 */
async function changeEvent(tenant: string, event: string, change: (triggers: TriggerEntry[]) => TriggerEntry[] | undefined): Promise<boolean> {
  const _id = eventKey(tenant, event);
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const current = await byEvent().findOne({ _id });
    const next = change(current?.triggers ?? []);
    if (next === undefined) return false;
    if (!current) {
      try {
        await byEvent().insertOne({ _id, tenant, event, version: 1, triggers: next });
        return true;
      } catch (error) {
        if (isDuplicateKey(error)) continue;
        throw error;
      }
    }
    const guard = { _id, version: current.version };
    const done =
      next.length === 0 ? await byEvent().deleteOne(guard) : await byEvent().updateOne(guard, { $set: { triggers: next, version: current.version + 1 } });
    if ((('matchedCount' in done ? done.matchedCount : done.deletedCount) ?? 0) === 1) return true;
  }
  throw new Error(`triggers of event ${event}: too many concurrent changes; try again`);
}
