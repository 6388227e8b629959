// The dashboard's shell: which page the address names, who the caller is, and the key prompt.
import { api, ApiError, keyStore, onUnauthorized } from './api.js';
import { h, problemBox, replace } from './dom.js';
import { renderPools } from './pools.js';
import { renderRun } from './run.js';
import { renderRuns } from './runs.js';
import { renderSchedules } from './schedules.js';
import { renderStart } from './start.js';

const view = document.getElementById('view');
const who = document.getElementById('who');
const dialog = document.getElementById('key-dialog');

/** What the current key may do: {devMode, keyId, scopes, temporalUi}. */
const session = { devMode: false, keyId: null, scopes: [], temporalUi: null, can: (scope) => session.scopes.includes(scope) };
let cleanup = null;

const pages = [
  [/^\/pools$/, 'pools', () => renderPools(view, session)],
  [/^\/runs\/(.+)$/, 'runs', (id) => renderRun(view, session, decodeURIComponent(id))],
  [/^\/runs$/, 'runs', () => renderRuns(view, session)],
  [/^\/schedules$/, 'schedules', () => renderSchedules(view, session)],
  [/^\/start$/, 'start', () => renderStart(view, session)],
];

function route() {
  const path = location.hash.replace(/^#/, '').split('?')[0] || '/runs';
  cleanup?.();
  cleanup = null;
  for (const [pattern, tab, render] of pages) {
    const match = pattern.exec(path);
    if (!match) continue;
    for (const link of document.querySelectorAll('[data-tab]')) link.classList.toggle('active', link.dataset.tab === tab);
    document.title = `${tab[0].toUpperCase()}${tab.slice(1)} · Orchestra`;
    const result = render(...match.slice(1));
    cleanup = typeof result === 'function' ? result : null;
    return;
  }
  location.hash = '#/runs';
}

function showWho() {
  replace(
    who,
    session.devMode
      ? h('span', { class: 'badge dev', title: 'ORCHESTRA_DEV_MODE=true: no keys are checked' }, 'development mode')
      : session.keyId
        ? [h('span', { class: 'badge' }, `key ${session.keyId}`, h('small', {}, session.scopes.join(' · '))), h('button', { class: 'link', onclick: forgetKey }, 'forget key')]
        : null,
  );
}

function forgetKey() {
  keyStore.clear();
  Object.assign(session, { keyId: null, scopes: [] });
  showWho();
  askForKey();
}

let asking = false;
function askForKey(problem) {
  const message = document.getElementById('key-problem');
  message.hidden = !(problem && keyStore.get());
  message.textContent = problem?.detail ?? '';
  keyStore.clear();
  replace(view, h('div', { class: 'empty' }, 'An API key is needed to show this page.'));
  if (asking) return;
  asking = true;
  dialog.showModal();
}

document.getElementById('key-form').addEventListener('submit', async () => {
  asking = false;
  keyStore.set(document.getElementById('key-input').value.trim());
  document.getElementById('key-input').value = '';
  await start();
});
dialog.addEventListener('cancel', (event) => event.preventDefault());

async function start() {
  try {
    Object.assign(session, await api('GET', '/session'));
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return; // the prompt is open
    replace(view, problemBox(error));
    return;
  }
  showWho();
  route();
}

onUnauthorized((problem) => askForKey(problem));
window.addEventListener('hashchange', route);
void start();
