// A canvas's live state (GET /workflows/:id's `state`) as a tree: status, progress, errors.
import { duration, h, progressBar, statusClass, statusPill } from './dom.js';

const MAX_CHILDREN_SHOWN = 200;

/** The fraction done of a node, or undefined when it cannot be counted (a running task without a heartbeat). */
export function nodeProgress(node) {
  if (node.status === 'completed') return 1;
  if (node.counts && node.counts.total > 0) return (node.counts.completed + node.counts.failed) / node.counts.total;
  if (node.children?.length) return node.children.reduce((sum, c) => sum + (nodeProgress(c) ?? 0), 0) / node.children.length;
  if (node.status === 'running') return typeof node.heartbeat?.progress === 'number' ? node.heartbeat.progress : undefined;
  return 0;
}

function label(node) {
  if (node.kind === 'task' || node.kind === 'map' || node.kind === 'chunks') return node.task ?? node.id ?? node.kind;
  return node.id ?? '';
}

/**
 * Renders `root`; `failingPath` marks the node the run failed at; `collapsed` is a Set of
 * paths the person folded, kept by the caller across live updates.
 */
export function renderTree(root, { failingPath, collapsed }) {
  return h('ul', { class: 'tree' }, renderNode(root, failingPath, collapsed));
}

function renderNode(node, failingPath, collapsed) {
  const children = node.children ?? [];
  const folded = collapsed.has(node.path);
  const fraction = nodeProgress(node);
  const counted = node.counts ? `${node.counts.completed}/${node.counts.total}${node.counts.failed ? `, ${node.counts.failed} failed` : ''}` : children.length ? `${children.filter((c) => c.status === 'completed').length}/${children.length}` : null;
  const toggle = children.length
    ? h('button', { class: 'fold', 'aria-expanded': String(!folded), title: folded ? 'Expand' : 'Collapse', onclick: (e) => (folded ? collapsed.delete(node.path) : collapsed.add(node.path), e.currentTarget.dispatchEvent(new CustomEvent('fold', { bubbles: true }))) }, folded ? '▸' : '▾')
    : h('span', { class: 'fold-space' });
  const failing = failingPath !== undefined && failingPath === node.path;
  return h(
    'li',
    { class: `node st-${statusClass(node.status)}${failing ? ' failing' : ''}`, dataset: { path: node.path, status: node.status } },
    h(
      'div',
      { class: 'node-row' },
      toggle,
      h('span', { class: `kind k-${node.kind}` }, node.kind),
      h('span', { class: 'label' }, label(node), node.id && node.task && node.kind === 'task' ? h('small', {}, ` #${node.id}`) : null),
      h('code', { class: 'path', title: 'JSON path in the request' }, node.path),
      h('span', { class: 'grow' }),
      node.attempt > 1 ? h('span', { class: 'tag warn', title: 'Temporal retries this task' }, `attempt ${node.attempt}`) : null,
      counted ? h('span', { class: 'count' }, counted) : null,
      progressBar(fraction, node.status, fraction === undefined ? 'running' : `${Math.round(fraction * 100)}%`),
      statusPill(node.status),
      h('span', { class: 'took' }, node.startedAt ? duration(node.startedAt, node.endedAt) : ''),
    ),
    node.heartbeat?.message ? h('div', { class: 'note' }, node.heartbeat.message) : null,
    // A Python task's update_state(state, meta): the meta as the task reported it.
    node.heartbeat?.meta !== undefined && node.status === 'running' ? h('div', { class: 'note', title: 'update_state meta' }, preview(node.heartbeat.meta)) : null,
    node.lastError && node.status === 'running' ? h('div', { class: 'note warn' }, `retrying after ${node.lastError.type}: ${node.lastError.message}`) : null,
    node.error ? h('div', { class: 'node-error' }, h('strong', {}, node.error.type), ' ', node.error.message) : null,
    node.kind === 'task' && node.status === 'completed' && node.result !== undefined ? h('div', { class: 'node-result', title: 'result' }, '→ ', preview(node.result)) : null,
    children.length && !folded
      ? h(
          'ul',
          {},
          children.slice(0, MAX_CHILDREN_SHOWN).map((c) => renderNode(c, failingPath, collapsed)),
          children.length > MAX_CHILDREN_SHOWN ? h('li', { class: 'muted more' }, `… ${children.length - MAX_CHILDREN_SHOWN} more`) : null,
        )
      : null,
  );
}

function preview(value) {
  const text = JSON.stringify(value);
  return h('code', {}, text.length > 120 ? `${text.slice(0, 117)}…` : text);
}
