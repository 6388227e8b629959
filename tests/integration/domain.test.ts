/**
 * The domain end to end, against the real dev server, FerretDB, the SMTP sink and every
 * worker pool: comments (spam, publish, mention emails), avatars (the file store, thumbnails),
 * the digest, hostile input, and email that survives a killed pool and a stopped server.
 */
import { createHash, randomBytes } from 'node:crypto';
import mongoose from 'mongoose';
import sharp from 'sharp';
import { connectDatabase, disconnectDatabase } from '../../src/db/mongo';
import { Comment, EmailLog, User, commentWorkflowId } from '../../src/app/models';
import { findFile, putFile } from '../../src/app/avatars/store';
import { mentionEmail } from '../../src/app/email/templates';
import { originalFileId } from '../../src/app/ids';
import { sniffImage } from '../../src/app/avatars/image-sniff';
import { headerProblem } from '../../src/app/email/mail-safety';
import { mentionedNames } from '../../src/app/comments/mentions';
import { unsafeKeys } from '../../src/app/safe-keys';
import { WORKFLOW_TASK_QUEUE } from '../../src/workflows/tasks/pools';
import { corruptPng, pngBomb, pngImage, textFile } from '../fixtures/images';
import { apiUrl, call, control, inbox, pids, runCanvas, temporalClient, waitFor, waitForEnd } from '../support/http';

const run = randomBytes(3).toString('hex');
let sequence = 0;

interface TestUser {
  id: string;
  name: string;
  email: string;
}

/** A user with a fresh, mentionable name and a unique address on this run. */
async function createUser(prefix: string, domain = 'example.test'): Promise<TestUser> {
  const name = `${prefix}${run}${++sequence}`;
  const email = `${name}@${domain}`;
  const reply = await call('POST', '/users', { name, email });
  expect(reply.status).toBe(201);
  return { id: reply.body.id, name, email };
}

async function mailTo(address: string) {
  return (await inbox()).filter((m) => m.to.includes(address));
}

/** Polls the inbox (riding out a sink that is still starting) until `count` messages reached `address`. */
async function waitForMail(address: string, count: number, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const messages = await mailTo(address).catch((error: Error) => {
      if (Date.now() > deadline) throw error;
      return [];
    });
    if (messages.length >= count || Date.now() > deadline) return messages;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

async function upload(userId: string, bytes: Buffer, filename: string, type = 'image/png') {
  const form = new FormData();
  form.append('file', new Blob([new Uint8Array(bytes)], { type }), filename);
  const response = await fetch(`${apiUrl()}/users/${userId}/avatar`, { method: 'POST', body: form });
  return { status: response.status, body: (await response.json()) as Record<string, any> };
}

async function pidOf(name: string): Promise<number> {
  return (await pids())[name];
}

beforeAll(async () => {
  await connectDatabase(process.env.MONGODB_URI!);
});

afterAll(async () => {
  await disconnectDatabase();
});

describe('pure pieces', () => {
  test('mentions are @name tokens at word starts, distinct and lowercased; email addresses are not mentions', () => {
    expect(mentionedNames('hi @Bob, @alice and @bob. mail carol@example.test or @dee-2.')).toEqual(['bob', 'alice', 'dee-2']);
  });

  test('operator and dotted keys are found at any depth', () => {
    expect(unsafeKeys({ a: { $gt: 1 }, b: [{ 'c.d': 1 }], e: 'ok' }).map((i) => i.path)).toEqual(['a.$gt', 'b[0].c.d']);
  });

  test('headers refuse CR/LF and odd addresses; HTML bodies escape user text', () => {
    expect(headerProblem({ to: 'a@example.test', subject: 'hi\r\nBcc: x@example.test' })).toMatch(/CR\/LF/);
    expect(headerProblem({ to: 'a@example.test>, b@example.test', subject: 'hi' })).toMatch(/not an email address/);
    expect(headerProblem({ to: 'a@example.test', toName: 'A', subject: 'hi' })).toBeUndefined();
    const mail = mentionEmail({
      recipient: { name: 'Bo', email: 'bo@example.test' },
      author: { name: '<b>Al</b>', email: 'al@example.test' },
      text: '<script>x()</script>',
      commentId: 'c1',
    });
    expect(mail.html).not.toContain('<script>');
    expect(mail.html).toContain('&#60;script&#62;');
  });

  test('image types come from magic bytes, sizes from headers', async () => {
    expect(sniffImage(await pngImage(30, 20))).toEqual({ type: 'png', mime: 'image/png', width: 30, height: 20 });
    expect(
      sniffImage(
        await sharp(await pngImage(30, 20))
          .jpeg()
          .toBuffer(),
      ),
    ).toMatchObject({ type: 'jpeg', width: 30, height: 20 });
    expect(
      sniffImage(
        await sharp(await pngImage(30, 20))
          .webp()
          .toBuffer(),
      ),
    ).toMatchObject({ type: 'webp', width: 30, height: 20 });
    expect(
      sniffImage(
        await sharp(await pngImage(30, 20))
          .gif()
          .toBuffer(),
      ),
    ).toMatchObject({ type: 'gif', width: 30, height: 20 });
    expect(sniffImage(pngBomb())).toMatchObject({ type: 'png', width: 20_000, height: 20_000 });
    expect(sniffImage(textFile())).toBeUndefined();
  });
});

describe('users', () => {
  test('create, read, 409 on a duplicate email, 404 for unknown and malformed ids', async () => {
    const user = await createUser('ann');
    const read = await call('GET', `/users/${user.id}`);
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({ id: user.id, name: user.name, email: user.email, avatar: null });
    const duplicate = await call('POST', '/users', { name: 'someone else', email: user.email.toUpperCase() });
    expect(duplicate.status).toBe(409);
    expect(duplicate.headers.get('content-type')).toContain('application/problem+json');
    expect((await call('GET', '/users/000000000000000000000000')).status).toBe(404);
    expect((await call('GET', '/users/not-an-id')).status).toBe(404);
    expect((await call('GET', '/users/not-an-id/avatar/64')).status).toBe(404);
  });

  test('bad bodies, $-operator injection and CR/LF in names answer 4xx with paths, and write nothing', async () => {
    const before = await User.countDocuments();
    const cases: Array<[unknown, number, string]> = [
      ['{"name": ', 400, ''],
      [{ name: 'eve', email: { $gt: '' } }, 400, 'email.$gt'],
      [{ name: { $ne: null }, email: 'eve@example.test' }, 400, 'name.$ne'],
      [{ name: 'eve', email: 'eve@example.test', 'profile.admin': true }, 400, 'profile.admin'],
      [{ name: 'Eve\r\nBcc: everyone@example.test', email: 'eve-crlf@example.test' }, 400, 'name'],
      [{ name: 'Eve\n', email: 'eve-lf@example.test' }, 400, 'name'],
      [{ name: 'eve', email: 'eve@example.test\r\nBcc: x@example.test' }, 400, 'email'],
      [{ name: 'eve', email: 'not an address' }, 400, 'email'],
      [{ name: 'eve', email: 'eve-extra@example.test', role: 'admin' }, 400, 'role'],
      [{ name: '   ', email: 'eve-blank@example.test' }, 400, 'name'],
      [[{ name: 'eve', email: 'eve-array@example.test' }], 400, ''],
    ];
    for (const [body, status, path] of cases) {
      const reply = await call('POST', '/users', body);
      expect({ body, status: reply.status }).toEqual({ body, status });
      expect(reply.body.errors.map((e: { path: string }) => e.path)).toContain(path);
    }
    // A repeated query parameter (an array) is not a status either.
    expect((await call('GET', '/comments?status=spam&status=published')).status).toBe(400);
    expect(await User.countDocuments()).toBe(before);
  });
});

describe('comments', () => {
  test('a comment mentioning two users is published and each gets exactly one email', async () => {
    const [author, bob, cy, bystander] = [await createUser('auth'), await createUser('bob'), await createUser('cy'), await createUser('by')];
    const text = `Thanks @${bob.name} and @${cy.name.toUpperCase()}, the fix is merged. Mailing ${bystander.email} is not a mention.`;
    const key = `post-${run}-1`;
    const posted = await call('POST', '/comments', { authorId: author.id, text }, { 'idempotency-key': key });
    expect(posted.status).toBe(202);
    expect(posted.body).toMatchObject({ status: 'pending', workflowId: `comment-${posted.body.id}` });

    const runView = await waitForEnd(posted.body.workflowId);
    expect(runView).toMatchObject({
      status: 'COMPLETED',
      type: 'commentPosted',
      result: { status: 'published', emails: { sent: 2, duplicates: 0, failed: 0 } },
    });

    const comment = (await call('GET', `/comments/${posted.body.id}`)).body;
    expect(comment).toMatchObject({ status: 'published', authorId: author.id, emails: { sent: 2, failed: 0 } });
    expect(comment.spamScore).toBeLessThan(0.5);
    expect([...comment.mentions].sort()).toEqual([bob.id, cy.id].sort());

    const toBob = await mailTo(bob.email);
    const toCy = await mailTo(cy.email);
    expect(toBob).toHaveLength(1);
    expect(toCy).toHaveLength(1);
    expect(toBob[0].subject).toContain(`${author.name} mentioned you`);
    const ids = [toBob[0].messageId, toCy[0].messageId];
    expect(ids.every((id) => typeof id === 'string' && /^<[0-9a-f]{40}@/.test(id!))).toBe(true);
    expect(new Set(ids).size).toBe(2);
    expect(await mailTo(author.email)).toHaveLength(0);
    expect(await mailTo(bystander.email)).toHaveLength(0);

    // The same request again (a client retry): the same comment and run, and no new email.
    const again = await call('POST', '/comments', { authorId: author.id, text }, { 'idempotency-key': key });
    expect(again.status).toBe(202);
    expect(again.body).toMatchObject({ id: posted.body.id, workflowId: posted.body.workflowId, existing: true });
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(await mailTo(bob.email)).toHaveLength(1);

    const listed = await call('GET', '/comments?status=published&limit=200');
    expect(listed.body.items.map((c: { id: string }) => c.id)).toContain(posted.body.id);
    expect((await call('GET', '/comments?status=bogus')).status).toBe(400);
    expect((await call('GET', '/comments/not-an-id')).status).toBe(404);
  });

  test('a spammy comment is marked spam and sends nothing', async () => {
    const [author, dee] = [await createUser('spammer'), await createUser('dee')];
    const text = `@${dee.name} FREE MONEY!!! Click here http://cheap-pills.example.com to claim your $1000 CASH PRIZE now. Limited time offer, act now, no credit check! Unsubscribe below.`;
    const posted = await call('POST', '/comments', { authorId: author.id, text });
    expect(posted.status).toBe(202);
    const runView = await waitForEnd(posted.body.workflowId);
    expect(runView).toMatchObject({ status: 'COMPLETED', result: { status: 'spam', emails: null } });
    const comment = (await call('GET', `/comments/${posted.body.id}`)).body;
    expect(comment).toMatchObject({ status: 'spam', mentions: [dee.id], emails: null, publishedAt: null });
    expect(comment.spamScore).toBeGreaterThan(0.5);
    expect(await mailTo(dee.email)).toHaveLength(0);
    expect((await call('GET', '/comments?status=spam')).body.items.map((c: { id: string }) => c.id)).toContain(posted.body.id);

    // The ml pool's tasks are canvas tasks too: one text, or many in one activity.
    const one = await runCanvas({ canvas: { task: 'spam.detect', args: [{ text }] } });
    expect(one.result).toMatchObject({ spam: true });
    const batch = await runCanvas({ canvas: { task: 'spam.detectBatch', args: [[text, 'Thanks for the review, I pushed the fix to the branch.']] } });
    expect(batch.result.map((v: { spam: boolean }) => v.spam)).toEqual([true, false]);
  });

  test('bad comments answer 4xx and write nothing; a rejected recipient fails alone', async () => {
    const author = await createUser('critic');
    const before = await mongoose.connection.db!.collection('comments').countDocuments();
    expect((await call('POST', '/comments', { authorId: author.id, text: { $gt: '' } })).status).toBe(400);
    expect((await call('POST', '/comments', { authorId: 'nope', text: 'hi' })).body.errors).toEqual([{ path: 'authorId', message: expect.any(String) }]);
    expect((await call('POST', '/comments', { authorId: '0123456789abcdef01234567', text: 'hi' })).status).toBe(422);
    expect((await call('POST', '/comments', { authorId: author.id, text: '' })).status).toBe(400);
    expect((await call('POST', '/comments', { authorId: author.id, text: 'a\u0000b' })).status).toBe(400);
    expect(await mongoose.connection.db!.collection('comments').countDocuments()).toBe(before);

    // 550 from the server for one mention: that email fails for good, the other goes out.
    const [bounced, fine] = [await createUser('gone', 'reject.test'), await createUser('fine')];
    const posted = await call('POST', '/comments', {
      authorId: author.id,
      text: `cc @${bounced.name} @${fine.name}: notes from today's review are in the doc.`,
    });
    const runView = await waitForEnd(posted.body.workflowId);
    expect(runView).toMatchObject({ status: 'COMPLETED', result: { status: 'published', emails: { sent: 1, failed: 1 } } });
    expect(await mailTo(fine.email)).toHaveLength(1);
    const failed = await EmailLog.findOne({ to: bounced.email }).lean();
    expect(failed).toMatchObject({ state: 'failed', attempts: 1, lastError: expect.stringContaining('550') });
  });
});

describe('avatars', () => {
  test('an upload yields three WebP thumbnails of the right sizes, served with ETag and caching', async () => {
    const user = await createUser('pic');
    expect((await call('GET', `/users/${user.id}/avatar/64`)).status).toBe(404);
    const image = await pngImage(300, 200);
    const started = await upload(user.id, image, 'holiday.png');
    expect(started.status).toBe(202);
    expect(started.body.workflowId).toMatch(new RegExp(`^avatar-${user.id}-[0-9a-f]{32}$`));
    // A retried upload of the same bytes is the same run, not a second one.
    const retried = await upload(user.id, image, 'holiday.png');
    expect(retried.body.workflowId).toBe(started.body.workflowId);

    const runView = await waitForEnd(started.body.workflowId);
    expect(runView).toMatchObject({ status: 'COMPLETED', type: 'avatarUploaded', result: { applied: true } });
    const read = (await call('GET', `/users/${user.id}`)).body;
    expect(read.avatar.sizes.sort((a: number, b: number) => a - b)).toEqual([64, 128, 256]);

    for (const size of [64, 128, 256]) {
      const response = await fetch(`${apiUrl()}/users/${user.id}/avatar/${size}`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('image/webp');
      expect(response.headers.get('cache-control')).toContain('max-age');
      const etag = response.headers.get('etag');
      expect(etag).toMatch(/^"[0-9a-f]{64}"$/);
      const meta = await sharp(Buffer.from(await response.arrayBuffer())).metadata();
      expect(meta).toMatchObject({ format: 'webp', width: size, height: size });
      const cached = await fetch(`${apiUrl()}/users/${user.id}/avatar/${size}`, { headers: { 'if-none-match': etag! } });
      expect(cached.status).toBe(304);
    }
    expect((await call('GET', `/users/${user.id}/avatar/100`)).status).toBe(404);
  });

  test('a text file named .png, a pixel bomb, an oversize and an undecodable upload are refused; the media worker lives on', async () => {
    const user = await createUser('bomber');
    const mediaPid = await pidOf('worker-media');

    expect((await upload(user.id, textFile(), 'cat.png')).status).toBe(415);
    const bomb = pngBomb();
    expect(bomb.length).toBeLessThan(2048);
    const refused = await upload(user.id, bomb, 'bomb.png');
    expect(refused.status).toBe(422);
    expect(refused.body.detail).toContain('20000×20000');
    const big = Buffer.concat([await pngImage(16, 16), randomBytes(5 * 1024 * 1024)]);
    expect((await upload(user.id, big, 'big.png')).status).toBe(413);
    expect((await call('POST', `/users/${user.id}/avatar`, { file: 'not multipart' })).status).toBe(415);
    expect((await call('POST', `/users/${user.id}/avatar`, 'x', { 'content-type': 'multipart/form-data' })).status).toBe(400);
    expect((await upload('0123456789abcdef01234567', await pngImage(16, 16), 'x.png')).status).toBe(404);

    // Past the API (its header looks fine): the workflow fails at once, not after retries.
    const corrupt = await upload(user.id, corruptPng(), 'broken.png');
    expect(corrupt.status).toBe(202);
    const failedRun = await waitForEnd(corrupt.body.workflowId);
    expect(failedRun).toMatchObject({ status: 'FAILED', failure: { type: 'ImageRejectedError' } });
    expect(await findFile(corrupt.body.originalId)).toBeNull();

    // The bomb straight into the file store, as if the API's check were missing: sharp's own pixel
    // limit refuses it from the header, in one attempt.
    const originalId = originalFileId(user.id, createHash('sha256').update(bomb).digest('hex'));
    await putFile(originalId, `${originalId}.png`, bomb, { userId: user.id, contentType: 'image/png', receivedAt: new Date() });
    const direct = await runCanvas({ canvas: { task: 'media.thumbnail', args: [{ userId: user.id, originalId, size: 64 }] } });
    expect(direct).toMatchObject({ status: 'FAILED', failure: { type: 'ImageRejectedError', message: expect.stringContaining('pixel limit') } });
    const client = await temporalClient();
    const history = await client.workflow.getHandle(direct.workflowId).fetchHistory();
    expect(history.events!.filter((e) => e.activityTaskStartedEventAttributes)).toHaveLength(1);
    await client.connection.close();

    expect(await pidOf('worker-media')).toBe(mediaPid);
    expect((await call('GET', `/users/${user.id}`)).body.avatar).toBeNull();
  });
});

describe('crash recovery', () => {
  test('a comment stored by an API that died before starting its run is processed after the API restarts', async () => {
    const author = await createUser('survivor');
    // What a crash between "comment stored" and "run started" leaves behind.
    const _id = new mongoose.Types.ObjectId();
    const past = new Date(Date.now() - 120_000);
    await Comment.collection.insertOne({
      _id,
      author: new mongoose.Types.ObjectId(author.id),
      text: 'a perfectly ordinary note about the quarterly planning meeting',
      mentions: [],
      status: 'pending',
      workflowId: commentWorkflowId(_id),
      requestKey: `crash-${_id}`,
      createdAt: past,
      updatedAt: past,
    });
    await control('stop', 'api');
    await control('start', 'api');
    const deadline = Date.now() + 60_000;
    let status = 'pending';
    while (status === 'pending' && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 500));
      // Until the restarted API has its database it answers 503 (a problem whose `status` is 503): still pending.
      const reply = await call('GET', `/comments/${_id}`).catch(() => null);
      status = reply?.status === 200 ? (reply.body?.status ?? 'pending') : 'pending';
    }
    expect(status).toBe('published');
  });
});

describe('orphaned files', () => {
  test('the hourly cleanup task deletes unreferenced files and keeps every referenced one', async () => {
    const user = await createUser('keeper');
    const started = await upload(user.id, await pngImage(64, 64), 'keep.png');
    expect((await waitForEnd(started.body.workflowId)).status).toBe('COMPLETED');
    const kept = (await User.findById(user.id).lean())!.avatar as unknown as { original: string; thumbnails: Record<string, string> };
    const orphanId = originalFileId(user.id, 'f'.repeat(64));
    await putFile(orphanId, 'orphan.png', await pngImage(8, 8), { userId: user.id });
    const run = await runCanvas({ canvas: { task: 'files.cleanupOrphans', args: [0] } });
    expect(run.status).toBe('COMPLETED');
    expect(run.result.deleted).toBeGreaterThanOrEqual(1);
    expect(run.result.sample).toContain(orphanId);
    expect(await findFile(orphanId)).toBeNull();
    expect(await findFile(kept.original)).not.toBeNull();
    for (const id of Object.values(kept.thumbnails)) expect(await findFile(id)).not.toBeNull();
  });
});

describe('email under failure', () => {
  test('kill -9 of the email pool in the middle of a group of sends: every email arrives exactly once', async () => {
    const addresses = Array.from({ length: 5 }, (_, i) => `kill${run}-${i}@example.test`);
    // Two go at once; three hold 8 s after reserving their row in the email log (the
    // task's testing knob), so the kill lands inside the window that matters.
    const group = addresses.map((to, i) => ({
      task: 'email.send',
      args: [{ to, subject: `kill test ${i}`, text: 'hello', ...(i >= 2 ? { holdMs: 8000 } : {}) }],
    }));
    const started = await call('POST', '/workflows', { canvas: { group } });
    expect(started.status).toBe(201);
    for (const address of addresses.slice(0, 2)) expect(await waitForMail(address, 1)).toHaveLength(1);
    const held = await EmailLog.find({ to: mongoose.trusted({ $in: addresses.slice(2) }) }).lean();
    expect(held.map((r) => r.state)).toEqual(['sending', 'sending', 'sending']);

    const before = await pidOf('worker-email');
    await control('kill', 'worker-email');
    const runView = await waitForEnd(started.body.workflowId, '240s');
    expect(runView.status).toBe('COMPLETED');
    expect(await pidOf('worker-email')).not.toBe(before);

    const delivered = (await inbox()).filter((m) => m.to.some((to) => addresses.includes(to)));
    expect(delivered.map((m) => m.to[0]).sort()).toEqual([...addresses].sort());
    expect(new Set(delivered.map((m) => m.messageId)).size).toBe(5);
    // The held three were taken over by a later attempt after the dead one's lease ran out.
    const rows = await EmailLog.find({ to: mongoose.trusted({ $in: addresses }) }).lean();
    expect(rows.every((r) => r.state === 'sent')).toBe(true);
    expect(
      rows
        .filter((r) => r.attempts >= 2)
        .map((r) => r.to)
        .sort(),
    ).toEqual(addresses.slice(2).sort());
  }, 300_000);

  test('the SMTP server down for ~20 s during a send: the email arrives once, after retries', async () => {
    const [author, eve] = [await createUser('writer'), await createUser('eve')];
    await control('stop', 'smtp-sink');
    try {
      const posted = await call('POST', '/comments', { authorId: author.id, text: `@${eve.name} the server migration plan is ready for review.` });
      expect(posted.status).toBe(202);
      // The email step fails with SmtpTransientError and is retried while the server is away.
      const retrying = await waitFor(posted.body.workflowId, (v) => JSON.stringify(v.state ?? {}).includes('SmtpTransientError'), 30_000);
      expect(retrying.status).toBe('RUNNING');
      await new Promise((resolve) => setTimeout(resolve, 20_000));
    } finally {
      await control('start', 'smtp-sink');
    }
    const messages = await waitForMail(eve.email, 1, 120_000);
    expect(messages).toHaveLength(1);
    const row = await EmailLog.findOne({ to: eve.email }).lean();
    expect(row).toMatchObject({ state: 'sent' });
    await new Promise((resolve) => setTimeout(resolve, 2000));
    expect(await mailTo(eve.email)).toHaveLength(1);
  }, 300_000);
});

describe('digest', () => {
  test('emails each mentioned user once per period, and not again', async () => {
    const [author, fay, gus] = [await createUser('digester'), await createUser('fay'), await createUser('gus')];
    for (const text of [`@${fay.name} first note on the roadmap`, `@${fay.name} and @${gus.name}: second note on the roadmap`]) {
      const posted = await call('POST', '/comments', { authorId: author.id, text });
      await waitForEnd(posted.body.workflowId);
    }
    const client = await temporalClient();
    const digest = async () => client.workflow.execute('digest', { taskQueue: WORKFLOW_TASK_QUEUE, workflowId: `digest-test-${run}-${++sequence}`, args: [] });
    // Every user with unsent mentions gets one (a reject.test address from an earlier test fails alone).
    const first = (await digest()) as { users: number; failed: number };
    expect(first.users).toBeGreaterThanOrEqual(2);
    const toFay = (await mailTo(fay.email)).filter((m) => m.subject?.startsWith('Your digest'));
    const toGus = (await mailTo(gus.email)).filter((m) => m.subject?.startsWith('Your digest'));
    expect(toFay).toHaveLength(1);
    expect(toFay[0].subject).toContain('2 comments');
    expect(toGus).toHaveLength(1);
    expect(toGus[0].subject).toContain('1 comment');
    const fayDoc = await User.findById(fay.id).lean();
    expect(fayDoc?.lastDigestAt).toBeInstanceOf(Date);

    // Nothing new since: the next digest leaves them alone.
    await digest();
    expect((await mailTo(fay.email)).filter((m) => m.subject?.startsWith('Your digest'))).toHaveLength(1);
    await client.connection.close();
  }, 180_000);
});
