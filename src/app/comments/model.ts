/** A comment: stored pending by the API, then scored, published or marked spam by its workflow. */
import { Schema, model, Types, type InferSchemaType, type HydratedDocument } from 'mongoose';
import { RUN_ID_PREFIXES } from '../../workflows/app/run-ids';

export const COMMENT_STATUSES = ['pending', 'published', 'spam'] as const;
export type CommentStatus = (typeof COMMENT_STATUSES)[number];

const CommentSchema = new Schema(
  {
    author: { type: Schema.Types.ObjectId, ref: 'User', required: true, index: true },
    text: { type: String, required: true, minlength: 1, maxlength: 5000 },
    /** Users named by `@name` tokens, resolved when the comment was posted. */
    mentions: { type: [Schema.Types.ObjectId], ref: 'User', default: [] },
    status: { type: String, enum: COMMENT_STATUSES, default: 'pending', required: true },
    /** Probability of spam from the classifier; absent until scored. */
    spamScore: { type: Number, min: 0, max: 1, required: false },
    workflowId: { type: String, required: true },
    /**
     * Makes a retried POST find the comment it already created: `<author>:<Idempotency-Key>`,
     * or a fresh UUID when the client sent no key. Unique (FerretDB has no partial indexes,
     * so every comment carries one).
     */
    requestKey: { type: String, required: true, unique: true },
    publishedAt: { type: Date, required: false },
    /** What the workflow did after publishing: mention emails sent and failed. */
    outcome: {
      type: new Schema({ sent: Number, duplicates: Number, failed: Number, recordedAt: Date }, { _id: false }),
      required: false,
    },
  },
  { timestamps: { createdAt: true, updatedAt: true } },
);

// GET /comments?status= lists newest first; the digest looks mentions up by time.
CommentSchema.index({ status: 1, createdAt: -1 });
CommentSchema.index({ mentions: 1, status: 1, publishedAt: 1 });

export type CommentFields = InferSchemaType<typeof CommentSchema>;
export type CommentDocument = HydratedDocument<CommentFields>;
export const Comment = model('Comment', CommentSchema);

export function commentWorkflowId(id: Types.ObjectId | string): string {
  return `${RUN_ID_PREFIXES.comment}${String(id)}`;
}
