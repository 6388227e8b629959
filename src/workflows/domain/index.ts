/** The domain's workflows: comments, avatars and the digest. */
export { commentPosted } from './comment-posted';
export { avatarUploaded } from './avatar-uploaded';
export { digest } from './digest';
