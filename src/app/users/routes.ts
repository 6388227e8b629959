/**
 * /users: create and read users; upload an avatar (stored in the database, thumbnails made by
 * the avatarUploaded workflow on the media pool) and serve its thumbnails.
 */
import { Router } from '@koa/router';
import busboy from 'busboy';
import type { Context } from 'koa';
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { User, nameKeyOf, type UserDocument } from './model';
import { findFile, openDownload, putFile, touchFile } from '../avatars/store';
import { avatarWorkflowId, isObjectId, originalFileId } from '../ids';
import { addUserName } from './names';
import { sniffImage } from '../avatars/image-sniff';
import { isEmailAddress, isHeaderSafe } from '../email/mail-safety';
import { startAvatarUploaded } from '../starts';
import type { HttpContext } from '../../http/context';
import { conflict, HttpProblem, notFound } from '../../http/problem';
import { readBody } from '../http-input';
import { requires } from '../../http/auth';
import { json, problem } from '../../http/route-docs';

const USER = {
  json: {
    type: 'object',
    properties: {
      id: { type: 'string' },
      name: { type: 'string' },
      email: { type: 'string' },
      createdAt: { type: 'string', format: 'date-time' },
      avatar: { type: ['object', 'null'] },
    },
  },
};

const NewUser = z.strictObject({
  // Control characters are checked before trimming, so a trailing CR/LF is refused, not hidden.
  name: z
    .string()
    .max(100)
    .refine(isHeaderSafe, 'must not contain control characters such as CR or LF')
    .refine((s) => s.trim().length > 0, 'must not be empty'),
  email: z.string().max(254).refine(isEmailAddress, 'must be an email address'),
});

export function userRoutes(app: HttpContext): Router {
  const router = new Router({ prefix: '/users' });
  const { config, client } = app;

  router.post(
    '/',
    requires('write', {
      summary: 'Create a user',
      body: NewUser,
      responses: { 201: json(USER, 'Created.'), 400: problem('Invalid; paths say where.'), 409: problem('A user with this email exists.') },
    }),
    async (ctx) => {
      const input = await readBody(ctx, NewUser, config.api.maxBodyBytes);
      const name = input.name.trim();
      try {
        const user = await User.create({ name, nameKey: nameKeyOf(name), email: input.email.toLowerCase() });
        await addUserName(user.nameKey, user._id);
        ctx.status = 201;
        ctx.set('Location', `/users/${user.id}`);
        ctx.body = view(user);
      } catch (error) {
        if ((error as { code?: number }).code !== 11000) throw error;
        // Perhaps this very request, repeated: the first stored the user and then failed (a
        // database that stopped answering applies the write later) before the name entry
        // that mentions resolve through. Make sure it exists (idempotent), then say so.
        const existing = await User.findOne({ email: input.email.toLowerCase() }, { nameKey: 1 }).lean();
        if (existing) await addUserName(existing.nameKey, existing._id);
        throw conflict('a user with this email already exists');
      }
    },
  );

  router.get('/:id', requires('read', { summary: 'A user', responses: { 200: json(USER, 'The user.'), 404: problem('Unknown id.') } }), async (ctx) => {
    ctx.body = view(await findUser(ctx.params.id));
  });

  const avatarDoc = {
    summary: 'Upload an avatar; the avatarUploaded workflow makes the thumbnails on the media pool',
    body: {
      contentType: 'multipart/form-data',
      schema: {
        json: {
          type: 'object',
          required: ['file'],
          properties: { file: { type: 'string', format: 'binary', description: 'PNG, JPEG, WebP or GIF (judged by content).' } },
        },
      },
    },
    responses: {
      202: json(
        {
          json: {
            type: 'object',
            properties: { workflowId: { type: 'string' }, originalId: { type: 'string' }, existing: { type: 'boolean' }, links: { type: 'object' } },
          },
        },
        'Stored; thumbnails on their way.',
      ),
      404: problem('Unknown user.'),
      413: problem('Larger than AVATAR_MAX_BYTES.'),
      415: problem('Not multipart, or not an image.'),
      422: problem('No valid size, or more pixels than MEDIA_MAX_INPUT_PIXELS.'),
    },
  };
  router.post('/:id/avatar', requires('write', avatarDoc), async (ctx) => {
    const user = await findUser(ctx.params.id);
    const upload = await readUpload(ctx, config.domain.avatar.maxBytes);
    const sniffed = sniffImage(upload);
    if (!sniffed) throw new HttpProblem(415, 'Unsupported Media Type', 'The file is not a PNG, JPEG, WebP or GIF image (judged by its content, not its name).');
    const { width, height } = sniffed;
    if (width === undefined || height === undefined || width === 0 || height === 0) {
      throw new HttpProblem(422, 'Unprocessable Content', 'The image header does not say a valid size.');
    }
    if (width * height > config.domain.avatar.maxInputPixels) {
      throw new HttpProblem(
        422,
        'Unprocessable Content',
        `The image claims ${width}×${height} pixels; the limit is ${config.domain.avatar.maxInputPixels} pixels.`,
      );
    }
    const userId = user.id as string;
    const originalId = originalFileId(userId, createHash('sha256').update(upload).digest('hex'));
    const receivedAt = new Date();
    if (await findFile(originalId)) await touchFile(originalId, { receivedAt });
    else await putFile(originalId, `${originalId}.${sniffed.type}`, upload, { userId, contentType: sniffed.mime, width, height, receivedAt });
    const workflowId = avatarWorkflowId(originalId);
    const started = await startAvatarUploaded(client, workflowId, { userId, originalId, sizes: config.domain.avatar.sizes });
    ctx.status = 202;
    ctx.body = {
      workflowId,
      originalId,
      existing: started.existing,
      links: {
        workflow: `/workflows/${encodeURIComponent(workflowId)}`,
        thumbnails: Object.fromEntries(config.domain.avatar.sizes.map((s) => [String(s), `/users/${userId}/avatar/${s}`])),
      },
    };
  });

  router.get(
    '/:id/avatar/:size',
    requires('read', {
      summary: 'A thumbnail (WebP), with an ETag',
      params: { size: { description: 'Edge length in pixels, one of AVATAR_SIZES.' } },
      responses: {
        200: { description: 'The image.', contentType: 'image/webp', schema: { json: { type: 'string', format: 'binary' } } },
        304: 'Not modified (If-None-Match).',
        404: problem('No such user or thumbnail (yet).'),
      },
    }),
    async (ctx) => {
      const user = await findUser(ctx.params.id);
      const fileId = thumbnailsOf(user).get(ctx.params.size);
      const file = fileId ? await findFile(fileId) : null;
      if (!file) throw notFound(`no ${ctx.params.size} px avatar for user ${ctx.params.id} (yet)`);
      const etag = `"${String(file.metadata?.sha256 ?? file._id)}"`;
      ctx.set('ETag', etag);
      ctx.set('Cache-Control', 'public, max-age=60');
      if (ctx.get('if-none-match') === etag) {
        ctx.status = 304;
        return;
      }
      ctx.type = 'image/webp';
      ctx.length = file.length;
      ctx.body = openDownload(file._id);
    },
  );

  return router;
}

/** 404 for ids that are malformed as well as unknown: both are "no such user". */
async function findUser(id: string): Promise<UserDocument> {
  const user = isObjectId(id) ? await User.findById(id) : null;
  if (!user) throw notFound(`no user with id ${id}`);
  return user;
}

function thumbnailsOf(user: UserDocument): Map<string, string> {
  const thumbnails = user.avatar?.thumbnails;
  return thumbnails instanceof Map ? thumbnails : new Map(Object.entries(thumbnails ?? {}));
}

function view(user: UserDocument) {
  const sizes = [...thumbnailsOf(user).keys()];
  return {
    id: user.id as string,
    name: user.name,
    email: user.email,
    createdAt: (user.get('createdAt') as Date).toISOString(),
    avatar: user.avatar
      ? {
          original: user.avatar.original,
          uploadedAt: user.avatar.uploadedAt.toISOString(),
          sizes: sizes.map(Number),
          links: Object.fromEntries(sizes.map((s) => [s, `/users/${user.id}/avatar/${s}`])),
        }
      : null,
  };
}

/**
 * The `file` part of a multipart/form-data body, in memory (bounded by `maxBytes`). Not
 * multipart: 415. Over the limit: 413, answered once the body has been read and thrown
 * away (up to a hard cap), because a client still sending does not read an early answer.
 */
async function readUpload(ctx: Context, maxBytes: number): Promise<Buffer> {
  if (!ctx.is('multipart/form-data')) throw new HttpProblem(415, 'Unsupported Media Type', 'Send the image as multipart/form-data with a part named "file".');
  const hardCap = maxBytes * 4;
  const declared = Number(ctx.get('content-length') || 0);
  if (declared > hardCap) throw tooLarge(maxBytes); // not worth reading: the connection closes
  let parser: busboy.Busboy;
  try {
    parser = busboy({ headers: ctx.req.headers, limits: { files: 1, fileSize: maxBytes, fields: 10, fieldSize: 1024, parts: 11 } });
  } catch (error) {
    throw new HttpProblem(400, 'Bad Request', `The multipart body cannot be read: ${(error as Error).message}.`, [
      { path: 'file', message: 'could not be read' },
    ]);
  }
  const file = await new Promise<Buffer | undefined>((resolve, reject) => {
    let received: Buffer | undefined;
    let truncated = false;
    parser.on('file', (field, stream) => {
      if (field !== 'file') return stream.resume();
      const parts: Buffer[] = [];
      stream.on('data', (part: Buffer) => parts.push(part));
      stream.on('limit', () => (truncated = true)); // busboy discards the rest; answer at the end
      stream.on('end', () => (received = Buffer.concat(parts)));
    });
    parser.on('error', () => reject(new HttpProblem(400, 'Bad Request', 'The multipart body is malformed.', [{ path: 'file', message: 'could not be read' }])));
    parser.on('close', () => (truncated ? reject(tooLarge(maxBytes)) : resolve(received)));
    let seen = 0;
    ctx.req.on('data', (chunk: Buffer) => {
      seen += chunk.length;
      if (seen <= hardCap) return;
      reject(tooLarge(maxBytes)); // a body without an honest length: stop reading it
      ctx.req.unpipe(parser);
      ctx.req.destroy();
    });
    ctx.req.pipe(parser);
  });
  if (!file || file.length === 0)
    throw new HttpProblem(400, 'Bad Request', 'No image was sent.', [{ path: 'file', message: 'is required: a non-empty part named "file"' }]);
  return file;
}

function tooLarge(maxBytes: number): HttpProblem {
  return new HttpProblem(413, 'Content Too Large', `The upload is larger than ${maxBytes} bytes.`, undefined, { Connection: 'close' });
}
