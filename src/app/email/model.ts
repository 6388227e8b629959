/**
 * The email log: one row per logical message, keyed by its idempotency key. A row is
 * written ('sending', with a lease) before the message goes to SMTP and marked 'sent'
 * after, so a retried or re-executed step finds it and sends nothing twice.
 */
import { Schema, model, type InferSchemaType } from 'mongoose';

export const EMAIL_STATES = ['sending', 'sent', 'failed'] as const;
export type EmailState = (typeof EMAIL_STATES)[number];

const EmailLogSchema = new Schema(
  {
    /** The idempotency key, also the row's `_id`: finding a message is a lookup by `_id`, cheap on every backend. */
    _id: { type: String, required: true },
    key: { type: String, required: true, maxlength: 500 },
    state: { type: String, enum: EMAIL_STATES, required: true },
    /** The Message-ID header, derived from the key: a resend carries the same one. */
    messageId: { type: String, required: true },
    to: { type: String, required: true },
    subject: { type: String, required: true },
    /** Which attempt holds the reservation; only its holder may mark the row sent. */
    token: { type: String, required: true },
    /** While in the future, other attempts keep off ('sending' only). */
    leaseUntil: { type: Date, required: true },
    attempts: { type: Number, required: true, default: 1 },
    sentAt: { type: Date, required: false },
    lastError: { type: String, required: false },
    /** Template-specific facts, e.g. the period a digest covered. */
    meta: { type: Schema.Types.Mixed, required: false },
  },
  { timestamps: true, minimize: false },
);

export type EmailLogFields = InferSchemaType<typeof EmailLogSchema>;
export const EmailLog = model('EmailLog', EmailLogSchema, 'email_log');
