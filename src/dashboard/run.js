// One run: its canvas tree live from the SSE stream, the failure, the result, and actions.
import { api, stream } from './api.js';
import { duration, h, jsonBlock, problemBox, progressBar, replace, statusPill, time } from './dom.js';
import { renderTree } from './tree.js';

export function renderRun(view, session, workflowId) {
  const controller = new AbortController();
  const collapsed = new Set();
  const head = h('div', { class: 'page-head' }, h('p', { class: 'crumbs' }, h('a', { href: '#/runs' }, '← Runs')), h('h1', { class: 'run-id' }, workflowId));
  const summary = h('div', { class: 'card run-summary' }, h('div', { class: 'empty' }, 'Loading…'));
  const body = h('div', { class: 'run-body' });
  const notice = h('div');
  replace(view, head, notice, summary, body);
  let latest = null;

  const draw = (run) => {
    latest = run;
    replace(summary, summaryOf(run, session, act));
    const parts = [];
    if (run.failure) parts.push(failureCard(run.failure));
    if (run.state) {
      const sendEvent =
        session.can('write') && run.status === 'RUNNING' ? (name, payload) => api('POST', `/workflows/${encodeURIComponent(workflowId)}/events/${encodeURIComponent(name)}`, { payload }) : undefined;
      const tree = renderTree(run.state, { failingPath: run.failure?.node?.path, collapsed, sendEvent });
      tree.addEventListener('fold', () => draw(latest));
      parts.push(h('section', { class: 'card' }, h('h2', {}, 'Canvas'), tree));
    } else {
      parts.push(h('section', { class: 'card' }, h('h2', {}, 'Canvas'), h('p', { class: 'muted' }, run.status === 'RUNNING' ? 'Waiting for the workflow to report its state…' : 'This workflow does not report a canvas state.')));
    }
    if (run.status === 'COMPLETED') parts.push(h('section', { class: 'card result' }, h('h2', {}, 'Result'), jsonBlock(run.result)));
    replace(body, parts);
  };

  async function act(action, label) {
    const reason = action === 'terminate' ? prompt(`Terminate ${workflowId}? Nothing in it runs on, no cleanup happens. Reason:`, 'terminated from the dashboard') : confirm(`${label} ${workflowId}?`) ? '' : null;
    if (reason === null) return;
    try {
      await api('POST', `/workflows/${encodeURIComponent(workflowId)}/${action}`, action === 'terminate' ? { reason } : {});
      replace(notice, h('div', { class: 'flash' }, `${label} requested.`));
      if (latest?.status !== 'RUNNING') return;
    } catch (error) {
      replace(notice, problemBox(error));
    }
  }

  const follow = async () => {
    try {
      await stream(`/workflows/${encodeURIComponent(workflowId)}/events`, (event, data) => event === 'state' && draw(data), controller.signal);
    } catch (error) {
      if (controller.signal.aborted) return;
      replace(summary, problemBox(error));
      return;
    }
    // The stream ends when the run closes; a run that is still open lost its stream: follow again.
    if (!controller.signal.aborted && latest?.status === 'RUNNING') setTimeout(follow, 1000);
  };
  void follow();
  return () => controller.abort();
}

function summaryOf(run, session, act) {
  const progress = run.progress;
  const fraction = progress && progress.known > 0 ? progress.completed / progress.known : run.status === 'COMPLETED' ? 1 : undefined;
  const running = run.status === 'RUNNING';
  const cancel = session.can('write')
    ? h('button', { class: 'ghost', disabled: !running, 'data-action': 'cancel', title: running ? 'Ask the run to cancel: running tasks are cancelled, cleanup runs' : 'The run has ended', onclick: () => act('cancel', 'Cancel') }, 'Cancel')
    : null;
  const terminate = session.can('admin')
    ? h('button', { class: 'danger', disabled: !running, 'data-action': 'terminate', title: running ? 'End the run at once (admin)' : 'The run has ended', onclick: () => act('terminate', 'Terminate') }, 'Terminate')
    : null;
  return [
    h(
      'div',
      { class: 'summary-top' },
      statusPill(run.status),
      h('span', { class: 'tag' }, run.type),
      h('span', { class: 'grow' }),
      h('a', { class: 'button ghost', href: run.links.ui, target: '_blank', rel: 'noopener', 'data-link': 'temporal' }, 'Open in Temporal ↗'),
      cancel,
      terminate,
    ),
    h(
      'dl',
      { class: 'facts' },
      h('div', {}, h('dt', {}, 'Started'), h('dd', {}, time(run.startTime))),
      h('div', {}, h('dt', {}, running ? 'Running for' : 'Took'), h('dd', {}, duration(run.startTime, run.closeTime))),
      h('div', {}, h('dt', {}, 'Steps'), h('dd', {}, progress ? `${progress.completed} of ${progress.known}` : '—')),
      h('div', {}, h('dt', {}, 'Run id'), h('dd', {}, h('code', {}, run.runId))),
      run.tags?.length
        ? h(
            'div',
            {},
            h('dt', {}, 'Tags'),
            h(
              'dd',
              { class: 'run-tags' },
              run.tags.map((tag) => h('a', { class: 'tag run-tag', href: `#/runs?tag=${encodeURIComponent(tag)}` }, tag)),
            ),
          )
        : null,
      run.state?.notification ? notificationFact(run.state.notification) : null,
    ),
    run.metadata ? h('details', { class: 'metadata' }, h('summary', {}, 'Metadata'), jsonBlock(run.metadata)) : null,
    progressBar(fraction, run.status, fraction === undefined ? run.status : `${Math.round(fraction * 100)}%`),
    !session.can('write') ? h('p', { class: 'muted small' }, 'This key reads only: cancelling needs write, terminating admin.') : null,
  ];
}

/** The run's completion webhook: where it goes and how its delivery went. */
function notificationFact(notification) {
  const outcome =
    notification.status === 'delivered'
      ? `delivered (${notification.responseStatus}, attempt ${notification.attempts})`
      : notification.status === 'failed'
        ? `failed: ${notification.error ?? ''}`
        : 'delivering…';
  return h('div', { 'data-fact': 'webhook' }, h('dt', {}, 'Webhook'), h('dd', { title: notification.url }, `${notification.event} ${outcome}`));
}

function failureCard(failure) {
  return h(
    'section',
    { class: 'card failure', role: 'alert' },
    h('h2', {}, 'Failed', failure.node?.path ? [' at ', h('code', {}, failure.node.path)] : null, failure.node?.task ? [' (', failure.node.task, ')'] : null),
    h('p', {}, h('strong', {}, failure.type), ' ', failure.message),
  );
}
