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
 * paths the person folded, kept by the caller across live updates. `sendEvent(name,
 * payload)`, given to keys that may send events, puts a send button on each waiting node.
 */
export function renderTree(root, { failingPath, collapsed, sendEvent }) {
  return h('ul', { class: 'tree' }, renderNode(root, failingPath, collapsed, sendEvent));
}

function renderNode(node, failingPath, collapsed, sendEvent) {
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
    node.waitingFor ? waiting(node, sendEvent) : null,
    node.receivedFrom
      ? h('div', { class: 'note received' }, `“${node.event}” sent by ${node.receivedFrom.by}${node.receivedFrom.at ? ` at ${new Date(node.receivedFrom.at).toLocaleString()}` : ''}: `, preview(node.result ?? null))
      : null,
    children.length && !folded
      ? h(
          'ul',
          {},
          children.slice(0, MAX_CHILDREN_SHOWN).map((c) => renderNode(c, failingPath, collapsed, sendEvent)),
          children.length > MAX_CHILDREN_SHOWN ? h('li', { class: 'muted more' }, `… ${children.length - MAX_CHILDREN_SHOWN} more`) : null,
        )
      : null,
  );
}

/** A waiting node: the event it waits for, until when, and (for keys that may) a form that sends it. */
function waiting(node, sendEvent) {
  const { event, until } = node.waitingFor;
  const note = h('div', { class: 'note' }, `waits for event “${event}” until ${new Date(until).toLocaleString()}`);
  if (!sendEvent) return note;
  const payload = h('textarea', { class: 'event-payload', rows: 2, placeholder: 'payload (JSON, optional)', spellcheck: 'false', 'aria-label': `payload of ${event}` });
  const message = h('span', { class: 'event-message muted small' });
  const send = async (e) => {
    e.preventDefault();
    let value = null;
    try {
      value = payload.value.trim() ? JSON.parse(payload.value) : null;
    } catch (error) {
      message.textContent = `The payload is not JSON: ${error.message}`;
      return;
    }
    if (!confirm(`Send “${event}” to this run${value === null ? '' : ' with this payload'}? The waiting step takes it and the run goes on.`)) return;
    message.textContent = 'Sending…';
    try {
      await sendEvent(event, value);
      message.textContent = 'Sent.';
    } catch (error) {
      message.textContent = error.message || 'Not sent.';
    }
  };
  return h('form', { class: 'approval', dataset: { event }, onsubmit: send }, note, payload, h('button', { class: 'primary', type: 'submit', 'data-action': 'send-event' }, `Send “${event}”`), message);
}

function preview(value) {
  const text = JSON.stringify(value);
  return h('code', {}, text.length > 120 ? `${text.slice(0, 117)}…` : text);
}
