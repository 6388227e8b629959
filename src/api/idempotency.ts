/**
 * Idempotency-Key for POST /workflows, kept in Temporal itself so it works without the
 * database: the key is the run's workflow id, the run is started with REJECT_DUPLICATE (no
 * second run under that id while Temporal keeps the first, open or closed: the
 * namespace's retention), and its memo holds a hash of the canonical request, so the same
 * key with another body is told apart from a retry.
 */
import { createHash } from 'node:crypto';
import type { WorkflowExecutionDescription } from '@temporalio/client';
import type { CanvasRequest } from '../workflows/language/types';
import { canonicalJson } from '../schedules/definition';
import { conflict, HttpProblem } from '../http/problem';

/** The memo field holding the request's hash. */
export const REQUEST_HASH_MEMO = 'orchestraRequestHash';

/** SHA-256 of the request with object keys sorted: the same JSON in any key order hashes the same. */
export function requestHash(request: CanvasRequest): string {
  return createHash('sha256').update(canonicalJson(request)).digest('hex');
}

/**
 * Whether the run found under a key answers this request: it does when it was started
 * with the same key and the same request. Otherwise a 422 (same key, other request) or a
 * 409 (the id was taken by a run started without a key).
 */
export function assertSameRequest(existing: WorkflowExecutionDescription, hash: string): void {
  const stored = existing.memo?.[REQUEST_HASH_MEMO];
  if (stored === hash) return;
  if (typeof stored !== 'string') throw conflict(`workflow ${existing.workflowId} was not started with an Idempotency-Key; use another key`);
  throw new HttpProblem(422, 'Unprocessable Content', 'This Idempotency-Key was used with a different request; use a new key for a new request.', [
    { path: 'header.Idempotency-Key', message: 'was used with a different request body' },
  ]);
}
