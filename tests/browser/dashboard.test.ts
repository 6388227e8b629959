/**
 * The dashboard (/ui) in a real headless Chromium, the system's own (Debian's `chromium`
 * package), driven by puppeteer-core against the suite's running API: each page shows
 * real data, a canvas started from the editor reaches COMPLETED in its tree, a 400 is
 * marked on the line of its JSON path, and with keys configured the page asks for one and
 * hides what the key cannot do. Screenshots go to docs/screenshots/ for the README.
 * Skipped, saying why, when no Chromium is installed (.ci/run installs one).
 */
process.env.LOG_LEVEL = 'warn';
import { Client, Connection } from '@temporalio/client';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { createApp } from '../../src/api/app';
import { ApiKeys, hashKey } from '../../src/http/auth';
import { ApiMetrics } from '../../src/http/metrics';
import { Runs } from '../../src/api/runs';
import { loadConfig, type Config } from '../../src/config';
import { apiUrl, call, waitForEnd } from '../support/http';

/** What the test reads of the page's elements (the project compiles without the DOM library). */
interface PageElement {
  dataset: Record<string, string | undefined>;
  value: string;
  disabled: boolean;
  href: string;
  dispatchEvent(event: Event): boolean;
}
declare const document: { querySelector(selector: string): unknown; querySelectorAll(selector: string): { length: number } };
declare const location: { hash: string };
declare const sessionStorage: { getItem(key: string): string | null };

const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].find((p) => existsSync(p));
const SHOTS = path.resolve(__dirname, '..', '..', 'docs', 'screenshots');
const suffix = Date.now().toString(36);
const WAIT_MS = 60_000;

if (!CHROMIUM) console.log('dashboard browser test skipped: no Chromium at /usr/bin/chromium (install it with `apt-get install -y chromium`; .ci/run does)');
const withChromium = CHROMIUM ? describe : describe.skip;

withChromium('dashboard in headless Chromium', () => {
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    browser = await puppeteer.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
    page = await browser.newPage();
    await page.setViewport({ width: 1280, height: 860 });
    page.on('pageerror', (error) => pageErrors.push((error as Error).message));
    page.on('console', (message) => message.type() === 'error' && pageErrors.push(message.text()));
  });

  afterAll(async () => {
    await browser?.close();
  });

  afterEach(() => {
    // A script error or a refused request (CSP, 4xx/5xx the page did not expect) fails the page.
    expect(pageErrors.filter((e) => !e.includes('400 (Bad Request)'))).toEqual([]);
    pageErrors.length = 0;
  });

  const open = async (hash: string) => {
    await page.goto(`${apiUrl()}/ui/#/${hash}`, { waitUntil: 'domcontentloaded' });
  };
  const shoot = (name: string) => page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
  const text = (selector: string) => page.$eval(selector, (el) => el.textContent ?? '');
  /** Runs `act`, accepting every confirm() the page opens meanwhile; answers their messages. */
  const acceptingDialogs = async (act: () => Promise<void>): Promise<string[]> => {
    const dialogs: string[] = [];
    const accept = (dialog: { message(): string; accept(): Promise<void> }) => {
      dialogs.push(dialog.message());
      void dialog.accept();
    };
    page.on('dialog', accept);
    try {
      await act();
    } finally {
      page.off('dialog', accept);
    }
    return dialogs;
  };

  test('the static page is public and served with a strict content security policy', async () => {
    const response = await fetch(`${apiUrl()}/ui/`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(await response.text()).toContain('<script type="module" src="app.js">');
    expect((await fetch(`${apiUrl()}/ui/..%2Fconfig.ts`)).status).toBe(404);
  });

  test('pools: every pool with its queue and the workers polling it', async () => {
    await open('pools');
    await page.waitForSelector('.pool[data-pool="default"] .pollers li', { timeout: WAIT_MS });
    const pools = await page.$$eval('.pool', (cards) => cards.map((c) => (c as unknown as PageElement).dataset.pool));
    expect(pools).toEqual(['orchestrator', 'default', 'ml', 'email', 'media', 'python']);
    expect(await text('.pool[data-pool="default"] .queue')).toContain('orchestra-default');
    expect(await text('.pool[data-pool="default"] .pollers')).toMatch(/default@[^:\s]+:\d+/);
    expect(await text('.pool[data-pool="ml"] .pollers')).toMatch(/ml@[^:\s]+:\d+/);
    // The Python pool is listed like the others, with its own worker (python/orchestra_python).
    expect(await text('.pool[data-pool="python"] .pollers')).toMatch(/python@[^:\s]+:\d+/);
    await shoot('pools');
  });

  test('start a canvas in the editor: the run page follows its tree to COMPLETED', async () => {
    await open('start');
    await page.waitForSelector('#canvas-json');
    const request = {
      workflowId: `dash-chain-${suffix}`,
      canvas: {
        chain: [
          { task: 'add', args: [4, 5] },
          {
            group: [
              { task: 'add', args: [6] },
              { task: 'mul', args: [7] },
            ],
          },
        ],
      },
    };
    await page.$eval(
      '#canvas-json',
      (el, value) => {
        (el as unknown as PageElement).value = value;
        el.dispatchEvent(new Event('input'));
      },
      JSON.stringify(request, null, 2),
    );
    await page.click('.editor-bar button.primary');
    await page.waitForFunction((id) => location.hash === `#/runs/${id}`, { timeout: WAIT_MS }, request.workflowId);
    await page.waitForSelector('.run-summary .pill.st-completed', { timeout: WAIT_MS });
    await page.waitForSelector('.tree .node[data-path="canvas"].st-completed', { timeout: WAIT_MS });
    const statuses = await page.$$eval('.tree .node', (nodes) => nodes.map((n) => (n as unknown as PageElement).dataset.status));
    expect(statuses).toHaveLength(5); // chain, add, group and its two members
    expect(new Set(statuses)).toEqual(new Set(['completed']));
    expect(JSON.parse(await text('.result .json'))).toEqual([15, 63]); // chain(add(4, 5), group(add(6), mul(7)))
    expect(await page.$eval('[data-link="temporal"]', (a) => (a as unknown as PageElement).href)).toContain(`/workflows/${request.workflowId}/`);
    // Dev mode holds every scope: both buttons are there, disabled once the run has ended.
    expect(await page.$eval('[data-action="cancel"]', (b) => (b as unknown as PageElement).disabled)).toBe(true);
    expect(await page.$eval('[data-action="terminate"]', (b) => (b as unknown as PageElement).disabled)).toBe(true);
    await shoot('run');
  });

  test('a failed run shows the failing node and its error', async () => {
    const workflowId = `dash-fail-${suffix}`;
    expect(
      (
        await call('POST', '/workflows', {
          workflowId,
          canvas: {
            chain: [
              { task: 'add', args: [1, 1] },
              { task: 'divide', args: [0] },
            ],
          },
        })
      ).status,
    ).toBe(201);
    await waitForEnd(workflowId);
    await open(`runs/${workflowId}`);
    await page.waitForSelector('.failure', { timeout: WAIT_MS });
    expect(await text('.failure')).toContain('ZeroDivisionError');
    expect(await page.$eval('.node.failing', (n) => (n as unknown as PageElement).dataset.path)).toBe('canvas.chain[1]');
    expect(await text('.node.failing .node-error')).toContain('division by zero');
    await shoot('run-failed');
  });

  test('runs: the list filters by status and searches by id prefix and task', async () => {
    const rowIds = () => page.$$eval('table.runs tbody tr[data-workflow-id]', (rows) => rows.map((r) => (r as unknown as PageElement).dataset.workflowId));
    // Visibility is eventually consistent: wait until both runs are listed.
    await open(`runs?id=dash-`);
    await page.waitForFunction((s) => document.querySelectorAll(`tr[data-workflow-id$="${s}"]`).length >= 2, { timeout: WAIT_MS }, suffix);
    expect(await rowIds()).toEqual(expect.arrayContaining([`dash-chain-${suffix}`, `dash-fail-${suffix}`]));
    await page.click('.segmented button[data-status="FAILED"]');
    await page.waitForFunction((s) => !document.querySelector(`tr[data-workflow-id="dash-chain-${s}"]`), { timeout: WAIT_MS }, suffix);
    expect(await rowIds()).toContain(`dash-fail-${suffix}`);
    expect(page.url()).toContain('status=FAILED');
    await open(`runs?task=mul&id=dash-`);
    await page.waitForSelector(`tr[data-workflow-id="dash-chain-${suffix}"]`, { timeout: WAIT_MS });
    expect(await rowIds()).not.toContain(`dash-fail-${suffix}`);
    await open('runs');
    await page.waitForSelector(`tr[data-workflow-id="dash-fail-${suffix}"]`, { timeout: WAIT_MS });
    await shoot('runs');
  });

  test('approvals: a waiting run shows its event and deadline; Send (confirmed) and the run goes on, the sender recorded', async () => {
    const workflowId = `dash-approve-${suffix}`;
    const canvas = { chain: [{ task: 'add', args: [2, 3] }, { wait: { event: 'approved', timeout: '10m' } }, { task: 'add', args: [10] }] };
    expect((await call('POST', '/workflows', { workflowId, canvas, tags: [`approval:${suffix}`] })).status).toBe(201);
    await open(`runs/${workflowId}`);
    await page.waitForSelector('form.approval[data-event="approved"] button[data-action="send-event"]', { timeout: WAIT_MS });
    expect(await text('form.approval')).toContain('waits for event “approved” until');
    expect(await text('.facts')).toContain(`approval:${suffix}`);
    await page.type('form.approval textarea', '32');
    await shoot('run-approval');
    const dialogs = await acceptingDialogs(async () => {
      await page.click('form.approval button[data-action="send-event"]');
      const end = await waitForEnd(workflowId);
      expect(end).toMatchObject({ status: 'COMPLETED', result: 42 });
      expect(end.state.children[1]).toMatchObject({ kind: 'wait', status: 'completed', result: 32, receivedFrom: { by: 'development mode' } });
    });
    expect(dialogs).toEqual([expect.stringContaining('Send “approved” to this run with this payload?')]);
    // The page follows the run to its end and shows who sent the event.
    await page.waitForSelector('.node .note.received', { timeout: WAIT_MS });
    expect(await text('.node .note.received')).toContain('“approved” sent by development mode');
    expect(await page.$('form.approval')).toBeNull();
  });

  test('runs: the tag filter lists the runs carrying every tag typed', async () => {
    const [a, b] = [`dash-tag-a-${suffix}`, `dash-tag-b-${suffix}`];
    expect((await call('POST', '/workflows', { workflowId: a, canvas: { task: 'add', args: [1, 1] }, tags: [`t1-${suffix}`, `t2-${suffix}`] })).status).toBe(
      201,
    );
    expect((await call('POST', '/workflows', { workflowId: b, canvas: { task: 'add', args: [1, 1] }, tags: [`t1-${suffix}`] })).status).toBe(201);
    await open(`runs?tag=${encodeURIComponent(`t1-${suffix} t2-${suffix}`)}`);
    await page.waitForSelector(`tr[data-workflow-id="${a}"]`, { timeout: WAIT_MS });
    const rows = await page.$$eval('table.runs tbody tr[data-workflow-id]', (r) => r.map((row) => (row as unknown as PageElement).dataset.workflowId));
    expect(rows).toEqual([a]);
    expect(await page.$$eval(`tr[data-workflow-id="${a}"] .run-tag`, (tags) => tags.map((t) => (t as unknown as PageElement).dataset.tag))).toEqual([
      `t1-${suffix}`,
      `t2-${suffix}`,
    ]);
  });

  test('runs: bulk cancel of the ticked runs, then of every run the filters match, each after a confirmation', async () => {
    const tag = `dash-bulk-${suffix}`;
    const ids = [0, 1, 2].map((i) => `dash-bulk-${i}-${suffix}`);
    for (const workflowId of ids)
      expect((await call('POST', '/workflows', { workflowId, canvas: { wait: { event: 'never', timeout: '10m' } }, tags: [tag] })).status).toBe(201);
    await open(`runs?tag=${tag}`);
    for (const id of ids) await page.waitForSelector(`tr[data-workflow-id="${id}"]`, { timeout: WAIT_MS });
    const dialogs = await acceptingDialogs(async () => {
      await page.click(`tr[data-workflow-id="${ids[0]}"] td.pick input`);
      expect(await text('.bulk-count')).toBe('1 selected');
      await page.click('button[data-bulk="cancel-selected"]');
      await page.waitForSelector('.bulk-note[data-status="COMPLETED"]', { timeout: WAIT_MS });
      expect(await text('.bulk-note')).toContain('cancel: 1 done, 0 failed, 0 skipped of 1');
      expect((await waitForEnd(ids[0])).status).toBe('CANCELED');
      await page.$eval('.bulk-note', (el) => delete (el as unknown as PageElement).dataset.status);
      await page.click('button[data-bulk="cancel-matching"]');
      await page.waitForSelector('.bulk-note[data-status="COMPLETED"]', { timeout: WAIT_MS });
      expect(await text('.bulk-note')).toContain('cancel: 2 done, 0 failed, 0 skipped of 2');
    });
    expect(dialogs).toEqual(['Cancel 1 run selected?', 'Cancel 2 runs matching these filters?']);
    for (const id of ids.slice(1)) expect((await waitForEnd(id)).status).toBe('CANCELED');
  });

  test("the editor shows the API's 400 at the line of each path", async () => {
    await open('start');
    await page.waitForSelector('#canvas-json');
    const body = '{\n  "canvas": {\n    "chain": [\n      {"task": "add", "args": [1, 2]},\n      {"task": "nosuchtask"}\n    ]\n  }\n}';
    await page.$eval(
      '#canvas-json',
      (el, value) => {
        (el as unknown as PageElement).value = value;
        el.dispatchEvent(new Event('input'));
      },
      body,
    );
    await page.click('.editor-bar button.primary');
    await page.waitForSelector('#issues li[data-path]', { timeout: WAIT_MS });
    const issue = await page.$eval('#issues li[data-path]', (li) => ({
      path: (li as unknown as PageElement).dataset.path,
      line: (li as unknown as PageElement).dataset.line,
      text: li.textContent,
    }));
    expect(issue.path).toBe('canvas.chain[1].task');
    expect(issue.line).toBe('5');
    expect(issue.text).toContain('unknown task "nosuchtask"');
    expect(await page.$$eval('.gutter .ln.bad', (lines) => lines.map((l) => (l as unknown as PageElement).dataset.line))).toEqual(['5']);
    expect(page.url()).toContain('#/start'); // nothing started
    await shoot('start-error');
  });

  test('schedules: listed with next runs; run now adds a recent action', async () => {
    const id = `dash-schedule-${suffix}`;
    const created = await call('POST', '/schedules', {
      id,
      spec: { intervals: [{ every: '1h' }] },
      action: { canvas: { task: 'add', args: [16, 16] } },
      memo: { description: 'dashboard test' },
    });
    expect(created.status).toBe(201);
    try {
      await open('schedules');
      const card = `[data-schedule="${id}"]`;
      // The list comes from Temporal's visibility store, which lags a new schedule.
      for (let i = 0; i < 20 && !(await page.$(card)); i++) {
        await new Promise((resolve) => setTimeout(resolve, 1000));
        await page.reload({ waitUntil: 'domcontentloaded' });
        await page.waitForSelector('.schedule-list .card, .schedule-list .empty:not(:empty)', { timeout: WAIT_MS }).catch(() => undefined);
      }
      await page.waitForSelector(`${card} .times li`, { timeout: WAIT_MS });
      expect(await text(`${card} .pill`)).toContain('active');
      await page.click(`${card} [data-action="trigger"]`);
      await page.waitForSelector(`${card} .flash`, { timeout: WAIT_MS });
      await page.waitForSelector(`${card} .recent li a`, { timeout: WAIT_MS });
      expect(await text(`${card} .recent`)).toContain(id);
      await shoot('schedules');
      await page.click(`${card} [data-action="pause"]`);
      await page.waitForSelector(`${card} [data-action="unpause"]`, { timeout: WAIT_MS });
      expect(await text(`${card} .pill`)).toContain('paused');
    } finally {
      await call('DELETE', `/schedules/${id}`);
    }
  });

  describe('with API keys', () => {
    let connection: Connection;
    let server: Server;
    let keys: ApiKeys;
    let url: string;

    beforeAll(async () => {
      connection = await Connection.connect({ address: process.env.TEMPORAL_ADDRESS! });
      const client = new Client({ connection });
      const keysFile = path.join(mkdtempSync(path.join(os.tmpdir(), 'orchestra-ui-keys-')), 'keys.json');
      // The viewer belongs to the tenant of the runs started above in development mode.
      writeFileSync(
        keysFile,
        JSON.stringify({
          keys: [
            { id: 'viewer', sha256: hashKey('view-secret'), scopes: ['read'], tenant: 'dev' },
            { id: 'ops', sha256: hashKey('ops-secret'), scopes: ['admin'] },
          ],
        }),
      );
      const base = loadConfig();
      const config: Config = { ...base, security: { ...base.security, devMode: false, apiKeysFile: keysFile, apiKeysInline: undefined } };
      keys = new ApiKeys({ file: keysFile });
      const app = createApp({ config, client, runs: new Runs(client, config), pingDatabase: async () => undefined, apiKeys: keys, metrics: new ApiMetrics() });
      server = await new Promise<Server>((resolve) => {
        const s = app.listen(0, '127.0.0.1', () => resolve(s));
      });
      url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    });

    afterAll(async () => {
      keys?.close();
      server?.closeAllConnections(); // the SSE streams the tabs had open
      await new Promise((resolve) => server?.close(resolve));
      await connection?.close();
    });

    const signIn = async (secret: string, hash: string) => {
      const context = await browser.createBrowserContext();
      const tab = await context.newPage();
      await tab.setViewport({ width: 1280, height: 860 });
      await tab.goto(`${url}/ui/#/${hash}`, { waitUntil: 'domcontentloaded' });
      await tab.waitForSelector('#key-dialog[open]', { timeout: WAIT_MS });
      await tab.type('#key-input', secret);
      await tab.click('#key-form button[type="submit"]');
      return { tab, context };
    };

    test('the page asks for a key, then shows data; data needs the key', async () => {
      expect((await fetch(`${url}/ui/`)).status).toBe(200);
      expect((await fetch(`${url}/pools`)).status).toBe(401);
      const { tab, context } = await signIn('ops-secret', 'pools');
      try {
        await tab.waitForSelector('.pool[data-pool="default"] .pollers li', { timeout: WAIT_MS });
        expect(await tab.$eval('#who', (el) => el.textContent)).toContain('key ops');
        expect(await tab.evaluate(() => sessionStorage.getItem('orchestra.apiKey'))).toBe('ops-secret');
      } finally {
        await context.close();
      }
    });

    test('a read-only key sees runs without cancel, terminate or start', async () => {
      const { tab, context } = await signIn('view-secret', `runs/dash-chain-${suffix}`);
      try {
        await tab.waitForSelector('.run-summary .pill.st-completed', { timeout: WAIT_MS });
        expect(await tab.$('[data-action="cancel"]')).toBeNull();
        expect(await tab.$('[data-action="terminate"]')).toBeNull();
        await tab.goto(`${url}/ui/#/start`);
        await tab.waitForSelector('.editor-bar button.primary');
        expect(await tab.$eval('.editor-bar button.primary', (b) => (b as unknown as PageElement).disabled)).toBe(true);
      } finally {
        await context.close();
      }
    });
  });
});
