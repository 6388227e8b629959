// Start a canvas: a JSON editor with line numbers; the API's 400 issues are shown on the
// lines of their JSON paths, in the gutter and in a list that jumps to each.
import { api } from './api.js';
import { h, prettyJson, problemBox, replace } from './dom.js';
import { lineOf, pathLines, syntaxErrorLine } from './json-paths.js';

const EXAMPLES = {
  'Chain: (4 + 5 + 6) × 7': { canvas: { chain: [{ task: 'add', args: [4, 5] }, { task: 'add', args: [6] }, { task: 'mul', args: [7] }] } },
  'Chord: group, then sum': {
    canvas: { chain: [{ group: [{ task: 'add', args: [2, 2] }, { task: 'add', args: [4, 4] }, { task: 'sleep', args: [1500] }] }, { task: 'xsum' }] },
  },
  'Map over items': { canvas: { map: { task: 'add', items: [[1, 2], [3, 4], [5, 6]] } } },
  'Fails: divide by zero': { canvas: { chain: [{ task: 'add', args: [1, 1] }, { task: 'divide', args: [0] }] } },
};
const DRAFT = 'orchestra.canvasDraft';

export function renderStart(view, session) {
  const initial = sessionStorage.getItem(DRAFT) ?? prettyJson(Object.values(EXAMPLES)[0]);
  const gutter = h('div', { class: 'gutter', 'aria-hidden': 'true' });
  const marks = h('div', { class: 'marks', 'aria-hidden': 'true' });
  const textarea = h('textarea', { id: 'canvas-json', spellcheck: 'false', wrap: 'off', autocapitalize: 'off', 'aria-label': 'Canvas request (JSON)' });
  textarea.value = initial;
  const issuesBox = h('div', { class: 'issues', id: 'issues' });
  let issueLines = new Map(); // line → [messages]

  const draw = () => {
    const count = textarea.value.split('\n').length;
    replace(
      gutter,
      Array.from({ length: count }, (_, i) => {
        const messages = issueLines.get(i + 1);
        return h('div', { class: messages ? 'ln bad' : 'ln', title: messages?.join('\n'), dataset: { line: i + 1 } }, i + 1);
      }),
    );
    // Each marked line repeats its code invisibly, so the message starts just after it.
    const texts = textarea.value.split('\n');
    replace(
      marks,
      texts.map((text, i) => {
        const messages = issueLines.get(i + 1);
        return h('div', { class: messages ? 'mark bad' : 'mark' }, messages ? [h('span', { class: 'ghost' }, text), h('span', { class: 'msg' }, `← ${messages.map((m) => m.split(';')[0]).join(' · ')}`)] : '');
      }),
    );
    syncScroll();
  };
  const syncScroll = () => {
    gutter.scrollTop = textarea.scrollTop;
    marks.style.transform = `translate(${-textarea.scrollLeft}px, ${-textarea.scrollTop}px)`;
  };
  textarea.addEventListener('scroll', syncScroll);
  textarea.addEventListener('input', () => {
    sessionStorage.setItem(DRAFT, textarea.value);
    if (issueLines.size) {
      issueLines = new Map();
      replace(issuesBox);
    }
    draw();
  });
  textarea.addEventListener('keydown', (e) => {
    if (e.key === 'Tab') {
      e.preventDefault();
      textarea.setRangeText('  ', textarea.selectionStart, textarea.selectionEnd, 'end');
      textarea.dispatchEvent(new Event('input'));
    } else if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      void submit();
    }
  });

  const goToLine = (line) => {
    const lines = textarea.value.split('\n');
    const start = lines.slice(0, line - 1).reduce((n, l) => n + l.length + 1, 0);
    textarea.focus();
    textarea.setSelectionRange(start, start + (lines[line - 1]?.length ?? 0));
    const lineHeight = parseFloat(getComputedStyle(textarea).lineHeight) || 20;
    textarea.scrollTop = Math.max(0, (line - 4) * lineHeight);
  };

  const showIssues = (issues, title) => {
    const lines = pathLines(textarea.value);
    issueLines = new Map();
    const items = issues.map((issue) => {
      const line = issue.line ?? lineOf(lines, issue.path);
      issueLines.set(line, [...(issueLines.get(line) ?? []), `${issue.path || '(body)'}: ${issue.message}`]);
      return h(
        'li',
        { dataset: { path: issue.path, line } },
        h('button', { type: 'button', class: 'link', onclick: () => goToLine(line) }, `line ${line}`),
        ' ',
        h('code', {}, issue.path || '(body)'),
        ' ',
        issue.message,
      );
    });
    replace(issuesBox, h('div', { class: 'problem', role: 'alert' }, h('strong', {}, title), h('ul', {}, items)));
    draw();
  };

  const submitButton = h('button', { class: 'primary', type: 'button', onclick: () => submit(), disabled: !session.can('write'), title: session.can('write') ? 'Ctrl+Enter' : 'This key cannot start runs (write scope)' }, 'Start');
  async function submit() {
    let body;
    try {
      body = JSON.parse(textarea.value);
    } catch (error) {
      showIssues([{ path: '', message: error.message, line: syntaxErrorLine(textarea.value, error) }], 'Not JSON: nothing was sent.');
      return;
    }
    submitButton.disabled = true;
    try {
      const started = await api('POST', '/workflows', body);
      location.hash = `#/runs/${encodeURIComponent(started.workflowId)}`;
    } catch (error) {
      if (error.problem?.errors?.length) showIssues(error.problem.errors, error.problem.detail ?? 'The request is not valid.');
      else replace(issuesBox, problemBox(error));
    } finally {
      submitButton.disabled = !session.can('write');
    }
  }

  const format = () => {
    try {
      textarea.value = prettyJson(JSON.parse(textarea.value));
      textarea.dispatchEvent(new Event('input'));
    } catch (error) {
      showIssues([{ path: '', message: error.message, line: syntaxErrorLine(textarea.value, error) }], 'Not JSON.');
    }
  };

  const examples = h(
    'select',
    { 'aria-label': 'Examples', onchange: (e) => e.target.value && ((textarea.value = prettyJson(EXAMPLES[e.target.value])), textarea.dispatchEvent(new Event('input')), (e.target.value = '')) },
    h('option', { value: '' }, 'Load an example…'),
    Object.keys(EXAMPLES).map((name) => h('option', { value: name }, name)),
  );

  replace(
    view,
    h('div', { class: 'page-head' }, h('h1', {}, 'Start a canvas'), h('p', { class: 'lede' }, 'The body of ', h('code', {}, 'POST /workflows'), ': a canvas of chains, groups, chords and maps (docs/canvas.md). Problems come back with their JSON paths and are marked on their lines.')),
    h(
      'section',
      { class: 'card editor-card' },
      h('div', { class: 'editor-bar' }, examples, h('span', { class: 'grow' }), h('button', { class: 'ghost', type: 'button', onclick: format }, 'Format'), submitButton),
      h('div', { class: 'editor' }, gutter, h('div', { class: 'code' }, h('div', { class: 'marks-clip' }, marks), textarea)),
      issuesBox,
    ),
  );
  draw();
}
