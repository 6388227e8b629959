/**
 * The first start of a deployment with no API keys (`docker compose up`): instead of an API
 * that answers 401 to everything, make one admin key. Its secret goes to API_FIRST_KEY_FILE
 * (readable only by the API's user; the operator reads it once, then deletes it), and only
 * its SHA-256 goes to API_KEYS_FILE, which the API reads as always. Nothing happens when
 * the key file exists: a configured deployment is never touched.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, openSync, writeFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import { hashKey } from '../http/auth';

export const FIRST_KEY_ID = 'first-admin';

/** Creates the key file and the secret file when the key file does not exist; says whether it did. */
export function ensureFirstKey(keysFile: string, secretFile: string): boolean {
  mkdirSync(path.dirname(keysFile), { recursive: true });
  let fd: number;
  try {
    // 'wx': exactly one of several API replicas starting at once creates it.
    fd = openSync(keysFile, 'wx', 0o644);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
  try {
    const secret = `orch_${randomBytes(32).toString('base64url')}`;
    mkdirSync(path.dirname(secretFile), { recursive: true });
    writeFileSync(secretFile, `${secret}\n`, { mode: 0o600 });
    writeSync(fd, `${JSON.stringify({ keys: [{ id: FIRST_KEY_ID, sha256: hashKey(secret), scopes: ['admin'] }] }, null, 2)}\n`);
  } finally {
    closeSync(fd);
  }
  return true;
}
