// Pools: each pool's task queue as Temporal describes it, refreshed every few seconds.
import { api } from './api.js';
import { h, number, problemBox, relTime, replace } from './dom.js';

const REFRESH_MS = 5000;

export function renderPools(view) {
  const grid = h('div', { class: 'pool-grid' }, h('div', { class: 'empty' }, 'Loading pools…'));
  const stamp = h('span', { class: 'muted' });
  replace(view, h('div', { class: 'page-head' }, h('h1', {}, 'Pools'), h('p', { class: 'lede' }, 'Worker pools, the task queue each polls, and what Temporal reports about it. ', stamp)), grid);
  let stopped = false;
  const load = async () => {
    try {
      const { pools } = await api('GET', '/pools');
      if (stopped) return;
      replace(grid, pools.map(poolCard));
      stamp.textContent = `Updated ${new Date().toLocaleTimeString()}.`;
    } catch (error) {
      if (!stopped) replace(grid, problemBox(error));
    }
  };
  void load();
  const timer = setInterval(load, REFRESH_MS);
  return () => {
    stopped = true;
    clearInterval(timer);
  };
}

function poolCard(pool) {
  // The queue type this pool exists for; the other is shown only when something polls it.
  const main = pool.runs === 'workflows' ? ['workflow', pool.workflow] : ['activity', pool.activity];
  const other = pool.runs === 'workflows' ? ['activity', pool.activity] : ['workflow', pool.workflow];
  const pollers = dedupe([...main[1].pollers, ...other[1].pollers]);
  const healthy = pollers.length > 0;
  return h(
    'article',
    { class: `card pool ${healthy ? 'ok' : 'down'}`, dataset: { pool: pool.name } },
    h(
      'header',
      {},
      h('h2', {}, pool.name),
      h('span', { class: `pill ${healthy ? 'st-completed' : 'st-failed'}` }, h('i', { class: 'dot' }), healthy ? `${pollers.length} worker${pollers.length === 1 ? '' : 's'}` : 'no workers'),
    ),
    h('p', { class: 'queue' }, h('code', {}, pool.queue), ' · ', pool.runs, ' · concurrency ', pool.concurrency, pool.cpuBound ? h('span', { class: 'tag' }, 'CPU-bound') : null),
    pool.error ? h('div', { class: 'problem' }, pool.error) : null,
    h('div', { class: 'stats' }, queueStats(main[0], main[1]), other[1].pollers.length ? queueStats(other[0], other[1]) : null),
    h('h3', {}, 'Pollers'),
    pollers.length
      ? h('ul', { class: 'pollers' }, pollers.map((p) => h('li', {}, h('code', {}, p.identity || '(no identity)'), h('span', { class: 'muted' }, p.lastAccessTime ? `polled ${relTime(p.lastAccessTime)}` : ''))))
      : h('p', { class: 'muted' }, 'No worker has polled this queue recently: its tasks wait.'),
    pool.tasks.length ? [h('h3', {}, 'Tasks routed here'), h('div', { class: 'chips' }, pool.tasks.map((t) => h('a', { class: 'chip', href: `#/runs?task=${encodeURIComponent(t)}` }, t)))] : null,
  );
}

function queueStats(type, queue) {
  const s = queue.stats;
  return h(
    'dl',
    { class: 'stat-row', title: `${type} task queue` },
    h('div', { class: 'stat-type' }, `${type} tasks`),
    h('div', {}, h('dt', {}, 'backlog'), h('dd', { class: s && s.backlog > 0 ? 'warn' : '' }, s ? number(s.backlog) : 'n/a')),
    h('div', { title: 'tasks added per second, recently' }, h('dt', {}, 'in / s'), h('dd', {}, s ? number(s.addRate, 1) : 'n/a')),
    h('div', { title: 'tasks handed to workers per second, recently' }, h('dt', {}, 'out / s'), h('dd', {}, s ? number(s.dispatchRate, 1) : 'n/a')),
    h('div', { title: 'how long the oldest waiting task has waited' }, h('dt', {}, 'oldest'), h('dd', {}, s && s.backlog > 0 ? `${number(s.backlogAgeSeconds, 1)} s` : '—')),
  );
}

/** A worker polls both queue types with one identity: list it once. */
function dedupe(pollers) {
  const seen = new Map();
  for (const p of pollers) {
    const prev = seen.get(p.identity);
    if (!prev || (p.lastAccessTime ?? '') > (prev.lastAccessTime ?? '')) seen.set(p.identity, p);
  }
  return [...seen.values()].sort((a, b) => a.identity.localeCompare(b.identity));
}
