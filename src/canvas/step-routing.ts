/**
 * Where each step may run, checked with JSON paths on a structurally valid request:
 * - Pools are not a caller's to choose: a `queue` naming a pool other than the task's own
 *   needs admin reach (development mode has it), so one team cannot route long tasks onto
 *   the ml or media pool and starve the application.
 * - Steps of a rate-limited task (catalog maxPerSecond) run one item per activity on the
 *   task's own queue in its home pool, where the server limits the rate. So a `queue` naming
 *   another pool, and batches (`chunks`, map `batchSize`: many items in one activity, which
 *   the limit would count once) are refused.
 */
import type { TaskSpec, TaskVisibility } from '../workflows/tasks/catalog';
import type { Issues } from '../validation/issues';
import type { CanvasNode, CanvasRequest, StepOptions } from '../workflows/language/types';

/** The innermost `queue` set on the way down to a node, and where it was set. */
type QueueAt = { queue: string; path: string } | undefined;

function queueWith(outer: QueueAt, options: StepOptions | undefined, optionsPath: string): QueueAt {
  return options?.queue === undefined ? outer : { queue: options.queue, path: `${optionsPath}.queue` };
}

export function checkStepRouting(issues: Issues, request: CanvasRequest, reach: TaskVisibility, lookup: (name: string) => TaskSpec | undefined): void {
  const check = (task: string, at: QueueAt, nodePath: string, batched: string | undefined): void => {
    const spec = lookup(task);
    if (!spec) return;
    if (reach !== 'internal' && at && at.queue !== spec.pool) {
      const own = at.path.startsWith(`${nodePath}.`);
      const message = `${task} runs on the ${spec.pool} pool; routing it to another pool needs an admin key`;
      issues.add(own ? at.path : nodePath, own ? `cannot be "${at.queue}": ${message}` : `cannot run on "${at.queue}" (set at ${at.path}): ${message}`);
      return;
    }
    if (spec.maxPerSecond === undefined) return;
    if (at && at.queue !== spec.pool) {
      const own = at.path.startsWith(`${nodePath}.`);
      const message = `${task} is rate-limited on the ${spec.pool} pool (maxPerSecond) and runs there only`;
      issues.add(own ? at.path : nodePath, own ? `cannot be "${at.queue}": ${message}` : `cannot run on "${at.queue}" (set at ${at.path}): ${message}`);
    }
    if (batched) issues.add(batched, `cannot batch ${task}: it is rate-limited (maxPerSecond), and the limit counts activities, one per item`);
  };
  const visit = (node: CanvasNode, path: string, outer: QueueAt): void => {
    const at = queueWith(outer, node.options, `${path}.options`);
    if ('task' in node) return check(node.task, at, path, undefined);
    if ('map' in node) {
      return check(
        node.map.task,
        queueWith(at, node.map.options, `${path}.map.options`),
        path,
        node.map.batchSize === undefined ? undefined : `${path}.map.batchSize`,
      );
    }
    if ('chunks' in node) return check(node.chunks.task, queueWith(at, node.chunks.options, `${path}.chunks.options`), path, `${path}.chunks`);
    if ('chain' in node) return node.chain.forEach((child, i) => visit(child, `${path}.chain[${i}]`, at));
    if ('group' in node) return node.group.forEach((child, i) => visit(child, `${path}.group[${i}]`, at));
    if ('wait' in node) return; // runs no task
    node.chord.header.forEach((child, i) => visit(child, `${path}.chord.header[${i}]`, at));
    visit(node.chord.body, `${path}.chord.body`, at);
  };
  const base = queueWith(undefined, request.defaults, 'defaults');
  visit(request.canvas, 'canvas', base);
  if (request.onError) visit(request.onError, 'onError', base);
}
