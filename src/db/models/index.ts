/** The domain's models, and index creation at process start (autoIndex is not relied on). */
import { Comment } from './comment';
import { EmailLog } from './email-log';
import { User } from './user';

export { Comment, COMMENT_STATUSES, commentWorkflowId, type CommentStatus, type CommentDocument } from './comment';
export { EmailLog, type EmailState } from './email-log';
export { User, nameKeyOf, type UserDocument } from './user';

let ready: Promise<void> | undefined;

/**
 * Creates every index the schemas declare (and so the collections); call after connecting.
 * Memoized, but forgotten after a failure so that a database that was down at start is
 * tried again on the next call instead of failing every call after.
 */
export function initModels(): Promise<void> {
  ready ??= Promise.all([User.createIndexes(), Comment.createIndexes(), EmailLog.createIndexes()]).then(
    () => undefined,
    (error: unknown) => {
      ready = undefined;
      throw error;
    },
  );
  return ready;
}
