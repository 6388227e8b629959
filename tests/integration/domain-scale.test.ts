/**
 * The domain at scale, on the real stack: a file read among many stored files uses an
 * index (not a scan), the digest of 20,000 users completes page by page with every run's
 * history far under Temporal's 2 MB, mentions are bounded in recipients per comment, and
 * comment lists page with a cursor. Data is loaded straight into the database, not through
 * the API, where the API is not what is being tested.
 */
import { randomBytes } from 'node:crypto';
import mongoose from 'mongoose';
import { connectDatabase, disconnectDatabase } from '../../src/db/mongo';
import { Comment, User, initModels } from '../../src/app/models';
import { CHUNKS_COLLECTION, FILES_COLLECTION, chunkId, putFile, readFile } from '../../src/app/avatars/store';
import { originalFileId } from '../../src/app/ids';
import { INBOX_COLLECTION } from '../../src/app/comments/mention-inbox';
import { WORKFLOW_TASK_QUEUE } from '../../src/workflows/tasks/pools';
import { call, inbox, temporalClient, waitForEnd } from '../support/http';

const run = randomBytes(3).toString('hex');
const hex24 = (n: number) => n.toString(16).padStart(24, '0');

beforeAll(async () => {
  await connectDatabase(process.env.MONGODB_URI!);
  await initModels();
});

afterAll(async () => {
  await disconnectDatabase();
});

/** Whether a lookup is answered from an index: FerretDB's SQLite plan, or MongoDB's winning plan. */
async function usesIndex(collection: string, id: string): Promise<boolean> {
  const plan = JSON.stringify(
    await mongoose.connection
      .db!.collection(collection)
      .find({ _id: id as never })
      .explain(),
  );
  if (plan.includes('ferretdb') || plan.includes('"Plan"')) return /SEARCH .* USING INDEX/.test(plan);
  return !plan.includes('COLLSCAN');
}

describe('stored files at many files', () => {
  test('400 stored files: each reads back whole, and its lookups use an index', async () => {
    const ids: string[] = [];
    const bodies = new Map<string, Buffer>();
    for (let i = 0; i < 400; i++) {
      const id = originalFileId(hex24(0xf11e0000 + i), `${run}${i.toString(16)}`.padEnd(32, '0'));
      // Every tenth file spans chunks; the rest are thumbnail-sized (stored inline).
      const bytes = randomBytes(i % 10 === 0 ? 300 * 1024 : 3 * 1024);
      await putFile(id, `${id}.png`, bytes, { userId: hex24(i) });
      ids.push(id);
      bodies.set(id, bytes);
    }
    for (const id of [ids[0], ids[1], ids[399], ids[390]]) expect((await readFile(id)).equals(bodies.get(id)!)).toBe(true);
    expect(await usesIndex(FILES_COLLECTION, ids[200])).toBe(true);
    expect(await usesIndex(CHUNKS_COLLECTION, chunkId(ids[200], 0))).toBe(true);
    // A catastrophe guard only (a scan of every file took seconds): not a speed assertion.
    const started = Date.now();
    await readFile(ids[390]);
    expect(Date.now() - started).toBeLessThan(5_000);
  }, 300_000);
});

describe('digest at 20,000 users', () => {
  test('completes page by page; no run history over 2 MB', async () => {
    const users = Array.from({ length: 20_000 }, (_, i) => ({
      _id: new mongoose.Types.ObjectId(),
      name: `scale${run}${i}`,
      nameKey: `scale${run}${i}`,
      email: `scale${run}${i}@example.test`,
      createdAt: new Date(),
      updatedAt: new Date(),
    }));
    for (let i = 0; i < users.length; i += 1000) await User.collection.insertMany(users.slice(i, i + 1000));
    // Every 500th user was mentioned by one published comment.
    const author = users[0]._id;
    const mentioned = users.filter((_, i) => i % 500 === 1);
    const publishedAt = new Date(Date.now() - 60_000);
    for (const user of mentioned) {
      const comment = await Comment.collection.insertOne({
        author,
        text: `hello @${user.name}`,
        mentions: [user._id],
        status: 'published',
        publishedAt,
        workflowId: 'loaded',
        requestKey: `${run}:${String(user._id)}`,
        createdAt: publishedAt,
        updatedAt: publishedAt,
      });
      await mongoose.connection
        .db!.collection(INBOX_COLLECTION)
        .replaceOne({ _id: String(user._id) as never }, { items: [{ commentId: String(comment.insertedId), at: publishedAt }] }, { upsert: true });
      await User.collection.updateOne({ _id: user._id }, { $set: { lastMentionedAt: publishedAt } });
    }

    const client = await temporalClient();
    const workflowId = `digest-scale-${run}`;
    const outcome = (await client.workflow.execute('digest', { taskQueue: WORKFLOW_TASK_QUEUE, workflowId, args: [], workflowExecutionTimeout: '20m' })) as {
      users: number;
      failed: number;
    };
    expect(outcome.users).toBeGreaterThanOrEqual(mentioned.length);

    // Follow the continue-as-new chain back from the last run: every run's history is small.
    const runs: Array<{ bytes: number; events: number }> = [];
    let runId: string | undefined = (await client.workflow.getHandle(workflowId).describe()).runId;
    while (runId) {
      const description: { raw: { workflowExecutionInfo?: { historySizeBytes?: unknown; historyLength?: unknown; firstRunId?: string | null } | null } } =
        await client.workflow.getHandle(workflowId, runId).describe();
      const info = description.raw.workflowExecutionInfo!;
      runs.push({ bytes: Number(info.historySizeBytes ?? 0), events: Number(info.historyLength ?? 0) });
      runId = info.firstRunId && info.firstRunId !== runId ? await previousRun(client, workflowId, runId) : undefined;
    }
    expect(runs.length).toBeGreaterThanOrEqual(20); // 20,000 users in pages of 1,000
    expect(Math.max(...runs.map((r) => r.bytes))).toBeLessThan(2 * 1024 * 1024);
    expect(Math.max(...runs.map((r) => r.bytes))).toBeGreaterThan(0);

    const digests = (await inbox()).filter((m) => m.subject?.startsWith('Your digest') && mentioned.some((u) => m.to.includes(u.email)));
    expect(digests).toHaveLength(mentioned.length);
    await client.connection.close();
  }, 1_200_000);
});

/** The run a continued run came from (its first event names it). */
async function previousRun(client: Awaited<ReturnType<typeof temporalClient>>, workflowId: string, runId: string): Promise<string | undefined> {
  const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
  const started = history.events?.[0]?.workflowExecutionStartedEventAttributes;
  return started?.continuedExecutionRunId || undefined;
}

describe('mentions and lists', () => {
  test('a name 55 users share mails 50 of them (MENTION_MAX_RECIPIENTS), never the author', async () => {
    const name = `shared${run}`;
    const created: string[] = [];
    for (let i = 0; i < 55; i++) {
      const reply = await call('POST', '/users', { name, email: `${name}.${i}@example.test` });
      expect(reply.status).toBe(201);
      created.push(reply.body.id);
    }
    const posted = await call('POST', '/comments', { authorId: created[0], text: `hello @${name}` });
    expect(posted.status).toBe(202);
    expect(posted.body.mentions).toHaveLength(50);
    expect(posted.body.mentions).not.toContain(created[0]);
    const outcome = await waitForEnd(posted.body.workflowId, '180s');
    expect(outcome).toMatchObject({ status: 'COMPLETED', result: { status: 'published', emails: { sent: 50, failed: 0 } } });
  }, 300_000);

  test('comments by status page newest first with a cursor; a bad cursor is a 400 with its path', async () => {
    const author = await call('POST', '/users', { name: `lister${run}`, email: `lister${run}@example.test` });
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const posted = await call('POST', '/comments', { authorId: author.body.id, text: `list item ${i} ${run}` });
      await waitForEnd(posted.body.workflowId);
      ids.push(posted.body.id);
    }
    const seen: string[] = [];
    let cursor: string | null | undefined;
    while (seen.length < 5) {
      const page = await call('GET', `/comments?status=published&limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.status).toBe(200);
      expect(page.body.items.length).toBeLessThanOrEqual(2);
      expect(page.body.items.every((c: { status: string }) => c.status === 'published')).toBe(true);
      seen.push(...page.body.items.map((c: { id: string }) => c.id));
      cursor = page.body.nextCursor;
      if (!cursor) break;
    }
    expect(seen.slice(0, 5)).toEqual([...ids].reverse());
    const bad = await call('GET', '/comments?status=published&cursor=abc');
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain('query.cursor');
  }, 180_000);
});
