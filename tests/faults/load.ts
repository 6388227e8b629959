/**
 * The fault suite's light mixed load, as a careful client sends it: 50 chains of add/mul and a Python py.add
 * through POST /workflows, users and 10 comments that mention two of them each, and 3
 * avatar uploads. A request that gets no answer (the API was killed) or a 503 is sent
 * again after Retry-After, with the same Idempotency-Key, so a retry never doubles work.
 * Then every operation that got a 2xx is checked to its end: chain results, comments
 * published with each mention mailed exactly once (counted in the SMTP sink), thumbnails
 * served.
 */
import { pngImage } from '../fixtures/images';

export interface Answers {
  /** HTTP requests sent and not yet answered. */
  inFlight: number;
  /** Every status answered, for the 5xx count. */
  statuses: number[];
  /** Requests that got no answer at all (connection refused or reset) and were sent again. */
  noAnswer: number;
  /** The longest a 503 took to come, in ms. */
  slowest503Ms: number;
}

export interface Endpoints {
  api: string;
  inbox: string;
}

interface Reply {
  status: number;
  body: any;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Sends until an answer other than 503 comes (or `deadline`); every answer is recorded. */
async function send(answers: Answers, deadline: number, url: string, init: () => RequestInit): Promise<Reply & { retried: boolean }> {
  let retried = false;
  for (;;) {
    answers.inFlight++;
    let response: Response | undefined;
    const sentAt = Date.now();
    try {
      response = await fetch(url, { ...init(), signal: AbortSignal.timeout(120_000) });
    } catch {
      answers.noAnswer++;
    } finally {
      answers.inFlight--;
    }
    if (response) {
      answers.statuses.push(response.status);
      if (response.status === 503) answers.slowest503Ms = Math.max(answers.slowest503Ms, Date.now() - sentAt);
      const text = await response.text();
      let body: unknown = text;
      try {
        body = text ? JSON.parse(text) : undefined;
      } catch {
        // not JSON
      }
      if (response.status !== 503) return { status: response.status, body, retried };
    }
    if (Date.now() > deadline) throw new Error(`no answer but 503 or none from ${url} before the deadline`);
    retried = true;
    const after = Number(response?.headers.get('retry-after'));
    await sleep(Number.isFinite(after) && after > 0 ? Math.min(after, 5) * 1000 : 1000);
  }
}

const json =
  (method: string, body: unknown, headers: Record<string, string> = {}) =>
  () => ({
    method,
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });

/** Runs `work` over `items` with at most `limit` at once. */
async function pool<T, R>(items: T[], limit: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        results[i] = await work(items[i], i);
      }
    }),
  );
  return results;
}

export interface Accepted {
  chains: Array<{ workflowId: string; expected: number }>;
  comments: Array<{ id: string; recipients: string[] }>;
  avatars: Array<{ userId: string; workflowId: string }>;
  /** Operations the API refused with something other than 2xx (a 4xx is a bug in the load or the API). */
  refused: string[];
}

export interface LoadOptions {
  /** Prefixes every id and name this load makes, so rounds never share one. */
  round: string;
  /** The round's number: it sizes the avatar pictures, so each round's are new (and small). */
  index: number;
  chains: number;
  comments: number;
  avatars: number;
  /** Give up sending a request after this moment. */
  deadline: number;
}

/** Sends the load; resolves with what was accepted once every request has its answer. */
export async function sendLoad(endpoints: Endpoints, answers: Answers, options: LoadOptions): Promise<Accepted> {
  const { round, deadline } = options;
  const accepted: Accepted = { chains: [], comments: [], avatars: [], refused: [] };

  const chains = pool(
    Array.from({ length: options.chains }, (_, i) => i),
    6,
    async (i) => {
      const [a, b, c, d] = [i, (i * 7) % 11, (i % 5) + 2, i * 3];
      const workflowId = `fault-${round}-chain-${i}`;
      const canvas = {
        chain: [
          { task: 'add', args: [a, b] },
          { task: 'mul', args: [c] },
          // A step on the Python pool (tests/fixtures/celery): its kill -9 is one of the faults.
          { task: 'py.add', args: [d] },
        ],
      };
      const reply = await send(answers, deadline, `${endpoints.api}/workflows`, json('POST', { canvas }, { 'idempotency-key': workflowId }));
      if (reply.status === 201 || reply.status === 200) accepted.chains.push({ workflowId, expected: (a + b) * c + d });
      else accepted.refused.push(`POST /workflows ${workflowId}: ${reply.status} ${JSON.stringify(reply.body).slice(0, 300)}`);
    },
  );

  const domain = (async () => {
    // Each comment has its own author and mentions two people no other comment mentions,
    // so every recipient must receive exactly one email.
    const people = Array.from({ length: options.comments * 3 }, (_, i) => `f${round.replace(/\W/g, '')}p${i}${Math.random().toString(36).slice(2, 6)}`);
    const users = await pool(people, 4, (name) => createUser(endpoints, answers, deadline, name, accepted));
    const texts = Array.from({ length: options.comments }, (_, c) => c);
    const posting = pool(texts, 4, async (c) => {
      const [author, first, second] = [users[c * 3], users[c * 3 + 1], users[c * 3 + 2]];
      if (!author || !first || !second) return;
      const key = `fault-${round}-comment-${c}`;
      const text = `@${first.name} @${second.name} the server migration plan is ready for review.`;
      const reply = await send(answers, deadline, `${endpoints.api}/comments`, json('POST', { authorId: author.id, text }, { 'idempotency-key': key }));
      if (reply.status === 202) accepted.comments.push({ id: reply.body.id, recipients: [first.email, second.email] });
      else accepted.refused.push(`POST /comments ${key}: ${reply.status} ${JSON.stringify(reply.body).slice(0, 300)}`);
    });
    const uploading = pool(
      Array.from({ length: options.avatars }, (_, k) => k),
      3,
      async (k) => {
        const user = users[k * 3];
        if (!user) return;
        const image = await avatarImage(options.index, k);
        const reply = await send(answers, deadline, `${endpoints.api}/users/${user.id}/avatar`, () => {
          const form = new FormData();
          form.append('file', new Blob([new Uint8Array(image)], { type: 'image/png' }), 'avatar.png');
          return { method: 'POST', body: form };
        });
        if (reply.status === 202) accepted.avatars.push({ userId: user.id, workflowId: reply.body.workflowId });
        else accepted.refused.push(`POST /users/${user.id}/avatar: ${reply.status} ${JSON.stringify(reply.body).slice(0, 300)}`);
      },
    );
    await Promise.all([posting, uploading]);
  })();

  await Promise.all([chains, domain]);
  return accepted;
}

/**
 * A picture unique to a round and upload, so its workflow is new: (160 + k) × (120 + round)
 * pixels, about 50 KB. The size once came from every digit of the round's name, timestamp
 * included, which now and then made a picture hundreds of thousands of pixels tall and over
 * the API's 5 MB limit: a correct 413 that read as a wrong one.
 */
export function avatarImage(round: number, k: number): Promise<Buffer> {
  return pngImage(160 + k, 120 + round);
}

async function createUser(endpoints: Endpoints, answers: Answers, deadline: number, name: string, accepted: Accepted) {
  // POST /users has no idempotency key: a 409 after a request that got no answer means the
  // first one went through and its id is unknown, so that person is made again under a new name.
  for (let attempt = 0; attempt < 3; attempt++) {
    const who = attempt === 0 ? name : `${name}r${attempt}`;
    const email = `${who}@example.com`;
    const reply = await send(answers, deadline, `${endpoints.api}/users`, json('POST', { name: who, email }));
    if (reply.status === 201) return { id: reply.body.id as string, name: who, email };
    if (!(reply.status === 409 && reply.retried)) {
      accepted.refused.push(`POST /users ${who}: ${reply.status} ${JSON.stringify(reply.body).slice(0, 300)}`);
      return undefined;
    }
  }
  return undefined;
}

export interface Outcome {
  /** Accepted operations that did not end as they must (with what went wrong). */
  lost: string[];
  /** Emails received more than once, runs started twice. */
  duplicated: string[];
}

async function getJson(url: string): Promise<Reply> {
  const response = await fetch(url, { signal: AbortSignal.timeout(120_000) });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON
  }
  return { status: response.status, body };
}

/** Polls `probe` until it answers true or `deadline`; a thrown error counts as "not yet". */
async function eventually(deadline: number, probe: () => Promise<boolean>): Promise<boolean> {
  for (;;) {
    if (await probe().catch(() => false)) return true;
    if (Date.now() > deadline) return false;
    await sleep(1000);
  }
}

/** Waits (up to `deadline`) for every accepted operation to end, and checks how it ended. */
export async function verify(endpoints: Endpoints, accepted: Accepted, deadline: number): Promise<Outcome> {
  const lost: string[] = [];
  const duplicated: string[] = [];
  await pool(accepted.chains, 8, async ({ workflowId, expected }) => {
    let last: Reply | undefined;
    const ok = await eventually(deadline, async () => {
      last = await getJson(`${endpoints.api}/workflows/${encodeURIComponent(workflowId)}/result?timeout=20s`);
      return last.status === 200 && last.body.status !== 'RUNNING';
    });
    if (!ok || last?.body.status !== 'COMPLETED' || last.body.result !== expected) {
      lost.push(`chain ${workflowId}: expected ${expected}, got ${last ? `${last.status} ${JSON.stringify(last.body).slice(0, 300)}` : 'nothing'}`);
    }
  });
  await pool(accepted.comments, 5, async ({ id }) => {
    let last: Reply | undefined;
    const ok = await eventually(deadline, async () => {
      last = await getJson(`${endpoints.api}/comments/${id}`);
      return last.status === 200 && last.body.status === 'published' && last.body.emails !== null;
    });
    if (!ok) lost.push(`comment ${id}: ${last ? `${last.status} ${JSON.stringify(last.body).slice(0, 300)}` : 'no answer'}`);
  });
  // Each recipient exactly once; the sink stores a message before it answers 250.
  const recipients = accepted.comments.flatMap((c) => c.recipients.map((r) => r.toLowerCase()));
  let counts = new Map<string, number>();
  const countMail = async () => {
    const messages = (await getJson(`${endpoints.inbox}/messages`)).body as Array<{ to: string[]; messageId: string | null }>;
    counts = new Map();
    for (const m of messages) for (const to of m.to) counts.set(to.toLowerCase(), (counts.get(to.toLowerCase()) ?? 0) + 1);
    return recipients.every((r) => (counts.get(r) ?? 0) >= 1);
  };
  await eventually(deadline, countMail);
  // A moment for a late duplicate to land, then count again.
  await sleep(2000);
  await countMail();
  for (const r of recipients) {
    const n = counts.get(r) ?? 0;
    if (n === 0) lost.push(`email to ${r}: not received`);
    if (n > 1) duplicated.push(`email to ${r}: received ${n} times`);
  }
  await pool(accepted.avatars, 3, async ({ userId, workflowId }) => {
    let last: Reply | undefined;
    const ok = await eventually(deadline, async () => {
      last = await getJson(`${endpoints.api}/workflows/${encodeURIComponent(workflowId)}/result?timeout=20s`);
      return last.status === 200 && last.body.status !== 'RUNNING';
    });
    if (!ok || last?.body.status !== 'COMPLETED') {
      lost.push(`avatar ${workflowId}: ${last ? `${last.status} ${JSON.stringify(last.body).slice(0, 300)}` : 'nothing'}`);
      return;
    }
    for (const size of [64, 128, 256]) {
      const response = await fetch(`${endpoints.api}/users/${userId}/avatar/${size}`);
      const bytes = Buffer.from(await response.arrayBuffer());
      if (response.status !== 200 || response.headers.get('content-type') !== 'image/webp' || bytes.subarray(8, 12).toString('latin1') !== 'WEBP') {
        lost.push(`avatar ${workflowId}: ${size} px thumbnail answered ${response.status}`);
      }
    }
  });
  return { lost, duplicated };
}
