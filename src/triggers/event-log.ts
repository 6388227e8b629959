/**
 * The events POST /events/:name received, by tenant and event id (`received_events`, `_id` =
 * `<tenant>/<event id>`): what makes an event id idempotent beyond the runs it starts. Written
 * before anything starts, with a hash of the request and the triggers it matched, so the same
 * id again answers the same runs (even when the first request died between two starts, or
 * a trigger was added since) and the same id with another request is told apart; and after
 * delivery, with the runs it resumed, so a repeat answers them without signalling again.
 */
import { createHash } from 'node:crypto';
import { canonicalJson } from '../schedules/definition';
import type { Json } from '../workflows/language/types';
import { collection } from './store';

export const RECEIVED_EVENTS_COLLECTION = 'received_events';

/** One run an event starts: its trigger, and the run's id (./run-ids.ts). */
export interface PlannedStart {
  triggerId: string;
  workflowId: string;
  /** A trigger declared in code (./builtin.ts), whose runs are the application's. */
  builtin?: true;
}

export interface EventRecord {
  _id: string;
  tenant: string;
  eventId: string;
  name: string;
  hash: string;
  receivedAt: string;
  starts: PlannedStart[];
  deliverToWaiting: boolean;
  /** The runs it resumed, once delivery is done (absent before). */
  delivered?: string[];
  /** More runs were waiting than one event resumes (TRIGGER_LIMITS.deliveries). */
  deliveryTruncated?: boolean;
}

export interface EventRequest {
  name: string;
  payload: Json;
  deliverToWaiting: boolean;
}

const received = () => collection<EventRecord>(RECEIVED_EVENTS_COLLECTION);
const key = (tenant: string, eventId: string) => `${tenant}/${eventId}`;

/** SHA-256 of the request (name, payload, deliverToWaiting), keys sorted: the same JSON in any key order hashes the same. */
export function eventHash(request: EventRequest): string {
  return createHash('sha256').update(canonicalJson(request)).digest('hex');
}

/** Records a new event; when the id was seen, answers the first record instead (`fresh: false`). */
export async function recordEvent(
  record: Omit<EventRecord, '_id' | 'receivedAt'>,
): Promise<{ fresh: true; record: EventRecord } | { fresh: false; record: EventRecord }> {
  const full: EventRecord = { ...record, _id: key(record.tenant, record.eventId), receivedAt: new Date().toISOString() };
  try {
    await received().insertOne(full);
    return { fresh: true, record: full };
  } catch (error) {
    if ((error as { code?: unknown }).code !== 11000) throw error;
  }
  const first = await received().findOne({ _id: full._id });
  if (!first) throw new Error(`event ${record.eventId} was recorded and is gone; send it again`);
  return { fresh: false, record: first };
}

/** Keeps the runs an event resumed, so a repeat answers them. */
export async function recordDelivery(tenant: string, eventId: string, delivered: string[], truncated: boolean): Promise<void> {
  await received().updateOne({ _id: key(tenant, eventId) }, { $set: { delivered, ...(truncated ? { deliveryTruncated: true } : {}) } });
}

/** How long an event id is remembered by default: a repeat within it answers the first request's runs. */
export const EVENT_ID_RETENTION_MS = 7 * 86_400_000;

/**
 * Forgets the events received more than `olderThanMs` ago (the built-in `prune-received-events`
 * schedule): their ids become new again. ISO times in UTC compare as strings.
 */
export async function pruneReceivedEvents(olderThanMs = EVENT_ID_RETENTION_MS): Promise<{ deleted: number }> {
  const cutoff = new Date(Date.now() - olderThanMs).toISOString();
  const { deletedCount } = await received().deleteMany({ receivedAt: { $lt: cutoff } });
  return { deleted: deletedCount };
}
