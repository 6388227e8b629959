// Runs: the list with status filters and search by id, kind, task and tags (kept in the address).
import { api } from './api.js';
import { duration, empty, h, problemBox, replace, statusPill, time } from './dom.js';

const STATUSES = ['RUNNING', 'COMPLETED', 'FAILED', 'CANCELED', 'TERMINATED', 'TIMED_OUT'];
const SEARCH = [
  ['id', 'Workflow id starts with', 'canvas-…'],
  ['kind', 'Kind', 'canvas'],
  ['task', 'Task', 'add'],
  ['tag', 'Tags (all of)', 'order:42 customer:acme'],
];
const PAGE = 25;
const REFRESH_MS = 5000;

function readQuery() {
  return new URLSearchParams(location.hash.split('?')[1] ?? '');
}

function writeQuery(params) {
  const text = params.toString();
  history.replaceState(null, '', `#/runs${text ? `?${text}` : ''}`);
}

export function renderRuns(view, session) {
  const params = readQuery();
  const canAct = session?.can('write') ?? false;
  /** Workflow ids ticked in the list (the bulk actions' selection). */
  const selected = new Set();
  const rows = h('tbody');
  const more = h('button', { class: 'ghost', hidden: true }, 'Load more');
  const status = h('div', { class: 'segmented', role: 'group', 'aria-label': 'Status' });
  const inputs = {};
  const tasks = h('datalist', { id: 'task-names' });
  let cursor = null;
  let stopped = false;

  const setStatus = (value) => {
    value ? params.set('status', value) : params.delete('status');
    writeQuery(params);
    drawStatus();
    void load();
  };
  const drawStatus = () =>
    replace(
      status,
      [null, ...STATUSES].map((s) =>
        h('button', { type: 'button', class: (params.get('status') ?? null) === s ? 'on' : '', 'aria-pressed': String((params.get('status') ?? null) === s), onclick: () => setStatus(s), dataset: { status: s ?? 'ALL' } }, s ? s.replace('_', ' ').toLowerCase() : 'all'),
      ),
    );
  drawStatus();

  const form = h(
    'form',
    { class: 'filters', onsubmit: (e) => (e.preventDefault(), search()) },
    SEARCH.map(([name, label, placeholder]) =>
      h('label', {}, label, (inputs[name] = h('input', { name, type: 'search', value: params.get(name) ?? '', placeholder, list: name === 'task' ? 'task-names' : undefined, autocomplete: 'off', spellcheck: 'false' }))),
    ),
    h('button', { class: 'primary', type: 'submit' }, 'Search'),
    tasks,
  );

  function search() {
    for (const [name] of SEARCH) {
      const value = inputs[name].value.trim();
      value ? params.set(name, value) : params.delete(name);
    }
    writeQuery(params);
    void load();
  }

  const typedTags = () => (params.get('tag') ?? '').split(/\s+/).filter(Boolean);

  async function load(append = false) {
    const query = new URLSearchParams({ limit: String(PAGE) });
    for (const name of ['status', 'id', 'kind', 'task']) if (params.get(name)) query.set(name, params.get(name));
    // Tags are typed space-separated and sent as repeated ?tag= (runs carrying every one).
    for (const tag of typedTags()) query.append('tag', tag);
    if (append && cursor) query.set('cursor', cursor);
    try {
      const page = await api('GET', `/workflows?${query}`);
      if (stopped) return;
      cursor = page.nextCursor;
      more.hidden = !cursor;
      const built = page.runs.map((run) => runRow(run, canAct ? selection : undefined));
      if (append) rows.append(...built);
      else replace(rows, built.length ? built : h('tr', {}, h('td', { colspan: canAct ? 7 : 6 }, empty('No runs match.'))));
    } catch (error) {
      if (!stopped) replace(rows, h('tr', {}, h('td', { colspan: canAct ? 7 : 6 }, problemBox(error))));
    }
  }
  more.addEventListener('click', () => load(true));

  // Bulk actions (POST /workflows/bulk/:action): on the ticked runs, or on every run the filters match.
  const bulkNote = h('span', { class: 'bulk-note muted small', 'aria-live': 'polite' });
  const selectedCount = h('span', { class: 'bulk-count' }, 'none selected');
  const countSelected = () => (selectedCount.textContent = selected.size ? `${selected.size} selected` : 'none selected');
  const selection = {
    has: (id) => selected.has(id),
    toggle: (id, on) => {
      on ? selected.add(id) : selected.delete(id);
      countSelected();
    },
  };
  /** The list's filters as a bulk filter; a status filter other than the action's is refused by the API with its reason. */
  const matchingFilter = () => {
    const filter = {};
    if (params.get('id')) filter.idPrefix = params.get('id');
    for (const name of ['kind', 'task', 'status']) if (params.get(name)) filter[name] = params.get(name);
    if (typedTags().length) filter.tag = typedTags();
    return filter;
  };
  async function bulk(action, filter, what) {
    try {
      const { matched } = await api('POST', `/workflows/bulk/${action}?dryRun=true`, { filter });
      if (!matched) return void (bulkNote.textContent = `No run to ${action} ${what}.`);
      if (!confirm(`${action === 'cancel' ? 'Cancel' : 'Retry'} ${matched} run${matched === 1 ? '' : 's'} ${what}?`)) return;
      const started = await api('POST', `/workflows/bulk/${action}`, { filter });
      bulkNote.textContent = `${action}: 0 of ${started.matched}…`;
      for (;;) {
        const op = await api('GET', started.links.self);
        bulkNote.textContent = `${action}: ${op.done} done, ${op.failed} failed, ${op.skipped} skipped of ${op.matched}${op.status === 'RUNNING' ? '…' : ` (${op.status.toLowerCase()})`}`;
        bulkNote.dataset.status = op.status;
        if (op.status !== 'RUNNING' || stopped) break;
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
      selected.clear();
      countSelected();
      void load();
    } catch (error) {
      bulkNote.textContent = error.message;
    }
  }
  const bulkBar = canAct
    ? h(
        'div',
        { class: 'bulk-bar' },
        selectedCount,
        h('button', { class: 'ghost', 'data-bulk': 'cancel-selected', onclick: () => selected.size && bulk('cancel', { ids: [...selected] }, 'selected') }, 'Cancel selected'),
        h('button', { class: 'ghost', 'data-bulk': 'retry-selected', onclick: () => selected.size && bulk('retry', { ids: [...selected], status: params.get('status') || undefined }, 'selected') }, 'Retry selected'),
        h('span', { class: 'grow' }),
        h('button', { class: 'ghost', 'data-bulk': 'cancel-matching', title: 'Every running run these filters match', onclick: () => bulk('cancel', matchingFilter(), 'matching these filters') }, 'Cancel all matching…'),
        h('button', { class: 'ghost', 'data-bulk': 'retry-matching', title: 'Every ended run these filters match', onclick: () => bulk('retry', matchingFilter(), 'matching these filters') }, 'Retry all matching…'),
        bulkNote,
      )
    : null;

  replace(
    view,
    h('div', { class: 'page-head' }, h('h1', {}, 'Runs'), h('p', { class: 'lede' }, 'Every workflow run Temporal keeps, newest first. Open one to watch its canvas.')),
    h('div', { class: 'card toolbar' }, status, form, bulkBar),
    h('div', { class: 'card table-card' }, h('table', { class: 'runs' }, h('thead', {}, h('tr', {}, canAct ? h('th', { class: 'pick' }, '') : null, h('th', {}, 'Status'), h('th', {}, 'Workflow id'), h('th', {}, 'Type'), h('th', {}, 'Started'), h('th', {}, 'Took'), h('th', {}, ''))), rows), more),
  );
  void load();
  api('GET', '/tasks').then(({ tasks: list }) => replace(tasks, list.map((t) => h('option', { value: t.name }, t.description ?? ''))), () => undefined);
  // Refresh the first page while nobody has paged further.
  const timer = setInterval(() => !cursor && !stopped && load(), REFRESH_MS);
  return () => {
    stopped = true;
    clearInterval(timer);
  };
}

function runRow(run, selection) {
  const href = `#/runs/${encodeURIComponent(run.workflowId)}`;
  const pick = selection
    ? h(
        'td',
        { class: 'pick' },
        h('input', { type: 'checkbox', 'aria-label': `select ${run.workflowId}`, checked: selection.has(run.workflowId), onchange: (e) => selection.toggle(run.workflowId, e.currentTarget.checked) }),
      )
    : null;
  return h(
    'tr',
    { class: `st-${run.status.toLowerCase()}`, dataset: { workflowId: run.workflowId } },
    pick,
    h('td', {}, statusPill(run.status)),
    h('td', { class: 'id' }, h('a', { href }, run.workflowId), (run.tags ?? []).map((tag) => h('span', { class: 'tag run-tag', dataset: { tag } }, tag))),
    h('td', {}, h('span', { class: 'tag' }, run.type)),
    h('td', {}, time(run.startTime)),
    h('td', { class: 'num' }, duration(run.startTime, run.closeTime)),
    h('td', { class: 'actions' }, h('a', { href: run.links.ui, target: '_blank', rel: 'noopener', class: 'ext', title: 'Open in the Temporal Web UI' }, 'Temporal ↗')),
  );
}
