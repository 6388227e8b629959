/** The domain's models, and index creation at process start (autoIndex is not relied on). */
import { Comment } from './comment';
import { EmailLog } from './email-log';
import { User } from './user';

export { Comment, COMMENT_STATUSES, commentWorkflowId, type CommentStatus, type CommentDocument } from './comment';
export { EmailLog, type EmailState } from './email-log';
export { User, nameKeyOf, type UserDocument } from './user';

/** Creates every declared index (and the collections); call after connecting. */
export async function initModels(): Promise<void> {
  await Promise.all([User.init(), Comment.init(), EmailLog.init()]);
}
