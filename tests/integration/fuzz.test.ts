/**
 * Bad input never answers 5xx: every route of the running API (read from its own
 * /openapi.json, so a new route is fuzzed without being listed here) with odd ids in its
 * path, and the request parts that reach a parser or Temporal: durations wherever a request
 * takes one, cron strings, time zones and timestamps of schedules, queries, and Unicode
 * bodies and headers, some as raw bytes on a socket. Generators are fixed lists, so a
 * failure names a request that can be sent again. The only 5xx allowed is a 503 with
 * Retry-After (a dependency down).
 */
import net from 'node:net';
import { apiUrl, call, rawPaced, type RawReply } from '../support/http';

const uid = () => `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
const json = { 'content-type': 'application/json' };

/** What went wrong, one line per request, so the assertion lists them all. */
const failures: string[] = [];
/** Runs and schedules the valid cases made, removed at the end. */
const startedRuns: string[] = [];
const createdSchedules: string[] = [];
let sent = 0;

function check(label: string, reply: RawReply): void {
  sent++;
  if (reply.status >= 500 && reply.status !== 503) failures.push(`${label}: ${reply.status} ${reply.text.slice(0, 200)}`);
  if (reply.status === 503 && !reply.headers['retry-after']) failures.push(`${label}: 503 without Retry-After`);
}

/** Longer than any answer should take (a result wait here is at most 5 s): a hang is a failure, not a test timeout. */
const ANSWER_LIMIT_MS = 20_000;
const NO_ANSWER: RawReply = { status: 0, text: 'no answer', headers: {} };

async function send(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<RawReply> {
  const text = body === undefined ? undefined : typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body);
  const label = `${method} ${path.slice(0, 160)}${text === undefined ? '' : ` ${String(text).slice(0, 160)}`}`;
  let timer: NodeJS.Timeout | undefined;
  const reply = await Promise.race([
    rawPaced(apiUrl(), method, path, text === undefined ? headers : { ...json, ...headers }, text),
    new Promise<RawReply>((resolve) => (timer = setTimeout(() => resolve(NO_ANSWER), ANSWER_LIMIT_MS))),
  ]).finally(() => clearTimeout(timer));
  if (reply === NO_ANSWER) failures.push(`${label}: no answer within ${ANSWER_LIMIT_MS / 1000} s`);
  check(label, reply);
  if (reply.status === 201 || reply.status === 200) {
    const parsed = parse(reply.text) as { workflowId?: unknown; id?: unknown } | undefined;
    if (method === 'POST' && path === '/workflows' && typeof parsed?.workflowId === 'string') startedRuns.push(parsed.workflowId);
    if (method === 'POST' && path === '/schedules' && typeof parsed?.id === 'string') createdSchedules.push(parsed.id);
  }
  return reply;
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Bytes exactly as given on a fresh connection: answers the status of the first response (0 if the server just closed). */
function rawBytes(request: Buffer): Promise<{ status: number; text: string }> {
  const url = new URL(apiUrl());
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(url.port), url.hostname, () => socket.end(request));
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', (error: NodeJS.ErrnoException) => (error.code === 'ECONNRESET' ? resolve({ status: 0, text: '' }) : reject(error)));
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('latin1');
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0), text });
    });
    socket.setTimeout(30_000, () => socket.destroy(new Error('no answer within 30 s')));
  });
}

/** Durations wrong in every way we could think of, and a few right ones at the edges. */
const HUGE = `1${'0'.repeat(400)}s`;
const TOO_LONG: unknown[] = [
  HUGE,
  1e300,
  `${'9'.repeat(30)}.9ms`,
  '367d',
  366 * 86_400_000 + 1,
  Number.MAX_SAFE_INTEGER,
  Number.MAX_VALUE,
  `1${'0'.repeat(20)}d`,
];
const ODD_DURATIONS: unknown[] = [
  ...TOO_LONG,
  '366d',
  '0ms',
  0,
  '0.0000001ms',
  '1e3s',
  '1e-7s',
  'Infinity',
  'NaN',
  '-1s',
  -0,
  1.5,
  '.5s',
  '5.s',
  ' 1s',
  '1 s',
  '1S',
  '١s',
  '1s\u0000',
  '1h'.repeat(1000),
  '00000000001s',
  '',
  null,
  true,
  [],
  {},
  { $gt: '' },
  '1w',
];

/** Odd path parameters: long, Unicode, %-encoded (valid and not), dots, operators, ids of the right shape that name nothing. */
const ODD_IDS = [
  'a'.repeat(300),
  'b'.repeat(5000),
  'c'.repeat(20_000),
  encodeURIComponent('ü😀名前\u202e'),
  '%F0%9F%98%80',
  '%ED%A0%80',
  '%C0%AE%C0%AE',
  '%FF%FE',
  '%00',
  '%0d%0aX-Injected:%201',
  '%2F',
  '%252F',
  '%E0%A4%A',
  '%',
  '%zz',
  '%%',
  '.',
  '..',
  '...',
  '%2e%2e',
  '..%2F..%2Fetc%2Fpasswd',
  'a.b',
  '.hidden',
  'x.json',
  '$gt',
  encodeURIComponent('{"$gt":""}'),
  '__proto__',
  'constructor',
  'prototype',
  '65a1b2c3d4e5f60718293a4b',
  '0'.repeat(24),
  'ffffffffffffffffffffffff',
  '-1',
  '1e400',
  'NaN',
];

const CRONS = [
  '* * * * *',
  '',
  ' ',
  '* * * * * * * * *',
  '60 * * * *',
  '*/0 * * * *',
  `*/${'9'.repeat(30)} * * * *`,
  '1-',
  '5-1 * * * *',
  '@daily',
  '@every 1s',
  '@every 1000000000000h',
  '@yearly',
  '@reboot',
  'L W # ?',
  '0 0 31 2 *',
  '0 0 30 2 * 2030',
  'CRON_TZ=Mars/Phobos * * * * *',
  'CRON_TZ=UTC 0 7 * * *',
  '0 0 * * MON-SUN',
  '0 0 * * 7-1',
  'x'.repeat(300),
  '\u0000 * * * *',
  '٠ * * * *',
  '0 0 1 1 * 99999999',
  '0 0 1 1 * 1969',
  '0,'.repeat(100) + '0 * * * *',
  '0 0 ? * 1#6',
  '0 0 LW * *',
  '-1 * * * *',
];

const TIME_ZONES = [
  'UTC',
  'Europe/Paris',
  'Mars/Phobos',
  ' ',
  '../../etc/passwd',
  'Etc/GMT+14',
  'Etc/GMT+15',
  '+05:00',
  '-23:59',
  '+99:99',
  'EST5EDT',
  'utc',
  'europe/paris',
  'America/Argentina/ComodRivadavia',
  'Asia/Kolkata\u0000',
  'x'.repeat(100),
  'Z',
  'GMT+5',
  'Europe/Paris/',
  'Local',
  'Factory',
  'posixrules',
  'right/UTC',
  'US/Pacific-New',
  'Etc/Unknown',
];

const TIMESTAMPS = [
  '+275760-09-13T00:00:00.000Z',
  '-271821-04-20T00:00:00Z',
  '9999-12-31T23:59:59Z',
  '0000-01-01T00:00:00Z',
  '1969-12-31T23:59:59Z',
  '2030-02-30T00:00:00Z',
  '2030-01-01T24:00:00Z',
  '2030-01-01T00:00:60Z',
  '2030-01-01T00:00:00+25:00',
  '2030-01-01T00:00:00.1234567890123Z',
];

/** Every operation the API documents, with its parameters' names in braces: /workflows/{id}. */
async function operations(): Promise<Array<{ method: string; path: string }>> {
  const document = (await call('GET', '/openapi.json')).body as { paths: Record<string, Record<string, unknown>> };
  return Object.entries(document.paths).flatMap(([path, methods]) => Object.keys(methods).map((method) => ({ method: method.toUpperCase(), path })));
}

afterAll(async () => {
  process.stdout.write(`fuzz: ${sent} requests sent\n`);
  for (const id of startedRuns) await call('POST', `/workflows/${encodeURIComponent(id)}/terminate`, { reason: 'fuzz test cleanup' });
  for (const id of createdSchedules) await call('DELETE', `/schedules/${encodeURIComponent(id)}`);
});

describe('bad input never answers 5xx', () => {
  afterEach(() => {
    expect(failures.splice(0)).toEqual([]);
  });

  test('every documented route with odd ids in its path', async () => {
    const routes = (await operations()).filter((r) => r.path.includes('{'));
    expect(routes.length).toBeGreaterThan(15);
    for (const { method, path } of routes) {
      for (const id of ODD_IDS) {
        const concrete = path.replace(/\{\w+\}/g, id);
        await send(method, concrete, method === 'GET' || method === 'DELETE' || method === 'OPTIONS' ? undefined : '{}');
      }
    }
    expect(sent).toBeGreaterThan(500);
  });

  test('too long or malformed durations, wherever a request takes one: a 400 at the path for the too long', async () => {
    const canvas = { task: 'add', args: [1, 2] };
    const workflowPlaces: Array<[string, (d: unknown) => unknown]> = [
      ['timeout', (d) => ({ canvas, timeout: d })],
      ['defaults.startToCloseTimeout', (d) => ({ canvas, defaults: { startToCloseTimeout: d } })],
      ['defaults.heartbeatTimeout', (d) => ({ canvas, defaults: { heartbeatTimeout: d } })],
      ['defaults.scheduleToCloseTimeout', (d) => ({ canvas, defaults: { scheduleToCloseTimeout: d } })],
      ['defaults.retry.initialInterval', (d) => ({ canvas, defaults: { retry: { initialInterval: d } } })],
      ['defaults.retry.maxInterval', (d) => ({ canvas, defaults: { retry: { maxInterval: d } } })],
      ['canvas.options.delay', (d) => ({ canvas: { ...canvas, options: { delay: d } } })],
      ['canvas.wait.timeout', (d) => ({ canvas: { wait: { event: 'fuzz', timeout: d } } })],
      ['debounce.period', (d) => ({ canvas, debounce: { key: `fuzz-${uid()}`, period: d } })],
    ];
    const schedule = (patch: Record<string, unknown>) => ({
      id: `fuzz-${uid()}`,
      spec: { intervals: [{ every: '1h' }] },
      action: { canvas: { task: 'noop' } },
      state: { paused: true },
      ...patch,
    });
    const schedulePlaces: Array<[string, (d: unknown) => unknown]> = [
      ['spec.intervals[0].every', (d) => schedule({ spec: { intervals: [{ every: d }] } })],
      ['spec.intervals[0].offset', (d) => schedule({ spec: { intervals: [{ every: '366d', offset: d }] } })],
      ['spec.jitter', (d) => schedule({ spec: { intervals: [{ every: '1h' }], jitter: d } })],
      ['policies.catchupWindow', (d) => schedule({ policies: { catchupWindow: d } })],
      ['action.timeout', (d) => schedule({ action: { canvas: { task: 'noop' }, timeout: d } })],
      ['action.defaults.delay', (d) => schedule({ action: { canvas: { task: 'noop' }, defaults: { delay: d } } })],
    ];
    for (const [route, places] of [
      ['/workflows', workflowPlaces],
      ['/schedules', schedulePlaces],
    ] as const) {
      for (const [path, body] of places) {
        for (const d of ODD_DURATIONS) {
          const reply = await send('POST', route, body(d));
          if (TOO_LONG.includes(d)) {
            const errors = (parse(reply.text) as { errors?: Array<{ path: string }> } | undefined)?.errors ?? [];
            expect([route, path, String(d).slice(0, 20), reply.status, errors.some((e) => e.path === path)]).toEqual([
              route,
              path,
              String(d).slice(0, 20),
              400,
              true,
            ]);
          }
        }
      }
    }
    for (const d of ODD_DURATIONS) {
      const reply = await send('GET', `/workflows/fuzz-no-such-run/result?timeout=${encodeURIComponent(String(d))}`);
      if (TOO_LONG.includes(d)) expect([String(d).slice(0, 20), reply.status]).toEqual([String(d).slice(0, 20), 400]);
    }
  });

  test('cron strings, time zones and timestamps of schedules; backfill periods', async () => {
    const base = { action: { canvas: { task: 'noop' } }, state: { paused: true } };
    for (const cron of CRONS) await send('POST', '/schedules', { ...base, id: `fuzz-${uid()}`, spec: { cron: [cron] } });
    for (const timezone of TIME_ZONES) {
      await send('POST', '/schedules', { ...base, id: `fuzz-${uid()}`, spec: { cron: ['0 7 * * *'], timezone } });
      await send('POST', '/schedules', { ...base, id: `fuzz-${uid()}`, spec: { cron: [`CRON_TZ=${timezone} 0 7 * * *`] } });
    }
    for (const at of TIMESTAMPS) {
      await send('POST', '/schedules', { ...base, id: `fuzz-${uid()}`, spec: { intervals: [{ every: '1h' }], startAt: at } });
      await send('POST', '/schedules', { ...base, id: `fuzz-${uid()}`, spec: { intervals: [{ every: '1h' }], endAt: at } });
    }
    const calendars = [
      { hour: '25' },
      { dayOfMonth: '0' },
      { month: 'FOO' },
      { dayOfWeek: '8' },
      { year: 99_999_999 },
      { second: '*/0' },
      { minute: '1-0' },
      { hour: 1e300 },
      { year: '1970-9999/1' },
    ];
    for (const calendar of calendars) await send('POST', '/schedules', { ...base, id: `fuzz-${uid()}`, spec: { calendars: [calendar] } });
    // One real schedule to PATCH and backfill with the same odd values.
    const id = `fuzz-${uid()}`;
    const created = await send('POST', '/schedules', { ...base, id, spec: { cron: ['0 7 * * *'] } });
    expect([created.status, created.text.slice(0, 300)]).toEqual([201, expect.any(String)]);
    for (const cron of CRONS.slice(0, 12)) await send('PATCH', `/schedules/${id}`, { spec: { cron: [cron] } });
    for (const timezone of TIME_ZONES.slice(0, 12)) await send('PATCH', `/schedules/${id}`, { spec: { cron: ['0 7 * * *'], timezone } });
    for (const start of TIMESTAMPS) {
      for (const end of ['2030-01-01T00:00:00Z', '+275760-09-13T00:00:00.000Z', start]) await send('POST', `/schedules/${id}/backfill`, { start, end });
    }
  });

  test('odd queries on the list and wait routes', async () => {
    const values = [
      '',
      '-1',
      '0',
      '1e400',
      '1.5',
      'NaN',
      '99999999999999999999',
      '%00',
      '%27%22%5C',
      encodeURIComponent('😀'),
      'a'.repeat(5000),
      '%E0%A4%A',
      '[]',
      '__proto__',
    ];
    const queries = [
      '/workflows?limit=',
      '/workflows?status=',
      '/workflows?id=',
      '/workflows?kind=',
      '/workflows?task=',
      '/comments?limit=',
      '/comments?cursor=',
      '/comments?status=',
      '/schedules?limit=',
      '/schedules?cursor=',
      '/pools?x=',
    ];
    for (const query of [...queries, '/workflows?cursor=']) for (const value of values) await send('GET', `${query}${value}`);
    for (const value of values) await send('GET', `/workflows?limit=1&limit=2&status=RUNNING&status=${value}`);
  });

  // The server refuses a page token it did not issue with gRPC UNKNOWN, which the SDK used to
  // retry for its 60 s deadline (then a 500): garbage, and JSON of the wrong shape.
  test('GET /workflows?cursor=<not a cursor the API gave> is a 400 at query.cursor', async () => {
    const forged = ['abc', Buffer.from('{"CloseTime":5}').toString('base64url'), Buffer.from('[1]').toString('base64url')];
    for (const cursor of forged) {
      const reply = await send('GET', `/workflows?cursor=${cursor}`);
      expect({ cursor, status: reply.status }).toEqual({ cursor, status: 400 });
      expect(parse(reply.text)).toMatchObject({ errors: [{ path: 'query.cursor' }] });
    }
    // A cursor the API gave still pages.
    const first = await call('GET', '/workflows?limit=1');
    const next = (first.body as { nextCursor: string | null }).nextCursor;
    if (next) expect((await call('GET', `/workflows?limit=1&cursor=${next}`)).status).toBe(200);
  });

  // A NUL broke the dev server's SQLite visibility query (UNAVAILABLE, retried 20 s, a 503).
  test('a control character in a GET /workflows filter is a 400 at its query parameter', async () => {
    for (const name of ['id', 'kind', 'task', 'type']) {
      for (const value of ['%00', 'a%0Ab', '%7F']) {
        const reply = await send('GET', `/workflows?${name}=${value}`);
        expect({ name, value, status: reply.status }).toEqual({ name, value, status: 400 });
        expect(parse(reply.text)).toMatchObject({ errors: [{ path: `query.${name}` }] });
      }
    }
  });

  test('Unicode and broken-encoding bodies on every route that reads one', async () => {
    const strange = [
      '😀'.repeat(1000),
      '\u202eevil\u202c',
      '\ud800',
      '\udfff\ud800',
      '\u0000',
      '\ufeff',
      'e\u0301'.repeat(5000),
      '\u{10ffff}',
      'İıß'.repeat(100),
    ];
    const runId = `fuzz-${uid()}`;
    const bodies: Array<[string, string, (s: string) => unknown]> = [
      ['POST', '/workflows', (s) => ({ canvas: { task: 'add', args: [s, 1] } })],
      ['POST', '/workflows', (s) => ({ canvas: { task: 'add', args: [1, 2], id: s } })],
      ['POST', '/workflows', (s) => ({ canvas: { task: 'add', args: [1, 2] }, workflowId: s })],
      ['POST', '/users', (s) => ({ name: s, email: `${uid()}@example.com` })],
      ['POST', '/users', (s) => ({ name: 'fuzz', email: `${s}@exämple.com` })],
      ['POST', '/comments', (s) => ({ authorId: '65a1b2c3d4e5f60718293a4b', text: s })],
      [
        'POST',
        '/schedules',
        (s) => ({
          id: `fuzz-${uid()}`,
          spec: { intervals: [{ every: '1h' }] },
          action: { canvas: { task: 'noop' } },
          state: { paused: true, note: s },
          memo: { [s.slice(0, 100) || 'k']: s },
        }),
      ],
      ['POST', `/workflows/${runId}/events/fuzz`, (s) => ({ payload: s })],
      ['POST', `/workflows/${runId}/terminate`, (s) => ({ reason: s })],
      ['POST', '/codec/decode', (s) => ({ payloads: [{ metadata: { encoding: s }, data: s }] })],
    ];
    for (const [method, path, body] of bodies) for (const s of strange) await send(method, path, body(s));
    // A lone surrogate has no UTF-8 form (gRPC refused it with INTERNAL): a 400 at its path.
    const lone = await send('POST', '/schedules', {
      id: `fuzz-${uid()}`,
      spec: { intervals: [{ every: '1h' }] },
      action: { canvas: { task: 'noop' } },
      state: { paused: true, note: 'a\udfff' },
    });
    expect([lone.status, (parse(lone.text) as { errors?: unknown }).errors]).toEqual([
      400,
      [{ path: 'state.note', message: expect.stringContaining('well-formed Unicode') }],
    ]);
    // Bytes that are not UTF-8, a BOM, UTF-16, and charsets the API does not read.
    const rawBodies: Array<[string, Buffer]> = [
      ['application/json', Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0xc0, 0xae, 0x22, 0x7d])],
      ['application/json', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"canvas":{"task":"noop"}}')])],
      ['application/json; charset=utf-16', Buffer.from('{"canvas":{"task":"noop"}}', 'utf16le')],
      ['application/json; charset=latin1', Buffer.from('{"name":"caf\xe9","email":"x@example.com"}', 'latin1')],
      ['application/json; charset=nonsense', Buffer.from('{}')],
      ['application/json; charset="utf-8"; charset=utf-16', Buffer.from('{}')],
      [
        'multipart/form-data; boundary=x',
        Buffer.from('--x\r\nContent-Disposition: form-data; name="file"; filename="\u00ff.png"\r\n\r\n\xff\xd8\r\n--x--\r\n', 'latin1'),
      ],
      ['multipart/form-data', Buffer.from('no boundary')],
    ];
    for (const path of ['/workflows', '/users', '/comments', '/schedules', '/users/65a1b2c3d4e5f60718293a4b/avatar']) {
      for (const [type, bytes] of rawBodies) await send('POST', path, bytes, { 'content-type': type });
    }
  });

  test('raw bytes: non-ASCII in the request line and headers, odd header values', async () => {
    const requests = [
      'GET /workflows/\u00fc\u00e9 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n',
      'GET /workflows/ü😀 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n',
      'POST /workflows HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nIdempotency-Key: ü😀\r\nContent-Length: 26\r\n\r\n{"canvas":{"task":"noop"}}',
      'POST /comments HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nIdempotency-Key: \u00ff\u00fe\r\nContent-Length: 2\r\n\r\n{}',
      'GET /workflows/x HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ü😀\r\n\r\n',
      'GET /workflows/x HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Request-Id: ü😀\r\n\r\n',
      'GET /workflows/x HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Forwarded-For: ü, 999.999.999.999, ::ffff:zz\r\n\r\n',
      'GET /workflows/x/result?timeout=%F0%9F%98%80 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n',
      `GET /workflows/${'%'.repeat(3000)} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`,
      'POST /workflows HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 99999999999999999999\r\n\r\n{}',
      'POST /workflows HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffff\r\n{}\r\n0\r\n\r\n',
      'GET /workflows/x HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: \u00ff/\u00fe\r\n\r\n',
    ];
    for (const text of requests) {
      const encodings: BufferEncoding[] = ['utf8', 'latin1'];
      for (const encoding of encodings) {
        const { status, text: answer } = await rawBytes(Buffer.from(text, encoding));
        sent++;
        // 0: the server's parser refused the bytes and closed the connection, which is a refusal too.
        if (status >= 500 && status !== 503) failures.push(`${encoding} ${JSON.stringify(text.slice(0, 120))}: ${status} ${answer.slice(0, 200)}`);
      }
    }
  });
});
