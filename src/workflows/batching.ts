/**
 * The shapes of batched and delegated fan-outs for the interpreter: `chunks` nodes and maps
 * with `batchSize` as one Batching, and how many count units (items) a range of a fan-out's
 * members stands for. Pure, workflow-safe.
 */
import type { CanvasNode, ChunksSpec, Json, MapSpec, StepOptions } from './language/types';

/** A batched fan-out: a map with `batchSize` (one flat list) or a `chunks` node (a list per chunk). */
export interface Batching {
  task: string;
  items: Json[];
  size: number;
  spread: boolean;
  args?: Json[];
  kwargs?: Record<string, Json>;
  options?: StepOptions;
  maxConcurrency?: number;
  shape: 'flat' | 'chunks';
  /** The same node with only some of its items, for a child workflow. */
  slice(items: Json[]): CanvasNode;
}

/** How many count units (items) members [from, to) of a fan-out stand for, and the first one's index. */
export interface FanOutUnits {
  count(from: number, to: number): number;
  first(from: number): number;
}

export const ONE_PER_MEMBER: FanOutUnits = { count: (from, to) => to - from, first: (from) => from };

export function chunksBatching(spec: ChunksSpec): Batching {
  const { items, size, ...rest } = spec;
  return { ...rest, items, size, spread: true, shape: 'chunks', slice: (part) => ({ chunks: { ...spec, items: part as Json[][] } }) };
}

export function mapBatching(spec: MapSpec, items: Json[]): Batching {
  const { task, args, kwargs, options, maxConcurrency } = spec;
  return {
    task,
    args,
    kwargs,
    options,
    maxConcurrency,
    items,
    size: spec.batchSize!,
    spread: spec.spread ?? false,
    shape: 'flat',
    slice: (part) => ({ map: { ...spec, items: part } }),
  };
}
