// Schedules: next runs, recent actions with their statuses; pause, unpause and trigger.
import { api } from './api.js';
import { empty, h, problemBox, replace, statusPill, time } from './dom.js';

export function renderSchedules(view, session) {
  const list = h('div', { class: 'schedule-list' }, h('div', { class: 'empty' }, 'Loading schedules…'));
  replace(view, h('div', { class: 'page-head' }, h('h1', {}, 'Schedules'), h('p', { class: 'lede' }, 'Temporal Schedules: Celery beat, durable. Paused schedules do not fire; "Run now" fires even so.')), list);
  let stopped = false;

  const load = async () => {
    try {
      const { schedules } = await api('GET', '/schedules');
      // The list is from the visibility store; each schedule's own description is current.
      const views = await Promise.all(schedules.map((s) => api('GET', s.links.self).catch(() => s)));
      if (stopped) return;
      replace(list, views.length ? views.map((s) => scheduleCard(s, session, act)) : empty('No schedules yet. Create one with POST /schedules.'));
    } catch (error) {
      if (!stopped) replace(list, problemBox(error));
    }
  };

  async function act(id, action, card) {
    const buttons = card.querySelectorAll('button');
    buttons.forEach((b) => (b.disabled = true));
    try {
      await api('POST', `/schedules/${encodeURIComponent(id)}/${action}`, {});
      const fresh = await api('GET', `/schedules/${encodeURIComponent(id)}`);
      const next = scheduleCard(fresh, session, act);
      card.replaceWith(next);
      next.querySelector('.flash-slot').append(h('span', { class: 'flash' }, action === 'trigger' ? 'Triggered: the run appears under recent actions.' : `${action}d.`));
      if (action === 'trigger') setTimeout(load, 1500);
    } catch (error) {
      card.querySelector('.flash-slot').replaceChildren(problemBox(error));
      buttons.forEach((b) => (b.disabled = false));
    }
  }

  void load();
  return () => (stopped = true);
}

function specText(spec) {
  if (!spec) return null;
  const parts = [];
  for (const cron of spec.cron ?? []) parts.push(`cron ${cron}`);
  for (const i of spec.intervals ?? []) parts.push(`every ${i.every}${i.offset ? ` (offset ${i.offset})` : ''}`);
  for (const c of spec.calendars ?? []) parts.push(c.comment ?? Object.entries(c).map(([k, v]) => `${k}=${v}`).join(' '));
  return `${parts.join(' · ')}${spec.timezone ? ` (${spec.timezone})` : ''}`;
}

function scheduleCard(s, session, act) {
  const paused = s.state?.paused ?? s.paused;
  const note = s.state?.note ?? s.note;
  const workflow = s.action?.workflow ?? (s.action?.canvas ? 'canvas' : s.workflowType);
  const canWrite = session.can('write');
  const card = h(
    'article',
    { class: `card schedule${paused ? ' paused' : ''}`, dataset: { schedule: s.id } },
    h(
      'header',
      {},
      h('h2', {}, s.id),
      s.builtin ? h('span', { class: 'tag', title: 'Declared in src/schedules/builtin.ts' }, 'built in') : null,
      h('span', { class: `pill ${paused ? 'st-paused' : 'st-running'}` }, h('i', { class: 'dot' }), paused ? 'paused' : 'active'),
      h('span', { class: 'grow' }),
      canWrite
        ? [
            paused
              ? h('button', { class: 'ghost', 'data-action': 'unpause', onclick: () => act(s.id, 'unpause', card) }, 'Unpause')
              : h('button', { class: 'ghost', 'data-action': 'pause', onclick: () => act(s.id, 'pause', card) }, 'Pause'),
            h('button', { class: 'primary', 'data-action': 'trigger', onclick: () => act(s.id, 'trigger', card) }, 'Run now'),
          ]
        : null,
      h('a', { class: 'button ghost', href: s.links.ui, target: '_blank', rel: 'noopener' }, 'Temporal ↗'),
    ),
    h('p', { class: 'muted' }, workflow ? h('span', { class: 'tag' }, workflow) : null, ' ', specText(s.spec) ?? '', note ? h('span', { class: 'note-inline' }, ` — “${note}”`) : null),
    h('div', { class: 'flash-slot' }),
    h(
      'div',
      { class: 'two-col' },
      h('div', {}, h('h3', {}, paused ? 'Next runs (skipped while paused)' : 'Next runs'), s.nextRunTimes?.length ? h('ol', { class: 'times' }, s.nextRunTimes.slice(0, 3).map((t) => h('li', {}, time(t), h('small', {}, new Date(t).toLocaleString())))) : h('p', { class: 'muted' }, paused ? 'None while paused.' : 'None.')),
      h(
        'div',
        {},
        h('h3', {}, 'Recent actions'),
        s.recentActions?.length
          ? h('ol', { class: 'recent' }, s.recentActions.slice(0, 5).map((a) => h('li', {}, a.status ? statusPill(a.status) : null, h('a', { href: `#/runs/${encodeURIComponent(a.workflowId)}` }, a.workflowId), time(a.takenAt ?? a.scheduledAt))))
          : h('p', { class: 'muted' }, 'Nothing has run yet.'),
      ),
    ),
  );
  return card;
}
