/**
 * A new avatar upload: one thumbnail step per size, in parallel on the media pool, then
 * the user's avatar points at the upload and its thumbnails. Only ids travel: the images
 * stay in GridFS. An image the media pool rejects is deleted again.
 */
import { isCancellation } from '@temporalio/workflow';
import { DEFAULT_AVATAR_SIZES } from '../../domain/avatar-sizes';
import { group, runCanvas, task } from '../builders';

export type AvatarUpload = { userId: string; originalId: string; sizes?: number[] };
export type Thumbnail = { size: number; fileId: string; bytes: number; width: number; height: number };
export type AvatarOutcome = { applied: boolean; thumbnails: Thumbnail[] };

export async function avatarUploaded(upload: AvatarUpload): Promise<AvatarOutcome> {
  const { userId, originalId } = upload;
  const sizes = upload.sizes && upload.sizes.length > 0 ? upload.sizes : [...DEFAULT_AVATAR_SIZES];
  let thumbnails: Thumbnail[];
  try {
    thumbnails = await runCanvas<Thumbnail[]>(group(...sizes.map((size) => task('media.thumbnail', { userId, originalId, size }))), { name: 'thumbnails' });
  } catch (error) {
    // A rejected image leaves nothing behind in GridFS; the run still fails with the image's error.
    if (!isCancellation(error)) await runCanvas(task('users.discardUpload', userId, originalId), { name: 'discard' });
    throw error;
  }
  const { applied } = await runCanvas<{ applied: boolean }>(task('users.setAvatar', thumbnails, userId, originalId), { name: 'setAvatar' });
  return { applied, thumbnails };
}
