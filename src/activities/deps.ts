/**
 * What the activities depend on, made once per worker process (src/workers/main.ts) and
 * handed to createActivities: configuration slices, the pooled SMTP transport, the spam
 * model. The database is the process's mongoose connection, opened before the pool polls;
 * the models (src/app/models.ts) are bound to it.
 */
import type { Config } from '../config';
import { createEmailTransport, type EmailDeps } from '../app/email/activities';
import type { AvatarDeps } from '../app/avatars/activities';
import { spamModelLoader, type SpamDeps } from './spam';

export interface ActivityDeps {
  email: EmailDeps;
  avatars: AvatarDeps;
  spam: SpamDeps;
}

export function createActivityDeps(config: Config): ActivityDeps {
  const { email, avatar, spam } = config.domain;
  return {
    email: { settings: email, transport: createEmailTransport(config.smtpUrl) },
    avatars: { limits: { maxBytes: avatar.maxBytes, maxInputPixels: avatar.maxInputPixels } },
    spam: { model: spamModelLoader(spam.modelPath), threshold: spam.threshold },
  };
}

/** Closes what the dependencies hold open (the SMTP pool's connections), at worker shutdown. */
export function closeActivityDeps(deps: ActivityDeps): void {
  deps.email.transport.close();
}
