/**
 * A new avatar upload: one media.thumbnails step on the media pool makes every size from
 * one read of the original, then the user's avatar points at the upload and its
 * thumbnails. Only ids travel: the images stay in the database. An image the media pool
 * rejects is deleted again. Runs recorded before the one-pass step (a group of one
 * media.thumbnail per size) replay down their old path (patch `avatar-one-pass`).
 */
import { isCancellation } from '@temporalio/workflow';
import { hasChange } from '../patches';
import { DEFAULT_AVATAR_SIZES } from './avatar-sizes';
import { group, runCanvas, task } from '../builders';

export type AvatarUpload = { userId: string; originalId: string; sizes?: number[] };
export type Thumbnail = { size: number; fileId: string; bytes: number; width: number; height: number };
export type AvatarOutcome = { applied: boolean; thumbnails: Thumbnail[] };

export async function avatarUploaded(upload: AvatarUpload): Promise<AvatarOutcome> {
  const { userId, originalId } = upload;
  const sizes = upload.sizes && upload.sizes.length > 0 ? upload.sizes : [...DEFAULT_AVATAR_SIZES];
  let thumbnails: Thumbnail[];
  try {
    thumbnails = hasChange('avatarOnePass')
      ? await runCanvas<Thumbnail[]>(task('media.thumbnails', { userId, originalId, sizes }), { name: 'thumbnails' })
      : await runCanvas<Thumbnail[]>(group(...sizes.map((size) => task('media.thumbnail', { userId, originalId, size }))), { name: 'thumbnails' });
  } catch (error) {
    // A rejected image leaves nothing behind in the database; the run still fails with the image's error.
    if (!isCancellation(error)) await runCanvas(task('users.discardUpload', userId, originalId), { name: 'discard' });
    throw error;
  }
  const { applied } = await runCanvas<{ applied: boolean }>(task('users.setAvatar', thumbnails, userId, originalId), { name: 'setAvatar' });
  return { applied, thumbnails };
}
