/**
 * The zod schemas of the canvas language. The validator checks each node against the
 * schema of its kind; OpenAPI is generated from the same schemas.
 */
import { z } from 'zod';
import { ACTIVITY_POOL_NAMES } from '../workflows/tasks/pools';
import { MAX_DURATION, parseDuration } from '../workflows/language/duration';
import { LIMITS } from '../workflows/language/limits';
import { EVENT_NAME_PATTERN } from '../workflows/language/events';
import { RUN_OUTCOMES } from '../workflows/language/notify';
import { WEBHOOK_URL_MAX_LENGTH } from '../webhooks/url-policy';
import type {
  CanvasRequest,
  ChainNode,
  ConcurrencySpec,
  DebounceSpec,
  Priority,
  ChordNode,
  ChunksNode,
  ChunksSpec,
  GroupNode,
  MapNode,
  MapSpec,
  NotifySpec,
  RetryOptions,
  StepOptions,
  TaskNode,
  WaitNode,
  WaitSpec,
} from '../workflows/language/types';

const DURATION_MESSAGE = `must be a duration like "500ms", "30s", "5m", "1h" or integer milliseconds, at most "${MAX_DURATION}"`;

/** One message for every way a duration can be wrong (a union would report one per branch). */
export const DurationSchema = z
  .union([z.string(), z.number()], { error: DURATION_MESSAGE })
  .refine((v) => parseDuration(v) !== undefined, { message: DURATION_MESSAGE })
  .meta({ id: 'Duration', example: '30s', description: `A string like "500ms", "30s", "5m", "1h", "1d", or integer milliseconds; at most "${MAX_DURATION}".` });

export const RetrySchema = z
  .strictObject({
    maxAttempts: z.number().int().min(1).max(1000).optional(),
    initialInterval: DurationSchema.optional(),
    backoffCoefficient: z.number().min(1).max(100).optional(),
    maxInterval: DurationSchema.optional(),
    nonRetryable: z.array(z.string().min(1).max(200)).max(50).optional(),
  })
  .refine((r) => !(r.initialInterval !== undefined && r.maxInterval !== undefined && parseDuration(r.maxInterval)! < parseDuration(r.initialInterval)!), {
    message: 'maxInterval must not be shorter than initialInterval',
    path: ['maxInterval'],
  })
  .meta({ id: 'Retry' });

export const StepOptionsSchema = z
  .strictObject({
    queue: z
      .string()
      .refine((q) => (ACTIVITY_POOL_NAMES as string[]).includes(q), { message: `must be one of the pools: ${ACTIVITY_POOL_NAMES.join(', ')}` })
      .optional(),
    retry: RetrySchema.optional(),
    startToCloseTimeout: DurationSchema.optional(),
    scheduleToCloseTimeout: DurationSchema.optional(),
    heartbeatTimeout: DurationSchema.optional(),
    delay: DurationSchema.optional(),
    local: z
      .boolean()
      .meta({ description: "Run as a local activity inside the orchestrator pool (true), or on the task's pool (false). Light tasks default to true." })
      .optional(),
  })
  .meta({ id: 'StepOptions' });

const JsonSchema = z.json();
const NodeId = z.string().min(1).max(100);
const Concurrency = z.number().int().min(1).max(LIMITS.maxConcurrency);
const BatchSize = z.number().int().min(1).max(LIMITS.maxBatchSize);

/** A node of any kind, for the OpenAPI document (validation walks nodes one by one). */
export const CanvasNodeSchema: z.ZodType = z
  .lazy(() => z.union([TaskNodeSchema, ChainNodeSchema, GroupNodeSchema, ChordNodeSchema, MapNodeSchema, ChunksNodeSchema, WaitNodeSchema]))
  .meta({ id: 'CanvasNode' });

const Members = z.array(CanvasNodeSchema).min(1);

export const TaskNodeSchema = z
  .strictObject({
    task: z.string().min(1),
    args: z.array(JsonSchema).optional(),
    kwargs: z.record(z.string(), JsonSchema).optional(),
    immutable: z.boolean().optional(),
    id: NodeId.optional(),
    options: StepOptionsSchema.optional(),
  })
  .meta({ id: 'TaskNode', description: 'One task (a Celery signature).' });

export const ChainNodeSchema = z
  .strictObject({ chain: Members, id: NodeId.optional(), options: StepOptionsSchema.optional() })
  .meta({ id: 'ChainNode', description: "Runs nodes in order; each result is prepended to the next node's args." });

export const GroupNodeSchema = z
  .strictObject({
    group: Members,
    maxConcurrency: Concurrency.optional(),
    settle: z.boolean().optional(),
    id: NodeId.optional(),
    options: StepOptionsSchema.optional(),
  })
  .meta({ id: 'GroupNode', description: 'Runs nodes in parallel; the result is their results in order.' });

export const ChordNodeSchema = z
  .strictObject({
    chord: z.strictObject({ header: Members, body: CanvasNodeSchema, maxConcurrency: Concurrency.optional(), settle: z.boolean().optional() }),
    id: NodeId.optional(),
    options: StepOptionsSchema.optional(),
  })
  .meta({ id: 'ChordNode', description: "A group (header) whose array of results is the body's first argument." });

export const MapNodeSchema = z
  .strictObject({
    map: z.strictObject({
      task: z.string().min(1),
      items: z.array(JsonSchema).max(LIMITS.maxBatchedItems).optional(),
      spread: z.boolean().optional(),
      args: z.array(JsonSchema).optional(),
      kwargs: z.record(z.string(), JsonSchema).optional(),
      maxConcurrency: Concurrency.optional(),
      settle: z.boolean().optional(),
      options: StepOptionsSchema.optional(),
      batchSize: BatchSize.meta({ description: 'Items per activity; the result is still one flat list.' }).optional(),
    }),
    id: NodeId.optional(),
    options: StepOptionsSchema.optional(),
  })
  .meta({ id: 'MapNode', description: "One task per item, from `items` or from the node's input." });

export const ChunksNodeSchema = z
  .strictObject({
    chunks: z.strictObject({
      task: z.string().min(1),
      items: z.array(z.array(JsonSchema)).min(1).max(LIMITS.maxBatchedItems),
      size: BatchSize,
      args: z.array(JsonSchema).optional(),
      kwargs: z.record(z.string(), JsonSchema).optional(),
      maxConcurrency: Concurrency.optional(),
      options: StepOptionsSchema.optional(),
    }),
    id: NodeId.optional(),
    options: StepOptionsSchema.optional(),
  })
  .meta({
    id: 'ChunksNode',
    description:
      "Celery's chunks: items (lists of arguments) split into chunks of `size`, one activity per chunk; the result is a list of per-chunk result lists.",
  });

export const EventNameSchema = z
  .string()
  .regex(EVENT_NAME_PATTERN, { message: 'must be 1 to 100 letters, digits, . _ : or -' })
  .meta({ id: 'EventName', example: 'approved' });

/** The body of POST /workflows/{id}/events/{name}. */
export const EventBodySchema = z
  .strictObject({ payload: JsonSchema.meta({ description: 'Any JSON: the result of the wait node that takes the event. Absent: null.' }).optional() })
  .meta({ id: 'EventBody' });

export const WaitNodeSchema = z
  .strictObject({
    wait: z.strictObject({
      event: EventNameSchema,
      timeout: DurationSchema,
      default: JsonSchema.meta({ description: 'The result when no event arrives in time; without it the node fails with EventTimeoutError.' }).optional(),
    }),
    id: NodeId.optional(),
    options: StepOptionsSchema.optional(),
  })
  .meta({
    id: 'WaitNode',
    description:
      "Waits for an event sent with POST /workflows/{id}/events/{name}; the event's payload is the result. An event that arrived earlier is used at once.",
  });

export const WorkflowIdSchema = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[A-Za-z0-9._:@/=-]+$/, { message: 'may contain letters, digits and . _ : @ / = - only' });

/** Concurrency and debounce keys become part of a workflow id (`concurrency-<key>`). */
export const FlowKeySchema = z
  .string()
  .min(1)
  .max(100)
  .regex(/^[A-Za-z0-9._:@=-]+$/, { message: 'may contain letters, digits and . _ : @ = - only' });

export const ConcurrencySchema = z
  .strictObject({
    key: FlowKeySchema,
    limit: z.number().int().min(1).max(LIMITS.maxConcurrency),
  })
  .meta({
    id: 'Concurrency',
    description:
      'At most `limit` runs with this key run their canvas at once, across the system; the others wait in arrival order (their state shows `queue`). Hatchet concurrency keys, Inngest `concurrency`.',
  });

/** Short enough that a debounced caller still gets its run in reasonable time. */
const MAX_DEBOUNCE_MS = 24 * 3_600_000;

export const DebounceSchema = z
  .strictObject({
    key: FlowKeySchema,
    period: DurationSchema.refine((v) => (parseDuration(v) ?? 0) >= 100 && (parseDuration(v) ?? 0) <= MAX_DEBOUNCE_MS, {
      message: 'must be from 100ms to 24h',
    }),
  })
  .meta({
    id: 'Debounce',
    description:
      "Requests with this key within `period` collapse into one run (workflow id `debounce-<key>`), started once the key has been quiet for `period`, with the last request's canvas. Inngest `debounce`.",
  });

export const PrioritySchema = z
  .union([z.literal(1), z.literal(2), z.literal(3), z.literal(4), z.literal(5)], { error: 'must be an integer from 1 (first) to 5 (last)' })
  .meta({
    id: 'Priority',
    description: "The run's tasks' priority in the task queues: 1 first, 5 last, 3 when not given (Temporal task priority, server 1.29+).",
  });

/** A run's labels: few and short, since each is a keyword of the OrchestraTags search attribute. */
export const RUN_TAGS = { max: 10, maxLength: 64 } as const;
/** A run's metadata is a memo field, shown with the run: a few KB at most. */
export const RUN_METADATA_MAX_BYTES = 4096;

// Letters, digits and `_ . : / @ = + -`: safe inside a visibility query's quotes, readable in a URL.
export const TagSchema = z
  .string()
  .min(1, 'must not be empty')
  .max(RUN_TAGS.maxLength, `must be at most ${RUN_TAGS.maxLength} characters`)
  .regex(/^[A-Za-z0-9_.:/@=+-]+$/, 'may hold letters, digits and _ . : / @ = + - only')
  .meta({ id: 'Tag', description: 'A label of the run, e.g. `customer:acme` or `order:42`.' });

export const TagsSchema = z
  .array(TagSchema)
  .max(RUN_TAGS.max, `must hold at most ${RUN_TAGS.max} tags`)
  .refine((tags) => new Set(tags).size === tags.length, { message: 'must not repeat a tag' })
  .meta({
    description: `Up to ${RUN_TAGS.max} labels (the OrchestraTags search attribute): GET /workflows?tag= filters on them, as do the Temporal UI and CLI.`,
  });

export const RunMetadataSchema = z
  .record(z.string(), JsonSchema)
  .refine((value) => Buffer.byteLength(JSON.stringify(value)) <= RUN_METADATA_MAX_BYTES, {
    message: `must be at most ${RUN_METADATA_MAX_BYTES} bytes of JSON`,
  })
  .meta({ description: `A JSON object of the caller's own (at most ${RUN_METADATA_MAX_BYTES} bytes), kept with the run and shown with it.` });

/** A per-request signing secret: long enough to resist guessing, short enough for a header tool to paste. */
export const WEBHOOK_SECRET_LENGTH = { min: 16, max: 256 } as const;

export const NotifySchema = z
  .strictObject({
    url: z.string().max(WEBHOOK_URL_MAX_LENGTH, `must be at most ${WEBHOOK_URL_MAX_LENGTH} characters`).meta({
      description: "Where the run's end is POSTed: http or https, a public host or one in WEBHOOK_ALLOWED_HOSTS.",
    }),
    on: z
      .array(z.enum(RUN_OUTCOMES))
      .min(1, 'must name at least one state')
      .refine((on) => new Set(on).size === on.length, { message: 'must not repeat a state' })
      .optional()
      .meta({ description: 'The terminal states to send; all three when absent.' }),
    secret: z
      .string()
      .min(WEBHOOK_SECRET_LENGTH.min, `must be at least ${WEBHOOK_SECRET_LENGTH.min} characters`)
      .max(WEBHOOK_SECRET_LENGTH.max, `must be at most ${WEBHOOK_SECRET_LENGTH.max} characters`)
      .optional()
      .meta({
        description:
          "Signs each POST (HMAC-SHA256, the Orchestra-Signature header). Absent: the starting key's signing secret (GET /webhooks/signing-secret). Kept in the run's input: encrypt payloads (ORCHESTRA_ENCRYPTION_KEYS) to keep it out of Temporal's history in clear.",
      }),
  })
  .meta({
    id: 'Notify',
    description: "POST the run's end (completed, failed or canceled) to a URL once, signed, with an Idempotency-Key header; retried with backoff.",
  });

export const CanvasRequestSchema = z
  .strictObject({
    canvas: CanvasNodeSchema,
    defaults: StepOptionsSchema.optional(),
    workflowId: WorkflowIdSchema.optional(),
    exclusive: z.boolean().optional(),
    timeout: DurationSchema.optional(),
    onError: TaskNodeSchema.extend({ onCancel: z.boolean().optional() }).optional(),
    concurrency: ConcurrencySchema.optional(),
    debounce: DebounceSchema.optional(),
    priority: PrioritySchema.optional(),
    tags: TagsSchema.optional(),
    metadata: RunMetadataSchema.optional(),
    notify: NotifySchema.optional(),
  })
  .meta({ id: 'CanvasRequest' });

// ---- one description: the plain types of ./types.ts must match these schemas ------------
// (the workflow bundle reads the types and cannot import zod). A field added to one side
// only is a compile error here.

/** True when A and B have the same keys and each is assignable to the other. */
type Same<A, B> = [keyof A, A] extends [keyof B, B] ? ([keyof B, B] extends [keyof A, A] ? true : false) : false;
type SameKeys<A, B> = [keyof A] extends [keyof B] ? ([keyof B] extends [keyof A] ? true : false) : false;
function assertTrue<_T extends true>(): void {}

assertTrue<Same<z.infer<typeof RetrySchema>, RetryOptions>>();
assertTrue<Same<z.infer<typeof StepOptionsSchema>, StepOptions>>();
// Nodes hold Json (zod's JSON type is wider) and nested nodes (CanvasNodeSchema is lazy): keys.
assertTrue<SameKeys<z.infer<typeof TaskNodeSchema>, TaskNode>>();
assertTrue<SameKeys<z.infer<typeof ChainNodeSchema>, ChainNode>>();
assertTrue<SameKeys<z.infer<typeof GroupNodeSchema>, GroupNode>>();
assertTrue<SameKeys<z.infer<typeof ChordNodeSchema>, ChordNode>>();
assertTrue<SameKeys<z.infer<typeof ChordNodeSchema>['chord'], ChordNode['chord']>>();
assertTrue<SameKeys<z.infer<typeof MapNodeSchema>, MapNode>>();
assertTrue<SameKeys<z.infer<typeof MapNodeSchema>['map'], MapSpec>>();
assertTrue<SameKeys<z.infer<typeof ChunksNodeSchema>, ChunksNode>>();
assertTrue<SameKeys<z.infer<typeof ChunksNodeSchema>['chunks'], ChunksSpec>>();
assertTrue<SameKeys<z.infer<typeof WaitNodeSchema>, WaitNode>>();
assertTrue<SameKeys<z.infer<typeof WaitNodeSchema>['wait'], WaitSpec>>();
assertTrue<SameKeys<z.infer<typeof CanvasRequestSchema>, CanvasRequest>>();
assertTrue<Same<z.infer<typeof ConcurrencySchema>, ConcurrencySpec>>();
assertTrue<Same<z.infer<typeof DebounceSchema>, DebounceSpec>>();
assertTrue<Same<z.infer<typeof PrioritySchema>, Priority>>();
assertTrue<Same<z.infer<typeof NotifySchema>, NotifySpec>>();

/** The request envelope's fields, from the schema: the validator names any other key. */
export const CANVAS_REQUEST_FIELDS: ReadonlySet<string> = new Set(Object.keys(CanvasRequestSchema.shape));
