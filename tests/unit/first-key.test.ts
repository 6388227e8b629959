/** The first admin key of an unconfigured deployment: made once, secret apart, only its hash in the key file. */
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ApiKeys } from '../../src/http/auth';
import { ensureFirstKey, FIRST_KEY_ID } from '../../src/api/first-key';

test('no key file: one admin key, the secret in its own file (mode 600), only the hash in the key file', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'first-key-'));
  const keysFile = path.join(dir, 'keys', 'api-keys.json');
  const secretFile = path.join(dir, 'first-admin-key');
  expect(ensureFirstKey(keysFile, secretFile)).toBe(true);
  const secret = readFileSync(secretFile, 'utf8').trim();
  expect(secret).toMatch(/^orch_[A-Za-z0-9_-]{43}$/);
  expect(statSync(secretFile).mode & 0o777).toBe(0o600);
  expect(readFileSync(keysFile, 'utf8')).not.toContain(secret);
  const keys = new ApiKeys({ file: keysFile });
  try {
    expect(keys.verify(secret)).toMatchObject({ id: FIRST_KEY_ID, scopes: new Set(['admin']) });
    expect(keys.verify(`${secret}x`)).toBeUndefined();
  } finally {
    keys.close();
  }
  // A second start (or a second replica) leaves both files as they are.
  expect(ensureFirstKey(keysFile, secretFile)).toBe(false);
  expect(readFileSync(secretFile, 'utf8').trim()).toBe(secret);
});

test('an existing key file is never touched, even an empty one', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'first-key-'));
  const keysFile = path.join(dir, 'api-keys.json');
  writeFileSync(keysFile, '{"keys": []}');
  expect(ensureFirstKey(keysFile, path.join(dir, 'secret'))).toBe(false);
  expect(readFileSync(keysFile, 'utf8')).toBe('{"keys": []}');
});
