/** Ids the domain hands around: ObjectId strings, and the ids of avatar files (avatars/store.ts). */
import { RUN_ID_PREFIXES } from '../workflows/app/run-ids';

const OBJECT_ID = /^[0-9a-f]{24}$/;

/** A canonical ObjectId string (24 lowercase hex digits), as the API prints them. */
export function isObjectId(value: string): boolean {
  return OBJECT_ID.test(value);
}

/**
 * An upload's file id: the user and the content's digest. The same bytes uploaded twice
 * for the same user are one file, so a retried request neither duplicates it nor starts a
 * second workflow (the workflow id is derived from it too).
 */
export function originalFileId(userId: string, digestHex: string): string {
  return `${RUN_ID_PREFIXES.avatar}${userId}-${digestHex.slice(0, 32)}`;
}

/** A thumbnail's file id: its upload and size. A retried step overwrites, never duplicates. */
export function thumbnailFileId(originalId: string, size: number): string {
  return `${originalId}-${size}`;
}

/** The user id an avatar file's id names, or undefined for other files. */
export function avatarFileOwner(fileId: string): string | undefined {
  return /^avatar-([0-9a-f]{24})-/.exec(fileId)?.[1];
}

/** Whether a file id is one of this user's avatar files. */
export function isUsersAvatarFile(userId: string, fileId: string): boolean {
  return fileId.startsWith(`avatar-${userId}-`);
}

export function avatarWorkflowId(originalId: string): string {
  return originalId; // already "avatar-<user>-<digest>"
}
