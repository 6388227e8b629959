/** Ids the domain hands around: ObjectId strings, and the GridFS ids of avatar files. */
import { RUN_ID_PREFIXES } from './run-ids';

const OBJECT_ID = /^[0-9a-f]{24}$/;

/** A canonical ObjectId string (24 lowercase hex digits), as the API prints them. */
export function isObjectId(value: string): boolean {
  return OBJECT_ID.test(value);
}

/** The GridFS buckets of avatar originals and of their thumbnails. */
export const AVATAR_BUCKET = 'avatars';
export const THUMBNAIL_BUCKET = 'thumbnails';

/**
 * An upload's GridFS id: the user and the content's digest. The same bytes uploaded twice
 * for the same user are one file, so a retried request neither duplicates it nor starts a
 * second workflow (the workflow id is derived from it too).
 */
export function originalFileId(userId: string, digestHex: string): string {
  return `${RUN_ID_PREFIXES.avatar}${userId}-${digestHex.slice(0, 32)}`;
}

/** A thumbnail's GridFS id: its upload and size. A retried step overwrites, never duplicates. */
export function thumbnailFileId(originalId: string, size: number): string {
  return `${originalId}-${size}`;
}

const THUMBNAIL_ID = /^avatar-[0-9a-f]{24}-[0-9a-f]{32}-\d+$/;

export function isThumbnailFileId(id: string): boolean {
  return THUMBNAIL_ID.test(id);
}

/** The user id an avatar file's GridFS id names, or undefined for other files. */
export function avatarFileOwner(fileId: string): string | undefined {
  return /^avatar-([0-9a-f]{24})-/.exec(fileId)?.[1];
}

/** Whether a GridFS id is one of this user's avatar files. */
export function isUsersAvatarFile(userId: string, fileId: string): boolean {
  return fileId.startsWith(`avatar-${userId}-`);
}

export function avatarWorkflowId(originalId: string): string {
  return originalId; // already "avatar-<user>-<digest>"
}
