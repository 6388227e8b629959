/** A user: who comments, who gets mentioned and emailed, and whose avatar is in the avatar file store (../avatars/store.ts). */
import { Schema, model, type InferSchemaType, type HydratedDocument } from 'mongoose';
import { EMAIL_PATTERN } from '../email/mail-safety';

const AvatarSchema = new Schema(
  {
    /** File id of the uploaded original. */
    original: { type: String, required: true },
    /** Thumbnail edge length (as a string key) → file id of the WebP. */
    thumbnails: { type: Map, of: String, required: true },
    /** When the original was received: a slower, older upload never replaces a newer one. */
    uploadedAt: { type: Date, required: true },
  },
  { _id: false },
);

const UserSchema = new Schema(
  {
    name: { type: String, required: true, trim: true, minlength: 1, maxlength: 100 },
    /** Lowercased name: what `@name` mentions match (FerretDB has no collations). */
    nameKey: { type: String, required: true, index: true },
    email: {
      type: String,
      required: true,
      lowercase: true,
      trim: true,
      maxlength: 254,
      unique: true,
      match: [EMAIL_PATTERN, 'is not an email address'],
    },
    avatar: { type: AvatarSchema, required: false },
    /** End of the period the last digest email covered. */
    lastDigestAt: { type: Date, required: false },
    /** When a published comment last mentioned the user: the digest plan compares it with lastDigestAt. */
    lastMentionedAt: { type: Date, required: false },
  },
  { timestamps: { createdAt: true, updatedAt: true } },
);

export type UserFields = InferSchemaType<typeof UserSchema>;
export type UserDocument = HydratedDocument<UserFields>;
export const User = model('User', UserSchema);

/** The key `@name` mentions are matched on. */
export function nameKeyOf(name: string): string {
  return name.trim().toLowerCase();
}
