/**
 * Argument schemas of the domain's tasks, for the task registry. Plain zod with no other
 * imports: the workflow bundle reads the registry (and so this file) too.
 */
import { z } from 'zod';

export const ObjectIdSchema = z.string().regex(/^[0-9a-f]{24}$/, 'must be an id: 24 lowercase hex digits');

/** "avatar-<user id>-<32 hex digits of the content's SHA-256>", see ids.ts. */
export const OriginalIdSchema = z.string().regex(/^avatar-[0-9a-f]{24}-[0-9a-f]{32}$/, 'must be an avatar upload id');

export const ThumbnailSizeSchema = z.number().int().min(16).max(1024);

export const SpamInputSchema = z.union([z.strictObject({ commentId: ObjectIdSchema }), z.strictObject({ text: z.string().min(1).max(200_000) })]);

export const SpamTextsSchema = z.array(z.string().max(200_000)).min(1).max(1000);

/** A message written by the caller, sent as plain text. */
export const RawEmailSchema = z.strictObject({
  to: z.string().max(254),
  toName: z.string().max(100).optional(),
  subject: z.string().max(200),
  text: z.string().max(100_000),
  /**
   * Testing aid: wait this long after reserving the message in the email log and before
   * handing it to SMTP (heartbeating meanwhile), so tests can crash a worker inside the
   * window that matters. Leave it out in real use.
   */
  holdMs: z.number().int().min(0).max(10_000).optional(),
});

/** Messages the email pool renders itself from ids: workflows carry ids, not content. */
export const MentionEmailSchema = z.strictObject({ template: z.literal('mention'), commentId: ObjectIdSchema, userId: ObjectIdSchema });
export const DigestEmailSchema = z.strictObject({
  template: z.literal('digest'),
  userId: ObjectIdSchema,
  /** The previous digest's end (exclusive), or null for the first digest. */
  since: z.iso.datetime().nullable(),
  until: z.iso.datetime(),
});

export const EmailMessageSchema = z.union([RawEmailSchema, MentionEmailSchema, DigestEmailSchema]);
export type EmailMessage = z.infer<typeof EmailMessageSchema>;

export const IdempotencyKeySchema = z.string().min(1).max(300);

export const ThumbnailInputSchema = z.strictObject({ userId: ObjectIdSchema, originalId: OriginalIdSchema, size: ThumbnailSizeSchema });
export type ThumbnailInput = z.infer<typeof ThumbnailInputSchema>;

/** media.thumbnails: every size of one upload in one pass. */
export const ThumbnailsInputSchema = z.strictObject({
  userId: ObjectIdSchema,
  originalId: OriginalIdSchema,
  sizes: z.array(ThumbnailSizeSchema).min(1).max(16),
});
export type ThumbnailsInput = z.infer<typeof ThumbnailsInputSchema>;

/** digest.planPage: where the previous page stopped (a user id) and the period's end. */
export const DigestPageSchema = z.strictObject({ after: ObjectIdSchema.nullable(), until: z.iso.datetime(), limit: z.number().int().min(1).max(5000) });
export type DigestPageInput = z.infer<typeof DigestPageSchema>;

/** What media.thumbnail returns; users.setAvatar receives a list of them. */
export const ThumbnailResultSchema = z.looseObject({ size: ThumbnailSizeSchema, fileId: z.string().min(1) });
export type ThumbnailResult = z.infer<typeof ThumbnailResultSchema> & { bytes: number };

/** A settled group's member results ({ok, value} or {ok, error}). */
export const SettledSchema = z.array(z.looseObject({ ok: z.boolean() }));

/** email.send's result. */
export const EmailResultSchema = z.looseObject({ key: z.string(), status: z.enum(['sent', 'duplicate']), messageId: z.string() });
export type EmailResult = { key: string; status: 'sent' | 'duplicate'; messageId: string };

export { DEFAULT_AVATAR_SIZES } from '../workflows/app/avatar-sizes';
