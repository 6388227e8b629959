/**
 * The hourly cleanup of orphaned avatar files (the built-in `cleanup-orphaned-files`
 * schedule): avatar originals and thumbnails that no user references any more, such as
 * the files of a replaced avatar whose deletion was cut off, or of an upload whose
 * workflow failed before tidying up. Files younger than the grace period are left alone,
 * so an upload still being processed is never taken.
 */
import { Context } from '@temporalio/activity';
import { deleteFiles, filesStoredBefore } from './store';
import { avatarFileOwner } from '../ids';
import { User } from '../models';

export interface CleanupResult {
  scanned: number;
  deleted: number;
  /** Up to 20 of the deleted ids, for the run's history. */
  sample: string[];
}

/** Files examined per run; the next hourly run continues where this one stopped. */
const BATCH = 5000;

export async function cleanupOrphanedFiles(graceMs = 3_600_000): Promise<CleanupResult> {
  const before = new Date(Date.now() - graceMs);
  // Includes writes a crash cut off (never marked complete): nobody references them.
  const candidates = await filesStoredBefore(before, BATCH);
  // Judge each file by its owner's current avatar (the owner is in the id), user by user:
  // a query that matched nobody must never make every file look orphaned.
  const owners = new Map<string, Set<string> | null>();
  const orphans: string[] = [];
  for (const [i, id] of candidates.entries()) {
    const owner = avatarFileOwner(id);
    if (!owner) continue; // not an avatar file of ours: leave it
    if (!owners.has(owner)) owners.set(owner, await referencedBy(owner));
    const referenced = owners.get(owner);
    if (!referenced || !referenced.has(id)) orphans.push(id);
    if (i % 500 === 0) Context.current().heartbeat({ progress: Math.floor((i / candidates.length) * 90), message: `${orphans.length} orphans of ${i} files` });
  }
  await deleteFiles(orphans);
  return { scanned: candidates.length, deleted: orphans.length, sample: orphans.slice(0, 20) };
}

/** The files a user's avatar references, or null when the user no longer exists. */
async function referencedBy(userId: string): Promise<Set<string> | null> {
  const user = await User.findById(userId, { avatar: 1 }).lean();
  if (!user) return null;
  const avatar = user.avatar as { original?: string; thumbnails?: Record<string, string> } | undefined;
  return new Set([...(avatar?.original ? [avatar.original] : []), ...Object.values(avatar?.thumbnails ?? {})]);
}
