/**
 * POST /workflows/batch: many canvases in one request, each started as POST /workflows
 * starts one (./canvas-start). Every item is validated before anything starts, so a 400
 * (each issue's path under `canvases[i]`) means nothing was started. Then each item is its
 * own run, a few at a time, and each gets its own answer: a refused item (409, 422, 429…)
 * does not stop the others. An Idempotency-Key on the batch is item i's key `<key>:<i>`,
 * so the same batch again answers the same runs and starts nothing.
 */
import { z } from 'zod';
import { isTemporalConnectivityError, temporalUnavailable } from '../http/availability';
import { HttpProblem } from '../http/problem';
import { MAX_JSON_DEPTH } from '../http/body';
import { Issues, parseWith, type Issue, type Validation } from '../validation/issues';
import type { DebounceSpec } from '../workflows/language/types';
import type { RunLinks } from '../temporal/links';
import { logger } from '../logging';
import { WorkflowIdSchema } from '../canvas/schemas';
import type { PythonCatalog } from '../tasks/python-catalog';
import type { WebhookRules } from '../webhooks/notify-check';
import { startCanvasRun, validateStart, workflowIdIssues, type CanvasStarter, type StartAnswer, type StartCaller, type ValidStart } from './canvas-start';
import { inParallel } from './in-parallel';

/** Canvases one batch may hold: a page of work, answered within one request's time. */
export const MAX_BATCH_CANVASES = 100;
/** Items started at once: enough to hide Temporal's round trips, few enough not to crowd other requests. */
const START_CONCURRENCY = 8;
/** `{"canvases": [...]}` wraps each canvas request two levels deeper than POST /workflows's body. */
export const BATCH_JSON_DEPTH = MAX_JSON_DEPTH + 2;

/** The envelope; each item is then a canvas request, validated as POST /workflows validates its body. */
const BatchEnvelope = z.strictObject({
  canvases: z
    .array(z.unknown())
    .min(1, 'must hold at least one canvas request')
    .max(MAX_BATCH_CANVASES, `must hold at most ${MAX_BATCH_CANVASES} canvas requests; send the rest in another batch`),
});

/** One item's answer, at its index in the request. */
export interface BatchItem {
  index: number;
  /** What POST /workflows would have answered for this canvas: 201, 200, or the refusal's status. */
  status: number;
  workflowId?: string;
  runId?: string;
  /** 200: the run that already held the id (the same Idempotency-Key again, or an open run's workflowId). */
  existing?: true;
  /** 200: that run's status (RUNNING, COMPLETED…). */
  runStatus?: string;
  debounce?: DebounceSpec;
  links?: RunLinks;
  error?: { status: number; title: string; detail?: string; errors?: Issue[] };
}

export interface BatchAnswer {
  /** 201 every item started a run; 200 every item has its run, some found existing; 207 some item was refused. */
  status: 200 | 201 | 207;
  body: { started: number; existing: number; failed: number; items: BatchItem[] };
}

/** `canvases[3]` + `canvas.chain[1].task` → `canvases[3].canvas.chain[1].task`. */
const itemPath = (index: number, path = '') => `canvases[${index}]${path === '' || path.startsWith('[') ? path : `.${path}`}`;

/**
 * Every item checked as POST /workflows checks its body, plus what only a batch can get
 * wrong: the key's room for `:<index>`, an item's own workflowId or debounce beside the
 * batch's key, and two items naming one id. Nothing is started here.
 */
export async function validateBatch(
  body: unknown,
  caller: StartCaller,
  pythonCatalog: PythonCatalog,
  webhooks: WebhookRules,
  idempotencyKey: string | undefined,
): Promise<Validation<ValidStart[]>> {
  const envelope = parseWith(BatchEnvelope, body);
  if (!envelope.ok) return envelope;
  const { canvases } = envelope.value;
  const issues = new Issues();
  if (idempotencyKey !== undefined) keyIssues(idempotencyKey, canvases.length).forEach((issue) => issues.add(issue.path, issue.message));
  const starts: ValidStart[] = [];
  const holders = new Map<string, number>();
  for (const [index, item] of canvases.entries()) {
    const valid = await validateStart(item, caller, pythonCatalog, webhooks);
    if (!valid.ok) {
      for (const issue of valid.issues) issues.add(itemPath(index, issue.path), issue.message);
      continue;
    }
    const { workflowId, debounce } = valid.value.request;
    if (idempotencyKey !== undefined && workflowId !== undefined) {
      issues.add(itemPath(index, 'workflowId'), `cannot be combined with the batch's Idempotency-Key header: this item's id is ${idempotencyKey}:${index}`);
    } else if (workflowId !== undefined) {
      for (const issue of workflowIdIssues(workflowId, itemPath(index, 'workflowId'))) issues.add(issue.path, issue.message);
      const holder = holders.get(workflowId);
      if (holder !== undefined) issues.add(itemPath(index, 'workflowId'), `is also canvases[${holder}]'s; each item starts its own run`);
      holders.set(workflowId, holder ?? index);
    }
    if (idempotencyKey !== undefined && debounce !== undefined) {
      issues.add(
        itemPath(index, 'debounce'),
        "cannot be combined with the batch's Idempotency-Key header: requests with one debounce key already collapse into one run",
      );
    }
    starts.push(valid.value);
  }
  return issues.ok ? { ok: true, value: starts } : { ok: false, issues: issues.list };
}

/** The batch's key as a workflow id, with room for the last item's `:<index>`. */
function keyIssues(key: string, count: number): Issue[] {
  const path = 'header.Idempotency-Key';
  const own = workflowIdIssues(key, path);
  if (own.length) return own;
  const room = (WorkflowIdSchema.maxLength ?? Infinity) - `:${count - 1}`.length;
  return key.length > room ? [{ path, message: `must be at most ${room} characters in a batch of ${count}: item i's id is <key>:<i>` }] : [];
}

/** Starts each validated item, START_CONCURRENCY at a time; the answer lists them in the request's order. */
export async function startBatch(starter: CanvasStarter, caller: StartCaller, starts: ValidStart[], idempotencyKey: string | undefined): Promise<BatchAnswer> {
  const items = await inParallel(starts, START_CONCURRENCY, async (start, index) => {
    const key = idempotencyKey === undefined ? undefined : `${idempotencyKey}:${index}`;
    try {
      return answered(index, await startCanvasRun(starter, caller, start, key));
    } catch (error) {
      const problem = asProblem(error, index);
      // Inside a 207, so the request's own 5xx count (http_5xx) would not see it.
      if (problem.status >= 500) starter.metrics.errors.inc({ kind: 'batch_item_5xx' });
      return refused(index, key ?? start.request.workflowId, problem);
    }
  });
  const count = (ok: (item: BatchItem) => boolean) => items.filter(ok).length;
  const started = count((item) => item.status === 201);
  const existing = count((item) => item.status === 200);
  const failed = items.length - started - existing;
  const status = failed > 0 ? 207 : existing > 0 ? 200 : 201;
  return { status, body: { started, existing, failed, items } };
}

function answered(index: number, answer: StartAnswer): BatchItem {
  if (answer.status === 201) return { index, status: 201, ...answer.body };
  const { status: runStatus, ...body } = answer.body;
  return { index, status: 200, workflowId: body.workflowId, runId: body.runId, existing: true, runStatus, links: body.links };
}

/** A refusal, with the id the item asked for (its own or its key's): never another tenant's run's details. */
function refused(index: number, workflowId: string | undefined, problem: HttpProblem): BatchItem {
  const { status, title, detail, errors } = problem;
  return { index, status, ...(workflowId === undefined ? {} : { workflowId }), error: { status, title, detail, ...(errors ? { errors } : {}) } };
}

/** As the problem-details middleware would answer the error on POST /workflows; an unexpected one is logged. */
function asProblem(error: unknown, index: number): HttpProblem {
  if (error instanceof HttpProblem) return error;
  if (isTemporalConnectivityError(error)) return temporalUnavailable();
  logger().error({ err: error, index }, 'a batch item failed to start');
  return new HttpProblem(500, 'Internal Server Error', 'The server failed to start this item; the error is in its log.');
}
